#!/usr/bin/env bash
# Functions the multi-node benchmark scripts source. A multi-node script runs
# on the runner host (not in a container): it submits the disaggregated
# serving recipe to Slurm, waits for it, and leaves one result file per
# concurrency in the workspace as
#
#   $GITHUB_WORKSPACE/${RESULT_FILENAME}_<anything>_gpus_<N>_ctx_<P>_gen_<D>.json
#
# (N GPUs in all, P of them prefill, D decode), which the multi-node workflow
# template turns into processed results. The launcher (runners/launch_<node>.sh)
# has exported the node's facts before it runs the script.

# shellcheck source=benchmark_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/benchmark_lib.sh"

# srt-slurm (srtctl) and the recipe branch the dynamo configs name in
# additional-settings (CONFIG_FILE=recipes/...).
SRT_SLURM_REPO=https://github.com/ishandhanani/srt-slurm.git
SRT_SLURM_BRANCH=sa-submission-q1-2026

# wait_for_slurm_job JOBID [SECONDS] polls until the job has left the queue.
wait_for_slurm_job() {
    local job=$1 interval=${2:-30}
    echo "waiting for Slurm job $job"
    while [[ -n "$(squeue -j "$job" --noheader 2>/dev/null)" ]]; do
        squeue -j "$job"
        sleep "$interval"
    done
    echo "Slurm job $job has finished"
}

# wait_for_user_jobs [SECONDS] polls until none of this user's jobs is queued
# (for submit scripts that start several jobs and report none of their ids).
wait_for_user_jobs() {
    local interval=${1:-30}
    while [[ -n "$(squeue -u "$USER" --noheader --format='%i')" ]]; do
        squeue --steps -u "$USER"
        sleep "$interval"
    done
}

# follow_slurm_log JOBID FILE prints FILE (the job's output) as it grows and
# returns when the job has left the queue; fails when the job ends before it
# has written FILE.
follow_slurm_log() {
    local job=$1 log=$2
    until [[ -f "$log" ]]; do
        if [[ -z "$(squeue -j "$job" --noheader 2>/dev/null)" ]]; then
            echo "error: Slurm job $job ended before writing $log" >&2
            scontrol show job "$job" || true
            return 1
        fi
        sleep 5
    done
    (
        while [[ -n "$(squeue -j "$job" --noheader 2>/dev/null)" ]]; do
            sleep 10
        done
    ) &
    local poll=$!
    # -F follows by name and polls, which NFS needs.
    tail -F -s 2 -n +1 --pid="$poll" "$log" 2>/dev/null
    wait "$poll"
}

# scancel_sync JOBID [TIMEOUT] cancels the job and waits (up to TIMEOUT
# seconds, default 600) until Slurm has let go of it, so that files it held
# open on NFS are closed before the next step deletes them.
scancel_sync() {
    local job=$1 timeout=${2:-600} start
    start=$(date +%s)
    scancel "$job" || true
    while [[ -n "$(squeue -j "$job" --noheader 2>/dev/null)" ]]; do
        if (($(date +%s) - start >= timeout)); then
            echo "warning: Slurm job $job is still queued after ${timeout}s" >&2
            return 1
        fi
        sleep 10
    done
}

# newest_dir GLOB... prints the most recently modified directory among those
# the patterns match, or nothing.
newest_dir() {
    local d newest="" newest_time=0 t
    for d in "$@"; do
        [[ -d "$d" ]] || continue
        t=$(stat -c %Y "$d")
        if ((t > newest_time)); then
            newest=$d
            newest_time=$t
        fi
    done
    printf '%s' "$newest"
}

# start_gpu_monitor_slurm JOBID PREFILL_NODES [DIR] runs gpumon on every node
# of Slurm job JOBID once it is running: one step of one task per node that
# shares the job's resources (--overlap), writing DIR/<role>_<host>.csv
# (DIR: GPU_METRICS_DIR, default $GITHUB_WORKSPACE/gpu_metrics, where
# resultproc reads them). The first PREFILL_NODES nodes of the allocation
# are prefill, the rest decode: the order the disaggregated recipes place
# their workers in. The step ends with the job (Slurm sends gpumon SIGTERM,
# and it writes its last sample) or with stop_gpu_monitor_slurm. Extra srun
# options (the GPUs the step may see, e.g. --gres=gpu:4) come from
# GPU_MONITOR_SRUN_ARGS. Telemetry never stops a benchmark: anything missing
# is reported and the job goes on without it.
start_gpu_monitor_slurm() {
    local job=$1 prefills=$2 dir=${3:-${GPU_METRICS_DIR:-$GITHUB_WORKSPACE/gpu_metrics}}
    local gpumon=${GPUMON_BIN:-$GITHUB_WORKSPACE/bin/gpumon}
    if [[ ! -x "$gpumon" ]]; then
        echo "[GPU Monitor] Warning: no gpumon at $gpumon: no power telemetry for this job" >&2
        return 0
    fi
    if [[ ! "$prefills" =~ ^[0-9]+$ ]]; then
        echo "[GPU Monitor] Warning: prefill node count '$prefills' is not a number: no power telemetry for this job" >&2
        return 0
    fi
    mkdir -p "$dir"
    local -a extra=()
    read -r -a extra <<<"${GPU_MONITOR_SRUN_ARGS:-}"
    (
        local state nodes
        while true; do
            state=$(squeue -j "$job" --noheader --format=%T 2>/dev/null)
            case "$state" in
                RUNNING) break ;;
                "") echo "job $job left the queue before it ran"; exit 0 ;;
            esac
            sleep "${GPU_MONITOR_POLL:-10}"
        done
        nodes=$(squeue -j "$job" --noheader --format=%D 2>/dev/null)
        echo "job $job runs on $nodes node(s), the first $prefills prefill"
        # shellcheck disable=SC2016 # expanded by the task's own shell
        srun --jobid="$job" --overlap --nodes="$nodes" --ntasks-per-node=1 --kill-on-bad-exit=0 "${extra[@]}" \
            bash -c 'role=decode; if ((SLURM_NODEID < $3)); then role=prefill; fi
                     exec "$0" --output "$1/${role}_${SLURMD_NODENAME:-$(hostname -s)}.csv" --interval "$2"' \
            "$gpumon" "$dir" "${GPU_MONITOR_INTERVAL:-0.1}" "$prefills" &
        echo $! >"$dir/.srun.pid"
        wait
    ) >"$dir/gpumon-slurm.log" 2>&1 &
    GPU_MONITOR_SLURM_PID=$!
    GPU_MONITOR_SLURM_DIR=$dir
    echo "[GPU Monitor] gpumon will run on every node of Slurm job $job -> $dir (log: $dir/gpumon-slurm.log)"
}

# stop_gpu_monitor_slurm ends the gpumon step of start_gpu_monitor_slurm
# (srun passes SIGTERM on to each gpumon, which writes its last sample).
stop_gpu_monitor_slurm() {
    [[ -n "${GPU_MONITOR_SLURM_PID:-}" ]] || return 0
    local dir=$GPU_MONITOR_SLURM_DIR
    if [[ -f "$dir/.srun.pid" ]]; then
        kill -TERM "$(cat "$dir/.srun.pid")" 2>/dev/null || true
    fi
    local _
    for _ in {1..150}; do
        kill -0 "$GPU_MONITOR_SLURM_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill "$GPU_MONITOR_SLURM_PID" 2>/dev/null || true
    wait "$GPU_MONITOR_SLURM_PID" 2>/dev/null || true
    GPU_MONITOR_SLURM_PID=""
    rm -f "$dir/.srun.pid"
    cat "$dir/gpumon-slurm.log" 2>/dev/null || true
    ls -l "$dir"
}

# recipe_prefill_nodes FILE prints resources.prefill_nodes of an srt-slurm
# recipe.
recipe_prefill_nodes() {
    awk '/^resources:/ { r = 1; next } r && /^[^ #]/ { r = 0 } r && $1 == "prefill_nodes:" { print $2; exit }' "$1"
}

# copy_results_as_is DIR copies every file of DIR into the workspace as
# ${RESULT_FILENAME}_<file name>: for recipes that already put the GPU counts
# in their file names (isl_.._concurrency_.._gpus_N_ctx_P_gen_D.json).
copy_results_as_is() {
    local dir=$1 f n=0
    for f in "$dir"/*; do
        [[ -f "$f" ]] || continue
        cp "$f" "${GITHUB_WORKSPACE}/${RESULT_FILENAME}_$(basename "$f")"
        n=$((n + 1))
    done
    echo "copied $n result file(s) from $dir"
    ((n > 0))
}

# copy_eval_artifacts DIR copies an eval-only job's files into the workspace:
# the newest meta_env.json under DIR (where the recipe's eval step left it,
# e.g. logs/<run>/eval_results/) and the results*.json and samples*.jsonl
# beside it. The eval runs inside the recipe (its scripts read EVAL_ONLY,
# EVAL_CONC and RUN_EVAL from the environment the job was submitted with).
# Fails when DIR holds no eval.
copy_eval_artifacts() {
    local root=$1 meta dir f n=0
    meta=$(find "$root" -type f -name meta_env.json -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-)
    if [[ -z "$meta" ]]; then
        echo "error: no eval results (meta_env.json) under $root" >&2
        return 1
    fi
    dir=$(dirname "$meta")
    for f in "$dir"/meta_env.json "$dir"/results*.json "$dir"/samples*.jsonl; do
        [[ -f "$f" ]] || continue
        cp "$f" "${GITHUB_WORKSPACE}/"
        n=$((n + 1))
    done
    echo "copied $n eval file(s) from $dir"
    ((n > 1))
}

# _srtslurm_config prints srtctl's cluster configuration from the node facts
# the launcher exported:
#   SLURM_ACCOUNT SLURM_PARTITION   where the jobs go
#   SRT_GPUS_PER_NODE               GPUs per node
#   SRT_TIME_LIMIT                  job time limit (default 4:00:00)
#   SRT_MODEL_ALIAS MODEL_PATH      the model_paths entry the recipes name
#   SRT_CONTAINERS                  "alias=squash file" lines
#   SRT_EXTRA_CONFIG                further lines (sbatch directive switches, mounts)
_srtslurm_config() {
    local root=$1 line
    cat <<CONFIG
default_account: "${SLURM_ACCOUNT}"
default_partition: "${SLURM_PARTITION}"
default_time_limit: "${SRT_TIME_LIMIT:-4:00:00}"
gpus_per_node: ${SRT_GPUS_PER_NODE}
network_interface: ""
srtctl_root: "${root}"
model_paths:
  "${SRT_MODEL_ALIAS}": "${MODEL_PATH}"
containers:
CONFIG
    while IFS= read -r line; do
        [[ -n "$line" ]] || continue
        printf '  "%s": "%s"\n' "${line%%=*}" "${line#*=}"
    done <<<"$SRT_CONTAINERS"
    if [[ -n "${SRT_EXTRA_CONFIG:-}" ]]; then
        printf '%s\n' "$SRT_EXTRA_CONFIG"
    fi
}

# srtctl_run_recipe --recipe FILE [--setup-script NAME]
# Runs an srt-slurm recipe (FILE is relative to the srt-slurm checkout; the
# configs name it as CONFIG_FILE in additional-settings): installs srtctl from a fresh clone, writes its cluster
# configuration, submits the recipe, waits for the Slurm job, shows its logs,
# and copies each results_concurrency_C_gpus_N_ctx_P_gen_D.json into the
# workspace.
srtctl_run_recipe() {
    local recipe="" setup_script=()
    while (($# > 0)); do
        case "$1" in
            --recipe) recipe=$2; shift 2 ;;
            --setup-script) setup_script=(--setup-script "$2"); shift 2 ;;
            *) echo "srtctl_run_recipe: unknown argument $1" >&2; return 1 ;;
        esac
    done
    if [[ -z "$recipe" ]]; then
        echo "srtctl_run_recipe: --recipe is required (set CONFIG_FILE=recipes/... in the config's additional-settings)" >&2
        return 1
    fi
    check_env_vars RESULT_FILENAME GITHUB_WORKSPACE ISL OSL MODEL_PREFIX PRECISION RUNNER_TYPE \
        SLURM_ACCOUNT SLURM_PARTITION SRT_GPUS_PER_NODE SRT_ARCH SRT_MODEL_ALIAS MODEL_PATH SRT_CONTAINERS

    local repo="${GITHUB_WORKSPACE}/srt-slurm"
    rm -rf "$repo"
    git clone --branch "$SRT_SLURM_BRANCH" "$SRT_SLURM_REPO" "$repo" || return
    cd "$repo" || return

    # srtctl installs with uv into a throw-away virtual environment.
    curl -LsSf https://astral.sh/uv/install.sh | sh || return
    # shellcheck source=/dev/null
    source "$HOME/.local/bin/env"
    uv venv || return
    # shellcheck source=/dev/null
    source .venv/bin/activate
    uv pip install -e . || return
    if ! command -v srtctl >/dev/null 2>&1; then
        echo "error: srtctl did not install" >&2
        return 1
    fi

    _srtslurm_config "$repo" >srtslurm.yaml
    echo "srtslurm.yaml:"
    cat srtslurm.yaml
    make setup ARCH="$SRT_ARCH" || return

    local gpu=${RUNNER_TYPE%%-*} output job
    output=$(srtctl apply -f "$recipe" "${setup_script[@]}" \
        --tags "${gpu},${MODEL_PREFIX},${PRECISION},${ISL}x${OSL},infmax-$(date +%Y%m%d)" 2>&1)
    echo "$output"
    job=$(grep -oP 'Job \K[0-9]+' <<<"$output" | head -n 1)
    if [[ -z "$job" ]]; then
        echo "error: srtctl apply reported no job id" >&2
        return 1
    fi
    start_gpu_monitor_slurm "$job" "$(recipe_prefill_nodes "$recipe")"
    wait_for_slurm_job "$job"
    stop_gpu_monitor_slurm

    local logs="outputs/$job/logs" f
    if [[ ! -d "$logs" ]]; then
        echo "error: srtctl left no log directory $logs" >&2
        return 1
    fi
    if [[ -f "$logs/sweep_$job.log" ]]; then
        cat "$logs/sweep_$job.log"
    fi
    for f in "$logs"/*; do
        if [[ -f "$f" ]]; then
            echo "==> $f (last 500 lines)"
            tail -n 500 "$f"
        fi
    done

    if [[ "${EVAL_ONLY:-false}" == true ]]; then
        local status=0
        copy_eval_artifacts "$logs" || status=$?
        deactivate 2>/dev/null || true
        rm -rf .venv
        return "$status"
    fi

    # outputs/JOB/logs/<benchmark>_isl_I_osl_O/results_concurrency_C_gpus_N_ctx_P_gen_D.json
    local dir name conc gpus ctx gen copied=0
    for dir in "$logs"/*isl*osl*/; do
        [[ -d "$dir" ]] || continue
        name=$(basename "$dir")
        for f in "$dir"results_concurrency_*.json; do
            [[ -f "$f" ]] || continue
            if [[ $(basename "$f") =~ ^results_concurrency_([0-9]+)_gpus_([0-9]+)_ctx_([0-9]+)_gen_([0-9]+)\.json$ ]]; then
                conc=${BASH_REMATCH[1]} gpus=${BASH_REMATCH[2]} ctx=${BASH_REMATCH[3]} gen=${BASH_REMATCH[4]}
                cp "$f" "${GITHUB_WORKSPACE}/${RESULT_FILENAME}_${name}_conc${conc}_gpus_${gpus}_ctx_${ctx}_gen_${gen}.json"
                copied=$((copied + 1))
            else
                echo "warning: skipping $f: not results_concurrency_C_gpus_N_ctx_P_gen_D.json" >&2
            fi
        done
    done
    echo "copied $copied result file(s)"

    deactivate 2>/dev/null || true
    rm -rf .venv
}

# sglang_disagg_mi355x REPO BRANCH MODEL_NAME runs a disaggregated SGLang
# (MoRI transfer) recipe on MI355X nodes through the sglang_disagg Slurm
# scripts (submit_disagg.sh) of REPO at BRANCH, for the model directory
# MODEL_NAME under MODEL_PATH, and leaves the result files in the workspace.
sglang_disagg_mi355x() {
    local repo=$1 branch=$2 model_name=$3
    check_env_vars CONC_LIST ISL OSL IMAGE SPEC_DECODING MODEL_PATH GITHUB_WORKSPACE RESULT_FILENAME \
        PREFILL_NUM_WORKERS PREFILL_TP PREFILL_EP PREFILL_DP_ATTN \
        DECODE_NUM_WORKERS DECODE_TP DECODE_EP DECODE_DP_ATTN \
        PREFILL_NODES DECODE_NODES SGL_SLURM_JOBS_PATH RANDOM_RANGE_RATIO
    print_job_banner
    set -x

    cd "$GITHUB_WORKSPACE" || return 1
    rm -rf "$SGL_SLURM_JOBS_PATH"
    git clone --branch "$branch" "$repo" "$SGL_SLURM_JOBS_PATH" || return 1
    local jobs_dir="$GITHUB_WORKSPACE/$SGL_SLURM_JOBS_PATH"
    cd "$jobs_dir" || return 1

    export TIME_LIMIT="08:00:00"
    export MODEL_NAME="$model_name"
    export CONTAINER_IMAGE="$IMAGE"
    export MODEL_PATH
    # Both sides always use expert parallelism; attention data parallelism
    # follows the config.
    export PREFILL_ENABLE_EP=true DECODE_ENABLE_EP=true
    export PREFILL_ENABLE_DP=false DECODE_ENABLE_DP=false
    if [[ "$PREFILL_DP_ATTN" == true ]]; then PREFILL_ENABLE_DP=true; fi
    if [[ "$DECODE_DP_ATTN" == true ]]; then DECODE_ENABLE_DP=true; fi

    # submit_disagg.sh takes the concurrencies joined by "x" (4x8x16) and
    # prints the Slurm job id.
    local job
    job=$(bash ./submit_disagg.sh "$PREFILL_NODES" "$PREFILL_NUM_WORKERS" \
        "$DECODE_NODES" "$DECODE_NUM_WORKERS" \
        "$ISL" "$OSL" "${CONC_LIST// /x}" inf \
        "$PREFILL_ENABLE_EP" "$PREFILL_ENABLE_DP" \
        "$DECODE_ENABLE_EP" "$DECODE_ENABLE_DP" \
        "$RANDOM_RANGE_RATIO")
    if [[ ! "$job" =~ ^[0-9]+$ ]]; then
        echo "error: submit_disagg.sh did not print a job id (got '$job')" >&2
        return 1
    fi

    start_gpu_monitor_slurm "$job" "$PREFILL_NODES"
    follow_slurm_log "$job" "$jobs_dir/slurm_job-${job}.out" || {
        stop_gpu_monitor_slurm
        return 1
    }
    stop_gpu_monitor_slurm

    if [[ "${EVAL_ONLY:-false}" == true ]]; then
        local eval_status=0
        copy_eval_artifacts "$jobs_dir/logs" || eval_status=$?
        scancel_sync "$job"
        return "$eval_status"
    fi

    # Each run writes logs/<run>/sglang_isl_I_osl_O/; take the newest.
    local results
    results=$(newest_dir "$jobs_dir"/logs/*/"sglang_isl_${ISL}_osl_${OSL}")
    if [[ -z "$results" ]]; then
        echo "error: no results directory for ISL=$ISL OSL=$OSL under $jobs_dir/logs" >&2
        scancel_sync "$job"
        return 1
    fi
    ls -la "$results"
    local status=0
    copy_results_as_is "$results" || status=$?
    # Release the job's hold on the NFS files before the launcher removes them.
    scancel_sync "$job"
    return "$status"
}

# dynamo_sglang_gb200 GPU_TYPE runs a disaggregated Dynamo + SGLang recipe on
# GB200 NVL72 through the Slurm scripts of Dynamo's SGLang example
# (submit_disagg.sh, frozen at a Dynamo commit) with their GPU_TYPE configs
# (gb200-fp4, gb200-fp8), and leaves the result files in the workspace.
dynamo_sglang_gb200() {
    local gpu_type=$1
    check_env_vars CONC_LIST ISL OSL IMAGE SPEC_DECODING MODEL_PATH GITHUB_WORKSPACE RESULT_FILENAME \
        PREFILL_NUM_WORKERS PREFILL_TP PREFILL_EP PREFILL_DP_ATTN \
        DECODE_NUM_WORKERS DECODE_TP DECODE_EP DECODE_DP_ATTN \
        PREFILL_NODES DECODE_NODES N_ADDITIONAL_FRONTENDS SGL_SLURM_JOBS_PATH CONFIG_DIR SCRIPT_MODE
    set -x

    cd "$GITHUB_WORKSPACE" || return 1
    rm -rf dynamo
    git clone https://github.com/ai-dynamo/dynamo.git || return 1
    git -C dynamo checkout b7107d008392eded64c23a7540fb99bca46b4c91 || return 1
    local jobs_dir="$GITHUB_WORKSPACE/$SGL_SLURM_JOBS_PATH"
    cd "$jobs_dir" || return 1

    export TIME_LIMIT="04:00:00"
    export CONTAINER_IMAGE="$IMAGE"
    export GPU_TYPE="$gpu_type"
    export MODEL_PATH CONFIG_DIR

    # submit_disagg.sh takes the concurrencies joined by "x" (4x8x16).
    bash ./submit_disagg.sh "$PREFILL_NODES" "$PREFILL_NUM_WORKERS" \
        "$DECODE_NODES" "$DECODE_NUM_WORKERS" "$N_ADDITIONAL_FRONTENDS" \
        "$ISL" "$OSL" "${CONC_LIST// /x}" inf "$GPU_TYPE" "$SCRIPT_MODE" || return 1

    # The script submits several jobs and reports none of their ids.
    wait_for_user_jobs 30

    if [[ "${EVAL_ONLY:-false}" == true ]]; then
        copy_eval_artifacts "$jobs_dir/logs"
        return
    fi

    # Each run writes logs/<run>/vllm_isl_I_osl_O/; take the newest.
    local results
    results=$(newest_dir "$jobs_dir"/logs/*/"vllm_isl_${ISL}_osl_${OSL}")
    if [[ -z "$results" ]]; then
        echo "error: no results directory for ISL=$ISL OSL=$OSL under $jobs_dir/logs" >&2
        return 1
    fi
    ls -la "$results"
    copy_results_as_is "$results"
}
