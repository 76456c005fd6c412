#!/usr/bin/env bash
# gpt-oss-120b (MXFP4) on MI325X with vLLM (ROCm, AITER kernels).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME
print_job_banner

hf download "$MODEL"
rocm_scratch_reclaim_workaround
# Under Slurm only ROCR_VISIBLE_DEVICES is set; HIP needs the same list.
if [[ -n "${ROCR_VISIBLE_DEVICES:-}" ]]; then
    export HIP_VISIBLE_DEVICES="$ROCR_VISIBLE_DEVICES"
fi

export VLLM_ROCM_USE_AITER=1
export VLLM_ROCM_USE_AITER_UNIFIED_ATTENTION=1
export VLLM_ROCM_USE_AITER_MHA=0

# An eval-only job serves the eval's context length.
eval_context_args --max-model-len

start_gpu_monitor
set -x
vllm serve "$MODEL" --port "$PORT" \
    --tensor-parallel-size="$TP" \
    --gpu-memory-utilization 0.95 \
    --max-model-len "$MAX_MODEL_LEN" \
    --compilation-config '{"cudagraph_mode": "FULL_AND_PIECEWISE"}' \
    --block-size=64 \
    --no-enable-prefix-caching \
    --disable-log-requests \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
