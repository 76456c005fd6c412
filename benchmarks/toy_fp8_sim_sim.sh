#!/usr/bin/env bash
# The demo's serving stack: loadgen's simulated OpenAI-compatible server, on the runner
# itself (runners/launch_sim.sh). Every number it yields is SIMULATED.
#
# Timing model of one engine step: SIM_DECODE_STEP_MS on one GPU, divided by TP to the power
# SIM_TP_SCALING (more GPUs help, less than linearly), plus SIM_DECODE_MS_PER_SEQ per running
# request and SIM_PREFILL_MS_PER_TOKEN per prompt token prefilled in the step; at most
# SIM_MAX_BATCH requests run at once. Each running request gets one token per step.
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME
print_job_banner

: "${SIM_DECODE_STEP_MS:=8}" "${SIM_TP_SCALING:=0.7}" "${SIM_DECODE_MS_PER_SEQ:=0.5}"
: "${SIM_PREFILL_MS_PER_TOKEN:=0.005}" "${SIM_MAX_BATCH:=64}"
step_ms=$(awk -v base="$SIM_DECODE_STEP_MS" -v tp="$TP" -v e="$SIM_TP_SCALING" 'BEGIN { printf "%.4f", base / tp ^ e }')
echo "SIMULATED server: step ${step_ms} ms + ${SIM_DECODE_MS_PER_SEQ} ms per running request, at most ${SIM_MAX_BATCH} at once"

# An eval job asks the server through `loadgen sim-eval` where lm_eval is not installed (its
# files say SIMULATED; SIM_EVAL_SCORE sets the score, EVAL_LIMIT the questions, default 16),
# with the eval's context length; nothing goes to the network for the model's config.
export LM_EVAL_STANDIN=1 HF_HUB_OFFLINE=1
eval_context_override MAX_MODEL_LEN

start_gpu_monitor
start_sim_server "$WORKSPACE_DIR/sim-server.url" --max-model-len "$MAX_MODEL_LEN" \
    --decode-step-ms "$step_ms" --decode-ms-per-seq "$SIM_DECODE_MS_PER_SEQ" \
    --prefill-ms-per-token "$SIM_PREFILL_MS_PER_TOKEN" --max-batch "$SIM_MAX_BATCH" || exit 1

run_standard_benchmark --backend vllm
