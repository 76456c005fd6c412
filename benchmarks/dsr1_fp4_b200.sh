#!/usr/bin/env bash
# DeepSeek-R1 FP4 (ModelOpt NVFP4) on B200 with SGLang.
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME EP_SIZE
print_job_banner

hf download "$MODEL"
nvidia-smi

# At high concurrency the scheduler polls for new requests less often.
recv_interval=10
if ((CONC >= 16)); then
    recv_interval=30
fi
echo "scheduler-recv-interval=$recv_interval"

# An eval-only job serves the eval's context length.
eval_context_args --context-length

start_gpu_monitor
set -x
PYTHONNOUSERSITE=1 python3 -m sglang.launch_server --model-path "$MODEL" \
    --host 0.0.0.0 --port "$PORT" --trust-remote-code \
    --tensor-parallel-size="$TP" --data-parallel-size=1 \
    --cuda-graph-max-bs 256 --max-running-requests 256 --mem-fraction-static 0.85 --kv-cache-dtype fp8_e4m3 \
    --chunked-prefill-size 16384 \
    --ep-size "$EP_SIZE" --quantization modelopt_fp4 --enable-flashinfer-allreduce-fusion \
    --scheduler-recv-interval "$recv_interval" \
    --enable-symm-mem --disable-radix-cache --attention-backend trtllm_mla \
    --moe-runner-backend flashinfer_trtllm --stream-interval 10 \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
