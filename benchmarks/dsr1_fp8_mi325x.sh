#!/usr/bin/env bash
# DeepSeek-R1 FP8 on MI325X with SGLang (AITER kernels, persistent MLA).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME
print_job_banner

hf download "$MODEL"

export SGLANG_USE_AITER=1
export SGLANG_AITER_MLA_PERSIST=1

# An eval-only job serves the eval's context length.
eval_context_args --context-length

start_gpu_monitor
set -x
python3 -m sglang.launch_server \
    --model-path="$MODEL" --host=0.0.0.0 --port="$PORT" --trust-remote-code \
    --tensor-parallel-size="$TP" \
    --mem-fraction-static=0.8 \
    --cuda-graph-max-bs=128 \
    --chunked-prefill-size=131072 \
    --num-continuous-decode-steps=4 \
    --max-prefill-tokens=131072 \
    --kv-cache-dtype fp8_e4m3 \
    --attention-backend aiter \
    --disable-radix-cache \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
