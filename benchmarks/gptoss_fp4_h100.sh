#!/usr/bin/env bash
# gpt-oss-120b (MXFP4 through the Marlin kernels) on H100 with vLLM.
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME
print_job_banner

hf download "$MODEL"

cat >config.yaml <<CONFIG
async-scheduling: true
no-enable-prefix-caching: true
max-cudagraph-capture-size: 2048
max-num-batched-tokens: 8192
max-model-len: 10240
CONFIG

export PYTHONNOUSERSITE=1
export VLLM_MXFP4_USE_MARLIN=1

# An eval-only job serves the eval's context length.
eval_context_args --max-model-len

start_gpu_monitor
set -x
vllm serve "$MODEL" --host=0.0.0.0 --port="$PORT" \
    --config config.yaml \
    --gpu-memory-utilization=0.9 \
    --tensor-parallel-size="$TP" \
    --max-num-seqs="$CONC" \
    --disable-log-requests \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
