#!/usr/bin/env bash
# GB200 NVL72 cluster (nv): multi-node jobs only. The benchmark script runs on the runner
# host and submits its own Slurm jobs (srt-slurm recipes, or Dynamo's own Slurm scripts
# for the older recipes); this launcher exports where the cluster keeps models and images.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
script=$(require_benchmark_script) || exit 1

export SLURM_PARTITION=batch
export SLURM_ACCOUNT=benchmark
export SLURM_JOB_NAME=benchmark-dynamo.job

# Weights are pre-downloaded on the cluster's shared storage.
case "$FRAMEWORK/$MODEL_PREFIX/$PRECISION" in
    dynamo-sglang/dsr1/*)
        export MODEL_PATH=/mnt/lustre01/models/deepseek-r1-0528
        export CONFIG_DIR=/mnt/lustre01/artifacts/sglang-configs/1k1k
        ;;
    dynamo-trt/gptoss/*)
        export MODEL_PATH=/mnt/lustre01/models/gpt-oss-120b
        export SERVED_MODEL_NAME=gpt-oss-120b
        ;;
    dynamo-trt/dsr1/fp4)
        export MODEL_PATH=/mnt/lustre01/models/deepseek-r1-0528-fp4-v2/
        export SERVED_MODEL_NAME=deepseek-r1-fp4
        export SRT_MODEL_ALIAS=dsr1
        ;;
    dynamo-trt/dsr1/fp8)
        export MODEL_PATH=/mnt/numa1/groups/sa-shared/models/deepseek-r1-0528/
        export SERVED_MODEL_NAME=deepseek-r1-fp8
        export SRT_MODEL_ALIAS=dsr1-fp8
        ;;
    *)
        echo "error: gb200-nv has no model path for $MODEL_PREFIX $PRECISION with $FRAMEWORK" >&2
        exit 1
        ;;
esac

cache=/mnt/lustre01/users-public/sa-shared
squash=$(squash_file "$cache" "$IMAGE")
nginx_squash=$(squash_file "$cache" nginx:1.27.4)
set -x
import_image_on_cluster "$squash" "$IMAGE" -N 1 -A "$SLURM_ACCOUNT" -p "$SLURM_PARTITION"
import_image_on_cluster "$nginx_squash" nginx:1.27.4 -N 1 -A "$SLURM_ACCOUNT" -p "$SLURM_PARTITION"
set +x

# For srt-slurm recipes (benchmarks/multinode_lib.sh: srtctl_run_recipe).
export SRT_GPUS_PER_NODE=4 SRT_ARCH=aarch64 SRT_TIME_LIMIT=6:00:00
export SRT_CONTAINERS="dynamo-trtllm=$squash
dynamo-sglang=$squash
nginx-sqsh=$nginx_squash"
# For Dynamo's own Slurm scripts, which take the image as a squash file.
export IMAGE=$squash
export SGL_SLURM_JOBS_PATH=dynamo/examples/backends/sglang/slurm_jobs

set -x
bash "$script"
