#!/usr/bin/env bash
# DeepSeek-R1 FP8 on H200 with TensorRT-LLM and MTP speculative decoding.
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME DP_ATTENTION EP_SIZE
print_job_banner

hf download "$MODEL"

moe_backend=CUTLASS
if [[ "$DP_ATTENTION" == true ]]; then
    mtp_layers=1
    max_batch=$((CONC / TP))
else
    mtp_layers=3
    max_batch=$CONC
fi
# Long prompts with attention data parallelism fragment the allocator.
if ((ISL == 8192)) && [[ "$DP_ATTENTION" == true ]]; then
    export PYTORCH_CUDA_ALLOC_CONF="max_split_size_mb:8192"
fi
max_num_tokens=$((((mtp_layers + 1) * max_batch + ISL + 64 + 63) / 64 * 64))
# An eval-only job serves the eval's context length, all of it one batch's budget.
eval_context_override MAX_MODEL_LEN max_num_tokens
echo "moe backend=$moe_backend mtp layers=$mtp_layers max batch=$max_batch"

options=dsr1-fp8-mtp.yml
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
speculative_config:
    decoding_type: MTP
    num_nextn_predict_layers: $mtp_layers
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
    --max_batch_size="$max_batch" \
    --max_seq_len="$MAX_MODEL_LEN" \
    --max_num_tokens="$max_num_tokens"

run_standard_benchmark --backend openai --use-chat-template
