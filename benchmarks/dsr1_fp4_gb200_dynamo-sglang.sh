#!/usr/bin/env bash
# DeepSeek-R1 FP4 on GB200 NVL72, disaggregated prefill/decode with Dynamo and SGLang,
# through the Slurm scripts of Dynamo's SGLang example (submit_disagg.sh).
# shellcheck source=multinode_lib.sh
source "$(dirname "$0")/multinode_lib.sh"

check_env_vars CONC_LIST ISL OSL IMAGE SPEC_DECODING MODEL_PATH GITHUB_WORKSPACE RESULT_FILENAME \
    PREFILL_NUM_WORKERS PREFILL_TP PREFILL_EP PREFILL_DP_ATTN \
    DECODE_NUM_WORKERS DECODE_TP DECODE_EP DECODE_DP_ATTN \
    PREFILL_NODES DECODE_NODES N_ADDITIONAL_FRONTENDS SGL_SLURM_JOBS_PATH CONFIG_DIR SCRIPT_MODE
set -x

# The submit scripts and their configs are frozen at this Dynamo commit.
cd "$GITHUB_WORKSPACE" || exit 1
rm -rf dynamo
git clone https://github.com/ai-dynamo/dynamo.git
git -C dynamo checkout b7107d008392eded64c23a7540fb99bca46b4c91
jobs_dir="$GITHUB_WORKSPACE/$SGL_SLURM_JOBS_PATH"
cd "$jobs_dir" || exit 1

export TIME_LIMIT="04:00:00"
export CONTAINER_IMAGE="$IMAGE"
export GPU_TYPE="gb200-fp4"
export MODEL_PATH CONFIG_DIR

# submit_disagg.sh takes the concurrencies joined by "x" (4x8x16).
bash ./submit_disagg.sh "$PREFILL_NODES" "$PREFILL_NUM_WORKERS" \
    "$DECODE_NODES" "$DECODE_NUM_WORKERS" "$N_ADDITIONAL_FRONTENDS" \
    "$ISL" "$OSL" "${CONC_LIST// /x}" inf "$GPU_TYPE" "$SCRIPT_MODE" || exit 1

# The script submits several jobs and reports none of their ids.
wait_for_user_jobs 30

# Each run writes logs/<run>/vllm_isl_I_osl_O/; take the newest.
results=$(newest_dir "$jobs_dir"/logs/*/"vllm_isl_${ISL}_osl_${OSL}")
if [[ -z "$results" ]]; then
    echo "error: no results directory for ISL=$ISL OSL=$OSL under $jobs_dir/logs" >&2
    exit 1
fi
ls -la "$results"
copy_results_as_is "$results"
