#!/usr/bin/env bash
# DeepSeek-R1 FP8 on B200 with SGLang. TP=8 for every sequence length, TP=4 for 8k1k only.
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME EP_SIZE
print_job_banner

nvidia-smi
hf download "$MODEL"

export SGL_ENABLE_JIT_DEEPGEMM=false
export SGLANG_ENABLE_FLASHINFER_GEMM=true

case "$TP" in
    8)
        recv_interval=10
        if ((CONC >= 16)); then recv_interval=30; fi
        max_running=128
        mem_fraction=0.82
        prefill_chunk=32768
        ;;
    4)
        if ((ISL != 8192 || OSL != 1024)); then
            echo "error: TP=4 is tuned for ISL=8192 OSL=1024 only, got ISL=$ISL OSL=$OSL" >&2
            exit 1
        fi
        recv_interval=10
        max_running=32
        mem_fraction=0.95
        prefill_chunk=8192
        ;;
    *)
        echo "error: no settings for TP=$TP (8, or 4 for 8k1k)" >&2
        exit 1
        ;;
esac
echo "scheduler-recv-interval=$recv_interval max-running-requests=$max_running"

# An eval-only job serves the eval's context length.
eval_context_args --context-length

start_gpu_monitor
set -x
PYTHONNOUSERSITE=1 python3 -m sglang.launch_server --model-path="$MODEL" --host=0.0.0.0 --port="$PORT" \
    --tensor-parallel-size="$TP" --data-parallel-size=1 \
    --cuda-graph-max-bs "$max_running" --max-running-requests "$max_running" \
    --mem-fraction-static "$mem_fraction" --kv-cache-dtype fp8_e4m3 \
    --chunked-prefill-size "$prefill_chunk" --max-prefill-tokens "$prefill_chunk" \
    --enable-flashinfer-allreduce-fusion --scheduler-recv-interval "$recv_interval" --disable-radix-cache \
    --attention-backend trtllm_mla --stream-interval 30 --ep-size "$EP_SIZE" \
    --moe-runner-backend flashinfer_trtllm --quantization fp8 \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
