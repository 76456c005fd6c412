#!/usr/bin/env bash
# B200 DGX Cloud nodes: one node per runner, jobs in Docker on the host's 8 GPUs.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export HF_HUB_CACHE_MOUNT=/raid/hf_hub_cache/
export PORT=8888

nvidia-smi
if nvidia_gpus_busy; then
    echo "error: a process from an earlier job still holds a GPU" >&2
    nvidia-smi
    exit 1
fi

# NCCL_GRAPH_REGISTER=0: no user-buffer registration with CUDA graphs; a little
# slower, but vLLM and SGLang stop crashing on these nodes.
set -x
docker_run_benchmark "$IMAGE" "$script" "${NVIDIA_DOCKER_ARGS[@]}" \
    -e NCCL_GRAPH_REGISTER=0 -e TORCH_CUDA_ARCH_LIST=10.0
status=$?
set +x

stop_benchmark_container
sleep 2
if nvidia_gpus_busy; then
    echo "warning: a GPU is still busy after the container stopped" >&2
    nvidia-smi
fi
exit "$status"
