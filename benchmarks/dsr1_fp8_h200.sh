#!/usr/bin/env bash
# DeepSeek-R1 FP8 on H200 with SGLang.
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME
print_job_banner

pip3 install --user sentencepiece
hf download "$MODEL"
export TORCH_CUDA_ARCH_LIST="9.0"

# 1k1k runs up to 512 requests at once; the longer sequences fit 256.
max_running=256
if ((ISL == 1024 && OSL == 1024)); then
    max_running=512
fi

# An eval-only job serves the eval's context length.
eval_context_args --context-length

start_gpu_monitor
set -x
PYTHONNOUSERSITE=1 python3 -m sglang.launch_server --model-path "$MODEL" \
    --host 0.0.0.0 --port "$PORT" --trust-remote-code \
    --tensor-parallel-size="$TP" --data-parallel-size=1 \
    --disable-radix-cache --max-running-requests "$max_running" --cuda-graph-max-bs "$max_running" \
    --chunked-prefill-size 32768 --max-prefill-tokens 32768 --mem-fraction-static 0.82 \
    --attention-backend flashinfer --stream-interval 10 --decode-log-interval 1 \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
