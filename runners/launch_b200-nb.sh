#!/usr/bin/env bash
# B200 nodes (nb): Slurm partition "main"; pyxis pulls the image itself and keeps a
# named container per runner slot.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

slot=$(runner_slot)
HF_HUB_CACHE_MOUNT="/mnt/data/hf-hub-cache-${slot}/"
export PORT=$((8888 + slot))
export UCX_NET_DEVICES=eth0

# A killed pull leaves lock files behind that block the next one.
find "/var/cache/enroot-container-images/$UID" -type f -name '*.lock' -delete 2>/dev/null || true

container_name="${IMAGE//[\/:@#]/_}-${slot}"
set -x
srun --partition=main --gres="gpu:$TP" --exclusive --job-name="$RUNNER_NAME" \
    --container-image="$IMAGE" \
    --container-name="$container_name" \
    --container-mounts="$GITHUB_WORKSPACE:/workspace/,$HF_HUB_CACHE_MOUNT:$HF_HUB_CACHE" \
    --no-container-mount-home \
    --container-remap-root \
    --container-writable \
    --container-workdir=/workspace/ \
    --no-container-entrypoint --export=ALL \
    bash "$script"
