#!/usr/bin/env bash
# DeepSeek-R1 FP8 on MI355X nodes, disaggregated prefill/decode with SGLang (MoRI transfer),
# through the sglang_disagg Slurm scripts (submit_disagg.sh).
# shellcheck source=multinode_lib.sh
source "$(dirname "$0")/multinode_lib.sh"

check_env_vars CONC_LIST ISL OSL IMAGE SPEC_DECODING MODEL_PATH GITHUB_WORKSPACE RESULT_FILENAME \
    PREFILL_NUM_WORKERS PREFILL_TP PREFILL_EP PREFILL_DP_ATTN \
    DECODE_NUM_WORKERS DECODE_TP DECODE_EP DECODE_DP_ATTN \
    PREFILL_NODES DECODE_NODES SGL_SLURM_JOBS_PATH RANDOM_RANGE_RATIO
print_job_banner
set -x

cd "$GITHUB_WORKSPACE" || exit 1
rm -rf "$SGL_SLURM_JOBS_PATH"
git clone --branch cam/sa-260114 https://github.com/cquil11/sglang_disagg.git "$SGL_SLURM_JOBS_PATH"
jobs_dir="$GITHUB_WORKSPACE/$SGL_SLURM_JOBS_PATH"
cd "$jobs_dir" || exit 1

export TIME_LIMIT="08:00:00"
export MODEL_NAME="DeepSeek-R1"
export CONTAINER_IMAGE="$IMAGE"
export MODEL_PATH
# Both sides always use expert parallelism; attention data parallelism
# follows the config.
export PREFILL_ENABLE_EP=true DECODE_ENABLE_EP=true
export PREFILL_ENABLE_DP=false DECODE_ENABLE_DP=false
if [[ "$PREFILL_DP_ATTN" == true ]]; then PREFILL_ENABLE_DP=true; fi
if [[ "$DECODE_DP_ATTN" == true ]]; then DECODE_ENABLE_DP=true; fi

# submit_disagg.sh takes the concurrencies joined by "x" (4x8x16) and prints
# the Slurm job id.
job=$(bash ./submit_disagg.sh "$PREFILL_NODES" "$PREFILL_NUM_WORKERS" \
    "$DECODE_NODES" "$DECODE_NUM_WORKERS" \
    "$ISL" "$OSL" "${CONC_LIST// /x}" inf \
    "$PREFILL_ENABLE_EP" "$PREFILL_ENABLE_DP" \
    "$DECODE_ENABLE_EP" "$DECODE_ENABLE_DP" \
    "$RANDOM_RANGE_RATIO")
if [[ ! "$job" =~ ^[0-9]+$ ]]; then
    echo "error: submit_disagg.sh did not print a job id (got '$job')" >&2
    exit 1
fi

follow_slurm_log "$job" "$jobs_dir/slurm_job-${job}.out" || exit 1

# Each run writes logs/<run>/sglang_isl_I_osl_O/; take the newest.
results=$(newest_dir "$jobs_dir"/logs/*/"sglang_isl_${ISL}_osl_${OSL}")
if [[ -z "$results" ]]; then
    echo "error: no results directory for ISL=$ISL OSL=$OSL under $jobs_dir/logs" >&2
    scancel_sync "$job"
    exit 1
fi
ls -la "$results"
copy_results_as_is "$results"
status=$?
# Release the job's hold on the NFS files before the launcher removes them.
scancel_sync "$job"
exit "$status"
