#!/usr/bin/env bash
# DeepSeek-R1 FP8 on H200 nodes, disaggregated prefill/decode with Dynamo and SGLang.
# Runs the srt-slurm recipe the config point names (CONFIG_FILE in additional-settings);
# the launcher has exported where the nodes, the model and the container are.
# shellcheck source=multinode_lib.sh
source "$(dirname "$0")/multinode_lib.sh"

srtctl_run_recipe --recipe "$CONFIG_FILE" --setup-script fix-timeouts-x86.sh
