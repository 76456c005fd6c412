#!/usr/bin/env bash
# Functions the launchers source. A launcher, runners/launch_<node>.sh, knows
# one kind of runner node: where its GPUs come from (the host itself, a Slurm
# allocation, a multi-node Slurm cluster), where models and container images
# are cached, and how a container is started there. The workflow runs it as
#
#   bash ./runners/launch_${RUNNER_NAME%%_*}.sh
#
# from the repository checkout ($GITHUB_WORKSPACE) with the job in the
# environment; it starts benchmark_script's script with that environment,
# inside the serving stack's container for single-node jobs, on the host for
# multi-node jobs (which submit their own Slurm jobs).

# benchmark_script prints the benchmark script that runs the job described by
# the environment, relative to the repository root:
#
#   benchmarks/<model-prefix>_<precision>_<gpu>[_<framework>][_<spec-decoding>].sh
#
# <gpu> is the runner type up to its first "-" (b200-trt -> b200); the
# framework is left out for sglang and vllm; the speculative-decoding method is
# added for single-node jobs that use one (multi-node scripts handle both).
# An agentic-coding job (SCENARIO_TYPE=agentic-coding) runs a trace-replay
# script, always named with its framework:
#
#   benchmarks/agentic/<model-prefix>_<precision>_<gpu>_<framework>[_<spec-decoding>].sh
#
# where a cluster:<name> runner label counts as <name>. There are no
# multi-node agentic scripts yet: such a job is refused here.
# This rule is the contract between the master configs and benchmarks/:
# tools/e2e/repocheck checks that every config point resolves to a script.
benchmark_script() {
    local v
    for v in MODEL_PREFIX PRECISION FRAMEWORK RUNNER_TYPE; do
        if [[ -z "${!v:-}" ]]; then
            echo "benchmark_script: $v is not set" >&2
            return 1
        fi
    done
    local runner=${RUNNER_TYPE#cluster:}
    if [[ "${SCENARIO_TYPE:-fixed-seq-len}" == agentic-coding ]]; then
        if [[ "${IS_MULTINODE:-false}" == true ]]; then
            echo "benchmark_script: multi-node agentic-coding jobs have no trace-replay script in benchmarks/agentic/ yet" >&2
            return 1
        fi
        local agentic="${MODEL_PREFIX}_${PRECISION}_${runner%%-*}_${FRAMEWORK}"
        if [[ "${SPEC_DECODING:-none}" != none ]]; then
            agentic+="_${SPEC_DECODING}"
        fi
        printf 'benchmarks/agentic/%s.sh\n' "$agentic"
        return 0
    fi
    local name="${MODEL_PREFIX}_${PRECISION}_${runner%%-*}"
    case "$FRAMEWORK" in
        sglang | vllm) ;;
        *) name+="_${FRAMEWORK}" ;;
    esac
    if [[ "${IS_MULTINODE:-false}" != true && "${SPEC_DECODING:-none}" != none ]]; then
        name+="_${SPEC_DECODING}"
    fi
    printf 'benchmarks/%s.sh\n' "$name"
}

# require_benchmark_script prints benchmark_script's path after checking that
# the script exists in the checkout, so that a missing recipe fails before any
# GPU is allocated.
require_benchmark_script() {
    local script
    script=$(benchmark_script) || return
    if [[ ! -f "${GITHUB_WORKSPACE:-.}/$script" ]]; then
        echo "error: no benchmark script $script for model-prefix=$MODEL_PREFIX precision=$PRECISION" \
            "runner=$RUNNER_TYPE framework=$FRAMEWORK spec-decoding=${SPEC_DECODING:-none}" \
            "(docs/adding-a-config.md explains the naming)" >&2
        return 1
    fi
    printf '%s\n' "$script"
}

# squash_file DIR IMAGE [SEP] prints the enroot image file for IMAGE in DIR:
# the image reference with every / : @ # replaced by SEP (default _).
squash_file() {
    local dir=$1 ref=$2 sep=${3:-_}
    printf '%s/%s.sqsh\n' "$dir" "${ref//[\/:@#]/$sep}"
}

# docker_image IMAGE prints IMAGE as Docker spells it: the configs write NGC
# images the enroot way, nvcr.io#nvidia/..., which Docker reads as nvcr.io/nvidia/...
docker_image() {
    printf '%s\n' "${1/\#//}"
}

# allocate_job SALLOC_ARGS... reserves GPUs without starting a shell, names
# the job after the runner (so the workflow's clean-up finds it), and prints
# the job id.
allocate_job() {
    salloc --no-shell --job-name="$RUNNER_NAME" "$@" >&2 || return
    local job
    job=$(squeue --name="$RUNNER_NAME" -u "$USER" -h -o %A | head -n 1)
    if [[ -z "$job" ]]; then
        echo "error: salloc returned but no job named $RUNNER_NAME is queued" >&2
        return 1
    fi
    printf '%s\n' "$job"
}

# import_image JOB SQUASH IMAGE [--sudo] makes sure SQUASH holds IMAGE,
# importing it on the allocation's node (where the cache directory is
# mounted). enroot refuses to overwrite an existing file, which is the usual
# case; a file that does not read back (an import that was killed) is removed
# and imported again.
import_image() {
    local job=$1 squash=$2 ref=$3 sudo=()
    if [[ "${4:-}" == --sudo ]]; then
        sudo=(sudo)
    fi
    srun --jobid="$job" "${sudo[@]}" enroot import -o "$squash" "docker://$ref" ||
        echo "enroot import left $squash as it was"
    if ! srun --jobid="$job" "${sudo[@]}" unsquashfs -l "$squash" >/dev/null; then
        echo "$squash does not read back; importing $ref again"
        srun --jobid="$job" "${sudo[@]}" rm -f "$squash"
        srun --jobid="$job" "${sudo[@]}" enroot import -o "$squash" "docker://$ref" || return
    fi
}

# import_image_on_cluster SQUASH IMAGE SRUN_ARGS... imports IMAGE into SQUASH
# on one node of a multi-node cluster (for recipes whose own jobs start the
# containers); an existing file is kept.
import_image_on_cluster() {
    local squash=$1 ref=$2
    shift 2
    srun "$@" enroot import -o "$squash" "docker://$ref" ||
        echo "enroot import left $squash as it was"
}

# The job's variables a containerised benchmark script reads (docker run does
# not pass the environment on by itself).
JOB_ENV_VARS=(
    HF_TOKEN HF_HUB_CACHE MODEL MODEL_PREFIX PRECISION FRAMEWORK TP EP_SIZE DP_ATTENTION CONC ISL OSL
    MAX_MODEL_LEN RANDOM_RANGE_RATIO SPEC_DECODING RESULT_FILENAME RUN_EVAL RUNNER_TYPE
)
# An eval-only job's settings, and what its meta_env.json records.
JOB_ENV_VARS+=(EVAL_ONLY EVAL_CONC EVAL_LIMIT EVAL_TASKS_DIR EVAL_FRAMEWORK RECIPE_FINGERPRINT PP_SIZE DCP_SIZE PCP_SIZE)
# An agentic-coding job's settings (benchmarks/agentic/, docs/agentx.md).
JOB_ENV_VARS+=(SCENARIO_TYPE KV_OFFLOADING KV_OFFLOAD_BACKEND KV_OFFLOAD_BACKEND_METADATA TOTAL_CPU_DRAM_GB DURATION
    IMAGE EXP_NAME DISAGG REQUIRE_POWER ROUTER_METADATA AIPERF_FAILED_REQUEST_THRESHOLD AIPERF_EXPERIMENTAL_FAST)

# docker_run_benchmark IMAGE SCRIPT DOCKER_ARGS... runs SCRIPT in a container
# of IMAGE with the checkout at /workspace, the model cache mounted from
# $HF_HUB_CACHE_MOUNT, host networking and the job's environment; DOCKER_ARGS
# add the vendor's device flags.
docker_run_benchmark() {
    local ref=$1 script=$2
    shift 2
    local env_args=() v
    for v in "${JOB_ENV_VARS[@]}"; do
        env_args+=(-e "$v")
    done
    docker run --rm --init --network host --ipc host --shm-size 16g --name bmk-server \
        -v "${HF_HUB_CACHE_MOUNT}:${HF_HUB_CACHE}" \
        -v "${GITHUB_WORKSPACE}:/workspace/" -w /workspace/ \
        "${env_args[@]}" -e PORT="$PORT" -e PYTHONPYCACHEPREFIX=/tmp/pycache/ \
        "$@" \
        --entrypoint /bin/bash \
        "$(docker_image "$ref")" "$script"
}

# Device flags for Docker on NVIDIA and AMD nodes.
# shellcheck disable=SC2034 # used by the launchers
NVIDIA_DOCKER_ARGS=(
    --runtime nvidia --gpus all --privileged
    --ulimit memlock=-1 --ulimit stack=67108864
    -e CUDA_DEVICE_ORDER=PCI_BUS_ID -e "CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7"
)
# shellcheck disable=SC2034 # used by the launchers
AMD_DOCKER_ARGS=(
    --privileged --cap-add CAP_SYS_ADMIN --cap-add SYS_PTRACE --security-opt seccomp=unconfined
    --device /dev/kfd --device /dev/dri --device /dev/mem
)

# stop_benchmark_container stops the bmk-server container (gracefully first)
# so that the GPUs are free for the next job.
stop_benchmark_container() {
    docker stop -t 90 bmk-server >/dev/null 2>&1 || true
    docker wait bmk-server >/dev/null 2>&1 || true
    docker rm -f bmk-server >/dev/null 2>&1 || true
}

# nvidia_gpus_busy succeeds when some process holds an NVIDIA GPU.
nvidia_gpus_busy() {
    nvidia-smi --query-compute-apps=pid --format=csv,noheader | grep -q '[0-9]'
}

# srun_benchmark JOB IMAGE MOUNTS SCRIPT SRUN_ARGS... runs SCRIPT in a
# container of IMAGE (a squash file or a registry reference) on the
# allocation JOB, with the checkout at /workspace and the environment passed
# on; SRUN_ARGS add the node's pyxis flags.
srun_benchmark() {
    local job=$1 ref=$2 mounts=$3 script=$4
    shift 4
    srun --jobid="$job" \
        --container-image="$ref" \
        --container-mounts="$mounts" \
        --container-workdir=/workspace/ \
        --no-container-entrypoint \
        "$@" \
        bash "$script"
}

# runner_slot prints the last character of the runner's user name: nodes that
# host several runners give each its own user (sa-runner-0, sa-runner-1...),
# and the slot keeps their ports and caches apart.
runner_slot() {
    local user=${USER:-0}
    printf '%s\n' "${user: -1}"
}
