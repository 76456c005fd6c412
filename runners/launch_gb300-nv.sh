#!/usr/bin/env bash
# GB300 NVL72 cluster (nv): multi-node srt-slurm recipes submitted from the runner host.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export SLURM_PARTITION=batch
export SLURM_ACCOUNT=benchmark

case "$MODEL_PREFIX/$PRECISION" in
    dsr1/fp4)
        export MODEL_PATH=/raid/shared/models/deepseek-r1-0528-fp4-v2
        export SERVED_MODEL_NAME=deepseek-r1-fp4
        export SRT_MODEL_ALIAS=dsr1
        ;;
    dsr1/fp8)
        export MODEL_PATH=/raid/shared/models/deepseek-r1-0528
        export SERVED_MODEL_NAME=deepseek-r1-fp8
        export SRT_MODEL_ALIAS=dsr1-fp8
        ;;
    *)
        echo "error: gb300-nv has no model path for $MODEL_PREFIX $PRECISION (dsr1 fp4 and fp8 are there)" >&2
        exit 1
        ;;
esac
# The TensorRT-LLM workers write into their container's root file system.
export ENROOT_ROOTFS_WRITABLE=1

squash=$(squash_file /home/sa-shared/squash "$IMAGE")
set -x
import_image_on_cluster "$squash" "$IMAGE" --partition="$SLURM_PARTITION" --exclusive --time=180
set +x

export SRT_GPUS_PER_NODE=4 SRT_ARCH=aarch64
export SRT_CONTAINERS="dynamo-trtllm=$squash"
export SRT_EXTRA_CONFIG="use_segment_sbatch_directive: false"

set -x
bash "$script"
