#!/usr/bin/env bash
# DeepSeek-R1 FP8 on MI355X with SGLang (AITER kernels).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME
print_job_banner

hf download "$MODEL"

export SGLANG_USE_AITER=1
export RCCL_MSCCL_ENABLE=0
export ROCM_QUICK_REDUCE_QUANTIZATION=INT4

# An eval-only job serves the eval's context length.
eval_context_args --context-length

start_gpu_monitor
set -x
python3 -m sglang.launch_server \
    --attention-backend aiter \
    --model-path "$MODEL" \
    --host=0.0.0.0 \
    --port "$PORT" \
    --tensor-parallel-size "$TP" \
    --trust-remote-code \
    --chunked-prefill-size 196608 \
    --mem-fraction-static 0.8 --disable-radix-cache \
    --num-continuous-decode-steps 4 \
    --max-prefill-tokens 196608 \
    --cuda-graph-max-bs "$CONC" \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
