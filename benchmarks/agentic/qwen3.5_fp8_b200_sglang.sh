#!/usr/bin/env bash
# AgentX (agentic-coding) trace replay: Qwen3.5 FP8 on B200 with SGLang, radix (prefix) cache
# on, KV offload to host DRAM through SGLang's hierarchical cache (KV_OFFLOAD_BACKEND hicache).
# --hicache-size is per rank and SGLang adds the Mamba state (1/15 of it) beside it: the
# per-rank size keeps TOTAL_CPU_DRAM_GB, less 1 GB per rank for page alignment, as the bound.
set -eo pipefail
# shellcheck source=../benchmark_lib.sh
source "$(dirname "$0")/../benchmark_lib.sh"

check_env_vars MODEL TP CONC KV_OFFLOADING DURATION RESULT_FILENAME
EP_SIZE=${EP_SIZE:-1}
# Shorter than 1M tokens: the replay uses the 256k-capped corpus.
MAX_MODEL_LEN=262144

cache_args=(--page-size 64)
if require_agentic_kv_offload_backend hicache; then
    usable=$((TOTAL_CPU_DRAM_GB - TP))
    hicache_gb=$((usable * 15 / TP / 16))
    if ((hicache_gb < 1)); then
        echo "error: TOTAL_CPU_DRAM_GB=$TOTAL_CPU_DRAM_GB leaves no HiCache pool for $TP ranks" >&2
        exit 1
    fi
    cache_args+=(--enable-hierarchical-cache --hicache-size "$hicache_gb" --hicache-io-backend kernel
        --hicache-mem-layout page_first --hicache-write-policy write_through_selective)
fi
# Concurrency counts session trees: room for subagents, graphs no larger than useful.
max_running=$((2 * CONC))
graph_bs=$((CONC > 64 ? 64 : CONC))
# Server-side keep-alive beyond the client's idle pool timeout.
export SGLANG_TIMEOUT_KEEP_ALIVE=1800

export AIPERF_REQUIRED_SERVER_METRIC_PREFIX=sglang:
start_agentic_server sglang "${PYTHON:-python3}" -m sglang.launch_server --model-path "$MODEL" --served-model-name "$MODEL" \
    --host 0.0.0.0 --port "$PORT" --trust-remote-code --tp "$TP" --dp 1 --ep-size "$EP_SIZE" \
    --quantization fp8 --kv-cache-dtype fp8_e4m3 --context-length "$MAX_MODEL_LEN" \
    --cuda-graph-max-bs "$graph_bs" --max-running-requests "$max_running" \
    --max-prefill-tokens 16384 --chunked-prefill-size 16384 --mem-fraction-static 0.80 \
    --enable-metrics --reasoning-parser qwen3 "${cache_args[@]}"
run_agentic_benchmark
