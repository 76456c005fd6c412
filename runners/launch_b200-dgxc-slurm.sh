#!/usr/bin/env bash
# B200 DGX Cloud Slurm cluster: multi-node srt-slurm recipes submitted from the runner host.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export SLURM_PARTITION=gpu
export SLURM_ACCOUNT=root

case "$MODEL_PREFIX/$PRECISION" in
    dsr1/fp4) export MODEL_PATH=/lustre/fsw/models/dsr1-0528-nvfp4-v2 ;;
    dsr1/fp8) export MODEL_PATH=/lustre/fsw/models/dsr1-0528-fp8 ;;
    *)
        echo "error: b200-dgxc-slurm has no model path for $MODEL_PREFIX $PRECISION (dsr1 fp4 and fp8 are there)" >&2
        exit 1
        ;;
esac
export SERVED_MODEL_NAME=$MODEL
export SRT_MODEL_ALIAS=$MODEL_PREFIX

squash=$(squash_file /home/sa-shared/containers "$IMAGE")
nginx_squash=$(squash_file /home/sa-shared/containers nginx:1.27.4)
set -x
import_image_on_cluster "$squash" "$IMAGE" -N 1 -A "$SLURM_ACCOUNT" -p "$SLURM_PARTITION"
import_image_on_cluster "$nginx_squash" nginx:1.27.4 -N 1 -A "$SLURM_ACCOUNT" -p "$SLURM_PARTITION"
set +x

export SRT_GPUS_PER_NODE=8 SRT_ARCH=x86_64
export SRT_CONTAINERS="dynamo-trtllm=$squash
nginx-sqsh=$nginx_squash"
export SRT_EXTRA_CONFIG="use_exclusive_sbatch_directive: true"

set -x
bash "$script"
