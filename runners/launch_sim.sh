#!/usr/bin/env bash
# The simulated node of the demo and the end-to-end test: no GPU and no container. The job's
# benchmark script runs on this machine, in the workspace, against loadgen's simulated server.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export WORKSPACE_DIR=$GITHUB_WORKSPACE
export HEALTH_POLL_INTERVAL=0.2
# No GPU here: gpumon's fake backend stands in, one SIMULATED GPU per GPU
# the job would use, so that the energy fields go through the whole
# pipeline.
export GPUMON_BACKEND=fake
export GPUMON_FAKE_GPUS=$((${TP:-1} * ${PP_SIZE:-1} * ${PCP_SIZE:-1}))
cd "$GITHUB_WORKSPACE" || exit 1
bash "$script"
