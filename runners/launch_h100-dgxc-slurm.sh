#!/usr/bin/env bash
# H100 DGX Cloud Slurm cluster: multi-node srt-slurm recipes submitted from the runner
# host. Images are imported ahead of time into /mnt/nfs/sa-shared/containers as <registry path
# with / : @ # turned into +>.sqsh.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export SLURM_PARTITION=hpc-gpu-1
export SLURM_ACCOUNT=customer

case "$MODEL_PREFIX/$PRECISION" in
    dsr1/fp8)
        export MODEL_PATH=/mnt/numa1/shared/models/dsr1-fp8
        export SERVED_MODEL_NAME=DeepSeek-R1-0528
        # The H100 recipes call the model by its full name.
        export SRT_MODEL_ALIAS=DeepSeek-R1-0528
        ;;
    *)
        echo "error: h100-dgxc-slurm has no model path for $MODEL_PREFIX $PRECISION (dsr1 fp8 is there)" >&2
        exit 1
        ;;
esac

ngc_path=${IMAGE#nvcr.io/}
squash="/mnt/nfs/sa-shared/containers/${ngc_path//[\/:@#]/+}.sqsh"
export SRT_CONTAINERS="latest=$squash
${IMAGE/nvcr.io\//nvcr.io#}=$squash"
export SRT_GPUS_PER_NODE=8 SRT_ARCH=x86_64
# Two-node TP16 jobs: ask for GPUs per node, no segment or exclusive directives.
export SRT_EXTRA_CONFIG="use_gpus_per_node_directive: true
use_segment_sbatch_directive: false
use_exclusive_sbatch_directive: false"

set -x
bash "$script"
