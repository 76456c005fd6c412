#!/usr/bin/env bash
# DeepSeek-R1 FP4 on GB200 NVL72, disaggregated prefill/decode with Dynamo and SGLang,
# through the Slurm scripts of Dynamo's SGLang example (submit_disagg.sh).
# shellcheck source=multinode_lib.sh
source "$(dirname "$0")/multinode_lib.sh"

dynamo_sglang_gb200 gb200-fp4
