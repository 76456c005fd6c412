#!/usr/bin/env bash
# DeepSeek-R1 FP4 (MXFP4) on MI355X nodes, disaggregated prefill/decode with SGLang (MoRI transfer),
# through the sglang_disagg Slurm scripts (submit_disagg.sh).
# shellcheck source=multinode_lib.sh
source "$(dirname "$0")/multinode_lib.sh"

sglang_disagg_mi355x https://github.com/billishyahao/sglang_disagg.git sa-260203 "DeepSeek-R1-0528-MXFP4-Preview"
