#!/usr/bin/env bash
# gpt-oss-120b (MXFP4) on MI355X with vLLM (ROCm 7 image, AITER kernels).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME
print_job_banner

hf download "$MODEL"

# joined SEP N... prints the numbers joined by SEP.
joined() {
    local IFS=$1
    shift
    echo "$*"
}
# torch.compile sizes: 1, every even size to 128, then a few large ones.
# CUDA graphs: 1, even sizes to 128, steps of 8 to 1024, then 2048-8192.
compile_sizes=(1)
graph_sizes=(1)
for ((n = 2; n <= 128; n += 2)); do
    compile_sizes+=("$n")
    graph_sizes+=("$n")
done
for ((n = 136; n <= 1024; n += 8)); do
    graph_sizes+=("$n")
done
compile_sizes+=(256 512 1024 2048 8192)
graph_sizes+=(2048 4096 8192)
cat >config.yaml <<CONFIG
compilation-config: '{"compile_sizes":[$(joined , "${compile_sizes[@]}")], "cudagraph_capture_sizes":[$(joined , "${graph_sizes[@]}")], "cudagraph_mode": "FULL_AND_PIECEWISE"}'
CONFIG
cat config.yaml

export VLLM_USE_AITER_UNIFIED_ATTENTION=1
export VLLM_ROCM_USE_AITER_MHA=0
export VLLM_ROCM_USE_AITER_FUSED_MOE_A16W4=1

# An eval-only job serves the eval's context length.
eval_context_args --max-model-len

start_gpu_monitor
set -x
vllm serve "$MODEL" --port "$PORT" \
    --tensor-parallel-size="$TP" \
    --gpu-memory-utilization 0.95 \
    --max-model-len "$MAX_MODEL_LEN" \
    --max-seq-len-to-capture "$MAX_MODEL_LEN" \
    --config config.yaml \
    --block-size=64 \
    --no-enable-prefix-caching \
    --disable-log-requests \
    --async-scheduling \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
