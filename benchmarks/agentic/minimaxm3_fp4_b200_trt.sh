#!/usr/bin/env bash
# AgentX (agentic-coding) trace replay: MiniMax-M3 FP4 on B200 with TensorRT-LLM, KV block
# reuse (prefix caching) on, KV offload to host memory through TensorRT-LLM's own secondary
# pool (KV_OFFLOAD_BACKEND native): kv_cache_config.host_cache_size, in bytes per rank,
# from TOTAL_CPU_DRAM_GB.
set -eo pipefail
# shellcheck source=../benchmark_lib.sh
source "$(dirname "$0")/../benchmark_lib.sh"

check_env_vars MODEL TP CONC KV_OFFLOADING DURATION RESULT_FILENAME
MAX_MODEL_LEN=1048576

host_cache=""
if require_agentic_kv_offload_backend native; then
    host_cache="    host_cache_size: $((TOTAL_CPU_DRAM_GB * 1000000000 / TP))"
fi
mkdir -p "$RESULT_DIR"
options="$RESULT_DIR/trtllm_config.yaml"
cat >"$options" <<YAML
max_seq_len: $MAX_MODEL_LEN
max_num_tokens: 16384
max_batch_size: $((2 * CONC))
enable_chunked_prefill: true
trust_remote_code: true
stream_interval: 20
kv_cache_config:
    free_gpu_memory_fraction: 0.90
    enable_block_reuse: true
    tokens_per_block: 128
    dtype: fp8
$host_cache
YAML

# TensorRT-LLM's /metrics is JSON, not Prometheus text: no engine metric
# prefix to require.
start_agentic_server trtllm mpirun -n 1 --oversubscribe --allow-run-as-root \
    trtllm-serve "$MODEL" --tp_size "$TP" --ep_size "${EP_SIZE:-1}" --host 0.0.0.0 --port "$PORT" \
    --config "$options"
run_agentic_benchmark
