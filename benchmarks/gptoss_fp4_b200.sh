#!/usr/bin/env bash
# gpt-oss-120b (MXFP4) on B200 with vLLM.
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME
print_job_banner

hf download "$MODEL"
nvidia-smi

# 1k1k needs only a little room beyond the two lengths; the 8k lengths get
# the usual 200 tokens of slack.
if ((ISL == 1024 && OSL == 1024)); then
    model_len=$((ISL + OSL + 20))
elif ((ISL == 8192 || OSL == 8192)); then
    model_len=$((ISL + OSL + 200))
else
    model_len=$MAX_MODEL_LEN
fi

cat >config.yaml <<CONFIG
kv-cache-dtype: fp8
compilation-config: '{"pass_config":{"fuse_allreduce_rms":true,"eliminate_noops":true}}'
async-scheduling: true
no-enable-prefix-caching: true
max-cudagraph-capture-size: 2048
max-num-batched-tokens: 8192
max-model-len: $model_len
CONFIG

export TORCH_CUDA_ARCH_LIST="10.0"
export PYTHONNOUSERSITE=1
export VLLM_USE_FLASHINFER_MOE_MXFP4_MXFP8=1

# An eval-only job serves the eval's context length.
eval_context_args --max-model-len

start_gpu_monitor
set -x
vllm serve "$MODEL" --host 0.0.0.0 --port "$PORT" \
    --config config.yaml \
    --gpu-memory-utilization 0.9 \
    --tensor-parallel-size "$TP" \
    --max-num-seqs 512 \
    --disable-log-requests \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend vllm
