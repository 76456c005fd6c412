#!/usr/bin/env bash
# DeepSeek-R1 FP4 (MXFP4) on MI355X with SGLang (AITER kernels).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME
print_job_banner

hf download "$MODEL"

export SGLANG_USE_AITER=1
export ROCM_QUICK_REDUCE_QUANTIZATION=INT4

# Long prompts at high concurrency prefill in smaller chunks.
prefill_size=196608
if ((ISL == 8192 && OSL == 1024 && CONC > 32)); then
    prefill_size=32768
fi

# An eval-only job serves the eval's context length.
eval_context_args --context-length

start_gpu_monitor
set -x
python3 -m sglang.launch_server --model-path="$MODEL" --trust-remote-code \
    --host=0.0.0.0 --port="$PORT" \
    --tensor-parallel-size="$TP" \
    --chunked-prefill-size="$prefill_size" \
    --mem-fraction-static=0.8 \
    --disable-radix-cache \
    --num-continuous-decode-steps=4 \
    --max-prefill-tokens="$prefill_size" \
    --cuda-graph-max-bs=128 \
    --attention-backend aiter \
    --kv-cache-dtype fp8_e4m3 \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
