#!/usr/bin/env bash
# DeepSeek-R1 FP8 on MI355X nodes, disaggregated prefill/decode with SGLang (MoRI transfer),
# through the sglang_disagg Slurm scripts (submit_disagg.sh).
# shellcheck source=multinode_lib.sh
source "$(dirname "$0")/multinode_lib.sh"

sglang_disagg_mi355x https://github.com/cquil11/sglang_disagg.git cam/sa-260114 "DeepSeek-R1"
