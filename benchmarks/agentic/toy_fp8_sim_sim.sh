#!/usr/bin/env bash
# The demo's agentic-coding job: `loadgen replay` on synthesized traces against loadgen's
# simulated server with a prefix cache, on the runner itself (runners/launch_sim.sh). Every
# number it yields is SIMULATED.
#
# The server keeps SIM_KV_CACHE_TOKENS tokens of KV (8192: less than the lanes' contexts, so
# that blocks are evicted); with KV_OFFLOADING=dram evicted blocks go to a CPU tier of
# TOTAL_CPU_DRAM_GB x SIM_OFFLOAD_TOKENS_PER_GB tokens, from where they come back at a transfer
# cost instead of being prefilled again. The traces are AGENTIC_TRACES, else synthesized here
# (seeded: every run replays the same ones). SIM_AGENTIC_DURATION, when set, replaces the
# job's DURATION: the demo runs seconds, not an hour.
set -eo pipefail
# shellcheck source=../benchmark_lib.sh
source "$(dirname "$0")/../benchmark_lib.sh"

check_env_vars MODEL TP CONC KV_OFFLOADING DURATION RESULT_FILENAME
DURATION=${SIM_AGENTIC_DURATION:-$DURATION}
: "${SIM_KV_CACHE_TOKENS:=8192}" "${SIM_OFFLOAD_TOKENS_PER_GB:=4096}" "${SIM_BLOCK_SIZE:=64}"
: "${SIM_DECODE_STEP_MS:=8}" "${SIM_PREFILL_MS_PER_TOKEN:=0.005}" "${SIM_MAX_BATCH:=64}"
echo "job: SIMULATED agentic-coding, model=$MODEL tp=$TP conc=$CONC kv-offloading=$KV_OFFLOADING duration=${DURATION}s"

loadgen=${LOADGEN_BIN:-$WORKSPACE_DIR/bin/loadgen}
mkdir -p "$RESULT_DIR"
SERVER_LOG="$RESULT_DIR/server.log"

cache_args=(--block-size "$SIM_BLOCK_SIZE" --kv-cache-tokens "$SIM_KV_CACHE_TOKENS")
if require_agentic_kv_offload_backend sim-dram; then
    cache_args+=(--kv-offload-tokens "$((TOTAL_CPU_DRAM_GB * SIM_OFFLOAD_TOKENS_PER_GB))")
fi

if [[ -z "${AGENTIC_TRACES:-}" ]]; then
    AGENTIC_TRACES="$RESULT_DIR/traces.jsonl"
    "$loadgen" traces synth --output "$AGENTIC_TRACES" --traces "${SIM_TRACES:-8}" --seed 15 \
        --min-turns 4 --max-turns 10 --block-size "$SIM_BLOCK_SIZE" --shared-prefix 512 \
        --first-input 2000 --turn-input 300 --output-tokens 32 --max-context 16384 --think-time 0.2
fi
export AGENTIC_TRACES

start_sim_server "$RESULT_DIR/sim-server.url" --max-model-len 32768 \
    --decode-step-ms "$SIM_DECODE_STEP_MS" --prefill-ms-per-token "$SIM_PREFILL_MS_PER_TOKEN" \
    --max-batch "$SIM_MAX_BATCH" "${cache_args[@]}"
wait_for_server_ready --port "$PORT" --server-log "$SERVER_LOG" --server-pid "$SERVER_PID" \
    --sleep-interval "${HEALTH_POLL_INTERVAL:-5}"

# The warmup is one request per lane: the demo's traces are short.
export AIPERF_WARMUP_REQUESTS_PER_LANE=${AIPERF_WARMUP_REQUESTS_PER_LANE:-1}
MAX_MODEL_LEN=32768
resolve_trace_source
build_replay_cmd "$RESULT_DIR"
run_agentic_replay_and_write_outputs "$RESULT_DIR"
