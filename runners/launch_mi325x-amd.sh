#!/usr/bin/env bash
# MI325X nodes (mi325x-amd): Slurm partition "compute", several runners per node (one user
# each); enroot needs sudo there.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

slot=$(runner_slot)
HF_HUB_CACHE_MOUNT="/nfsdata/sa/hf_hub_cache-${slot}/"
export PORT=$((8888 + slot))

job=$(allocate_job --partition=compute --gres="gpu:$TP" --cpus-per-task=256 --time=180) || exit 1
squash=$(squash_file /nfsdata/sa/squash "$IMAGE")

set -x
import_image "$job" "$squash" "$IMAGE" --sudo || { scancel "$job"; exit 1; }
srun_benchmark "$job" "$squash" "$GITHUB_WORKSPACE:/workspace/,$HF_HUB_CACHE_MOUNT:$HF_HUB_CACHE" "$script" \
    --container-mount-home --container-writable --container-remap-root --export=ALL
status=$?
set +x
scancel "$job"
exit "$status"
