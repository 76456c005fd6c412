#!/usr/bin/env bash
# The simulated node of the demo and the end-to-end test: no GPU and no container. The job's
# benchmark script runs on this machine, in the workspace, against loadgen's simulated server.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export WORKSPACE_DIR=$GITHUB_WORKSPACE
export HEALTH_POLL_INTERVAL=0.2
cd "$GITHUB_WORKSPACE" || exit 1
bash "$script"
