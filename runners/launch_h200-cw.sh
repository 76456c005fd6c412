#!/usr/bin/env bash
# H200 nodes (cw): Slurm partition h200, images and models on the shared /mnt/vast.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

HF_HUB_CACHE_MOUNT=/mnt/vast/hf_hub_cache/
export PORT=$((8888 + $(runner_slot)))

job=$(allocate_job --partition=h200 --gres="gpu:$TP" --exclusive --time=180) || exit 1
# vLLM (since 0.11.2) leaves SageMaker session files in /dev/shm on these
# nodes; give each job its own directory there and remove it afterwards.
shm_dir=$(mktemp -d /mnt/vast/shm-XXXXXX)

set -x
if [[ "$MODEL" == openai/gpt-oss-120b && "$FRAMEWORK" == trt ]]; then
    container=$IMAGE
else
    squash=$(squash_file /mnt/vast/squash "$IMAGE")
    import_image "$job" "$squash" "$IMAGE" || { scancel "$job"; exit 1; }
    container=$(realpath "$squash")
fi
srun_benchmark "$job" "$container" \
    "$GITHUB_WORKSPACE:/workspace/,$HF_HUB_CACHE_MOUNT:$HF_HUB_CACHE,$shm_dir:/dev/shm/sagemaker_sessions" "$script" \
    --container-mount-home --export=ALL
status=$?
set +x
rmdir "$shm_dir"
scancel "$job"
exit "$status"
