#!/usr/bin/env bash
# H200 DGX Cloud Slurm cluster: multi-node srt-slurm recipes submitted from the runner
# host. Images are imported ahead of time into /data/containers as <registry path
# with / : @ # turned into +>.sqsh.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export SLURM_PARTITION=main
export SLURM_ACCOUNT=sa-shared

case "$MODEL_PREFIX/$PRECISION" in
    dsr1/fp8)
        export MODEL_PATH=/models/DeepSeek-R1-0528
        export SERVED_MODEL_NAME=DeepSeek-R1-0528
        export SRT_MODEL_ALIAS=$MODEL_PREFIX
        ;;
    *)
        echo "error: h200-dgxc-slurm has no model path for $MODEL_PREFIX $PRECISION (dsr1 fp8 is there)" >&2
        exit 1
        ;;
esac

ngc_path=${IMAGE#nvcr.io/}
squash="/data/containers/${ngc_path//[\/:@#]/+}.sqsh"
# The recipes name the container by its NGC reference (nvcr.io#...) or "latest".
export SRT_CONTAINERS="latest=$squash
${IMAGE/nvcr.io\//nvcr.io#}=$squash
nginx=/data/containers/nginx+1.27.4.sqsh"
export SRT_GPUS_PER_NODE=8 SRT_ARCH=x86_64

set -x
bash "$script"
