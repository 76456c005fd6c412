#!/usr/bin/env bash
# MI355X nodes (amds): Slurm partition "compute", several runners per node. Single-node
# jobs run in an enroot container on an allocation named after the runner; multi-node
# (disaggregated) jobs submit the sglang_disagg Slurm scripts from the runner host.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

if [[ "${IS_MULTINODE:-false}" == true ]]; then
    export SLURM_ACCOUNT=$USER
    export SLURM_PARTITION=compute
    export SLURM_JOB_NAME=benchmark-sglang-disagg.job
    export SGL_SLURM_JOBS_PATH=sglang_disagg

    # The two node pools keep the model weights in different places.
    node=$(sinfo -N -h -t idle,mix -o %N | head -n 1)
    case "$node" in
        GPU*) export MODEL_PATH=/nfsdata ;;
        mia1*) export MODEL_PATH=/it-share/data ;;
        *)
            echo "error: no idle or mixed node to start the disaggregated job on (sinfo: '$node')" >&2
            exit 1
            ;;
    esac

    # Logs of earlier runs are root-owned (written from the containers).
    sudo rm -rf "$SGL_SLURM_JOBS_PATH/logs" 2>/dev/null || true
    set -x
    bash "$script"
    status=$?
    set +x
    sudo rm -rf "$SGL_SLURM_JOBS_PATH/logs" 2>/dev/null || true
    exit "$status"
fi

HF_HUB_CACHE_MOUNT=/var/lib/hf-hub-cache/
export PORT=$((8888 + ${RUNNER_NAME: -1}))
squash=$(squash_file /var/lib/squash "$IMAGE")

job=$(allocate_job --partition=compute --gres="gpu:$TP" --cpus-per-task=128 --time=180) || exit 1

set -x
# Containers a crashed job left running in Docker still hold GPUs.
# shellcheck disable=SC2016 # expanded on the node
srun --jobid="$job" bash -c 'ids=$(docker ps -a -q); if [ -n "$ids" ]; then docker stop $ids; fi'
# ATOM images are always imported afresh, never taken from the cache.
if [[ "$FRAMEWORK" == atom ]]; then
    srun --jobid="$job" rm -f "$squash"
fi
import_image "$job" "$squash" "$IMAGE" || { scancel "$job"; exit 1; }
srun_benchmark "$job" "$squash" "$GITHUB_WORKSPACE:/workspace/,$HF_HUB_CACHE_MOUNT:$HF_HUB_CACHE" "$script" \
    --container-mount-home --container-writable --export=ALL
status=$?
set +x
scancel "$job"

# A GPU fault dumps gpucore.* files into the working directory.
if compgen -G 'gpucore.*' >/dev/null; then
    echo "warning: the job left GPU core dumps; removing them" >&2
    rm -f gpucore.*
fi
exit "$status"
