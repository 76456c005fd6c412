#!/usr/bin/env bash
# MI300X nodes (cr): one node per runner, jobs in Docker on the host's 8 GPUs.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export HF_HUB_CACHE_MOUNT=/mnt/vdb/gha_cache/hf_hub_cache/
export PORT=8888

# Automatic NUMA balancing migrates pages under the GPU's feet; ROCm advises off.
sudo sh -c 'echo 0 > /proc/sys/kernel/numa_balancing'

set -x
docker_run_benchmark "$IMAGE" "$script" "${AMD_DOCKER_ARGS[@]}"
status=$?
set +x
stop_benchmark_container
exit "$status"
