#!/usr/bin/env bash
# DeepSeek-R1 FP8 on H200 with TensorRT-LLM (trtllm-serve, PyTorch backend).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME DP_ATTENTION EP_SIZE
print_job_banner

hf download "$MODEL"

moe_backend=CUTLASS
max_seq_len=$((MAX_MODEL_LEN > 8192 ? MAX_MODEL_LEN : 8192))
max_num_tokens=$(((CONC + ISL + 64 + 63) / 64 * 64))
max_num_tokens=$((max_num_tokens > 8192 ? max_num_tokens : 8192))
# An eval-only job serves the eval's context length, all of it one batch's budget.
eval_context_override max_seq_len max_num_tokens

options=dsr1-fp8.yml
cat >"$options" <<CONFIG
cuda_graph_config:
    enable_padding: true
    max_batch_size: 128
enable_attention_dp: $DP_ATTENTION
print_iter_log: true
kv_cache_config:
    dtype: fp8
    free_gpu_memory_fraction: 0.75
    enable_block_reuse: false
stream_interval: 10
moe_config:
    backend: $moe_backend
CONFIG
if [[ "$DP_ATTENTION" == true ]]; then
    cat >>"$options" <<CONFIG
attention_dp_config:
    batching_wait_iters: 0
    enable_balance: true
    timeout_iters: 60
CONFIG
fi

start_gpu_monitor
PYTHONNOUSERSITE=1 start_trtllm_serve "$options" \
    --max_seq_len="$max_seq_len" \
    --max_num_tokens="$max_num_tokens"

run_standard_benchmark --backend openai
