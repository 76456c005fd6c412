#!/usr/bin/env bash
# gpt-oss-120b on H200 with TensorRT-LLM (gpt-oss-dev image, Triton MoE kernels).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME DP_ATTENTION EP_SIZE
print_job_banner

# The recipe this config was tuned with removes line 417 of the gpt-oss-dev
# image's tensorrt_llm/executor/result.py; the benchmark keeps doing so.
sed -i '417d' /usr/local/lib/python3.12/dist-packages/tensorrt_llm/executor/result.py

hf download "$MODEL"

export TRTLLM_ENABLE_PDL=1
max_num_tokens=20000
# An eval-only job serves the eval's context length, all of it one batch's budget.
eval_context_override max_num_tokens
eval_context_args --max_seq_len

options=gptoss-config.yml
cat >"$options" <<CONFIG
cuda_graph_config:
  enable_padding: true
  max_batch_size: $CONC
enable_attention_dp: $DP_ATTENTION
kv_cache_config:
  dtype: auto
  enable_block_reuse: false
  free_gpu_memory_fraction: 0.85
moe_config:
  backend: TRITON
num_postprocess_workers: 4
print_iter_log: true
stream_interval: 20
CONFIG

start_gpu_monitor
set -x
PYTHONNOUSERSITE=1 mpirun -n 1 --oversubscribe --allow-run-as-root \
    trtllm-serve "$MODEL" \
    --max_batch_size "$CONC" \
    --max_num_tokens "$max_num_tokens" \
    --backend pytorch \
    --extra_llm_api_options "$options" \
    --ep_size="$EP_SIZE" \
    --trust_remote_code \
    --gpus_per_node 8 \
    --host 0.0.0.0 \
    --port "$PORT" \
    --tp_size="$TP" \
    --pp_size=1 \
    "${EVAL_CONTEXT_ARGS[@]}" \
    >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
set +x

run_standard_benchmark --backend openai
