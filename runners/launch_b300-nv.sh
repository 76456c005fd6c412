#!/usr/bin/env bash
# B300 cluster (nv): multi-node srt-slurm recipes submitted from the runner host.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export SLURM_PARTITION=batch_1
export SLURM_ACCOUNT=benchmark

case "$MODEL_PREFIX/$PRECISION" in
    dsr1/fp4)
        export MODEL_PATH=/scratch/models/deepseek-r1-0528-nvfp4-v2
        export SERVED_MODEL_NAME=deepseek-r1-fp4
        export SRT_MODEL_ALIAS=dsr1
        ;;
    *)
        echo "error: b300-nv has no model path for $MODEL_PREFIX $PRECISION (dsr1 fp4 is there)" >&2
        exit 1
        ;;
esac

squash=$(squash_file /data/squash "$IMAGE")
set -x
import_image_on_cluster "$squash" "$IMAGE" -N 1 -A "$SLURM_ACCOUNT" -p "$SLURM_PARTITION"
set +x

# The cluster's UCX build without UD transport is mounted over the image's.
export SRT_GPUS_PER_NODE=8 SRT_ARCH=x86_64
export SRT_CONTAINERS="dynamo-trtllm=$squash"
export SRT_EXTRA_CONFIG='use_exclusive_sbatch_directive: true
default_mounts:
  "/opt/ucx-no-ud": "/usr/local/ucx"'

set -x
bash "$script"
