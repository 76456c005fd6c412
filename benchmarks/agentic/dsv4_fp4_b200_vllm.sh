#!/usr/bin/env bash
# AgentX (agentic-coding) trace replay: DeepSeek-V4-Pro FP4 on B200 with vLLM, prefix caching
# on, KV offload to host DRAM through vLLM's SimpleCPUOffloadConnector (KV_OFFLOAD_BACKEND
# vllm-simple) sized from TOTAL_CPU_DRAM_GB, split evenly over the ranks.
set -eo pipefail
# shellcheck source=../benchmark_lib.sh
source "$(dirname "$0")/../benchmark_lib.sh"

check_env_vars MODEL TP CONC KV_OFFLOADING DURATION RESULT_FILENAME
EP_SIZE=${EP_SIZE:-1}
GPU_COUNT=$((TP * ${PP_SIZE:-1} * ${PCP_SIZE:-1}))
# The 1M-token context of the model family (the trace corpus is the uncapped one).
MAX_MODEL_LEN=1048576

offload_args=()
if require_agentic_kv_offload_backend vllm-simple; then
    # Identical prefixes hash to identical block keys on every rank.
    export PYTHONHASHSEED=42
    per_rank=$((TOTAL_CPU_DRAM_GB * 1000000000 / GPU_COUNT))
    offload_args=(--kv-transfer-config "{\"kv_connector\":\"SimpleCPUOffloadConnector\",\"kv_role\":\"kv_both\",\"kv_connector_extra_config\":{\"cpu_bytes_to_use_per_rank\":${per_rank},\"enable_cross_layers_blocks\":\"true\",\"lazy_offload\":false}}")
fi
parallel_args=(--tensor-parallel-size "$TP")
if [[ "${DP_ATTENTION:-false}" == true ]]; then
    parallel_args=(--tensor-parallel-size 1 --data-parallel-size "$TP" --enable-expert-parallel)
elif ((EP_SIZE > 1)); then
    parallel_args+=(--enable-expert-parallel)
fi

# The replay checks the engine's own metrics (prefix cache hits, KV usage).
export AIPERF_REQUIRED_SERVER_METRIC_PREFIX=vllm:
start_agentic_server vllm vllm serve "$MODEL" --served-model-name "$MODEL" --host 0.0.0.0 --port "$PORT" \
    --trust-remote-code --kv-cache-dtype fp8 --block-size 256 --max-model-len "$MAX_MODEL_LEN" \
    --gpu-memory-utilization "${GPU_MEMORY_UTILIZATION:-0.90}" --enable-prefix-caching --enable-prompt-tokens-details \
    --max-num-seqs "$((2 * CONC))" --tokenizer-mode deepseek_v4 --tool-call-parser deepseek_v4 \
    --enable-auto-tool-choice --reasoning-parser deepseek_v4 --disable-uvicorn-access-log \
    "${parallel_args[@]}" "${offload_args[@]}"
run_agentic_benchmark
