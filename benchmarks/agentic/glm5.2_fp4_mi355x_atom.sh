#!/usr/bin/env bash
# AgentX (agentic-coding) trace replay: GLM-5.2 FP4 on MI355X with ATOM, prefix caching on,
# KV offload to host DRAM through LMCache (KV_OFFLOAD_BACKEND lmcache), its local CPU pool
# TOTAL_CPU_DRAM_GB.
set -eo pipefail
# shellcheck source=../benchmark_lib.sh
source "$(dirname "$0")/../benchmark_lib.sh"

check_env_vars MODEL TP CONC KV_OFFLOADING DURATION RESULT_FILENAME
MAX_MODEL_LEN=1048576

offload_args=()
if require_agentic_kv_offload_backend lmcache; then
    export PYTHONHASHSEED=0 LMCACHE_LOCAL_CPU=True LMCACHE_MAX_LOCAL_CPU_SIZE=$TOTAL_CPU_DRAM_GB
    export LMCACHE_CHUNK_SIZE=256 OFFLOAD_MIN_LOAD_TOKENS=8192
    offload_args=(--kv-transfer-config '{"kv_connector":"lmcache_offload","kv_role":"offload"}')
fi

export AIPERF_REQUIRED_SERVER_METRIC_PREFIX=atom:
start_agentic_server atom "${PYTHON:-python3}" -m atom.entrypoints.openai_server --model "$MODEL" \
    --host 0.0.0.0 --server-port "$PORT" --tensor-parallel-size "$TP" --max-num-seqs "$((2 * CONC))" \
    --max-num-batched-tokens 16384 --kv_cache_dtype fp8 --enable-prefix-caching "${offload_args[@]}"
run_agentic_benchmark
