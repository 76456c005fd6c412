#!/usr/bin/env bash
# H200 nodes (nb): Slurm partition "main", several runners per node (one user each).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

HF_HUB_CACHE_MOUNT=/home/hf_hub_cache/
export PORT=$((8888 + $(runner_slot)))

job=$(allocate_job --partition=main --gres="gpu:$TP" --exclusive --time=180) || exit 1

set -x
# gpt-oss on TensorRT-LLM runs from the registry image; everything else from a
# squash file imported once.
if [[ "$MODEL" == openai/gpt-oss-120b && "$FRAMEWORK" == trt ]]; then
    container=$IMAGE
else
    squash=$(squash_file /home/squash "$IMAGE")
    import_image "$job" "$squash" "$IMAGE" || { scancel "$job"; exit 1; }
    container=$(realpath "$squash")
fi
srun_benchmark "$job" "$container" "$GITHUB_WORKSPACE:/workspace/,$HF_HUB_CACHE_MOUNT:$HF_HUB_CACHE" "$script" \
    --container-remap-root --container-writable --container-mount-home --export=ALL
status=$?
set +x
scancel "$job"
exit "$status"
