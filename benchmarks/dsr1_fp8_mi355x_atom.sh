#!/usr/bin/env bash
# DeepSeek-R1 FP8 on MI355X with ATOM (AMD's inference engine).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME EP_SIZE DP_ATTENTION
print_job_banner

export OMP_NUM_THREADS=1

# 1k1k runs with ATOM's default context length; longer jobs get 10240 tokens.
extra_args=()
if ((ISL != 1024 || OSL != 1024)); then
    extra_args+=(--max-model-len 10240)
fi
if ((EP_SIZE > 1)); then
    extra_args+=(--enable-expert-parallel)
fi
block_size=${BLOCK_SIZE:-16}

# An eval-only job serves the eval's context length.
eval_context_args --max-model-len

start_gpu_monitor
set -x
python3 -m atom.entrypoints.openai_server \
    --model "$MODEL" \
    --server-port "$PORT" \
    -tp "$TP" \
    --kv_cache_dtype fp8 "${extra_args[@]}" \
    --block-size "$block_size" \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
