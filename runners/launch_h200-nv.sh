#!/usr/bin/env bash
# H200 DGX nodes (nv): Slurm partition dgx-h200, whole node per job, images cached as
# enroot squash files in /raid/squash.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

HF_HUB_CACHE_MOUNT="/raid/hf_hub_cache_$(runner_slot)/"
export PORT=8888 # the allocation is exclusive

job=$(allocate_job --partition=dgx-h200 --gres="gpu:$TP" --exclusive --time=180) || exit 1
squash=$(squash_file /raid/squash "$IMAGE")

set -x
import_image "$job" "$squash" "$IMAGE" || { scancel "$job"; exit 1; }
srun_benchmark "$job" "$squash" "$GITHUB_WORKSPACE:/workspace/,$HF_HUB_CACHE_MOUNT:$HF_HUB_CACHE" "$script" \
    --container-writable --container-remap-root --container-mount-home --export=ALL
status=$?
set +x
scancel "$job"
exit "$status"
