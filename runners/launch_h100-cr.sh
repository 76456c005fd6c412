#!/usr/bin/env bash
# H100 nodes (cr): one node per runner, jobs in Docker on the host's 8 GPUs.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export HF_HUB_CACHE_MOUNT=/home/ubuntu/hf_hub_cache/
export PORT=8888

set -x
docker_run_benchmark "$IMAGE" "$script" "${NVIDIA_DOCKER_ARGS[@]}" -e TORCH_CUDA_ARCH_LIST=9.0
status=$?
set +x
stop_benchmark_container
exit "$status"
