#!/usr/bin/env bash
# DeepSeek-R1 FP4 (NVFP4) on B200 with TensorRT-LLM (trtllm-serve, PyTorch backend).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME DP_ATTENTION EP_SIZE
print_job_banner

hf download "$MODEL"

cuda_graph_bs=$CONC
moe_backend=TRTLLM
piecewise=false
if ((ISL == 1024 && OSL == 1024 && TP == 8 && EP_SIZE == 8)); then
    piecewise=true
fi
# Attention data parallelism splits the batch over the ranks.
if [[ "$DP_ATTENTION" == true ]]; then
    moe_backend=CUTLASS
    cuda_graph_bs=$((CONC < 4 ? CONC : CONC / 4))
fi
echo "moe backend=$moe_backend piecewise cuda graphs=$piecewise"

max_seq_len=$((MAX_MODEL_LEN > 8192 ? MAX_MODEL_LEN : 8192))
max_num_tokens=$(((CONC + ISL + 64 + 63) / 64 * 64))
max_num_tokens=$((max_num_tokens > 8192 ? max_num_tokens : 8192))
# An eval-only job serves the eval's context length, all of it one batch's budget.
eval_context_override max_seq_len max_num_tokens

options=dsr1-fp4.yml
cat >"$options" <<CONFIG
cuda_graph_config:
    enable_padding: true
    max_batch_size: $cuda_graph_bs
enable_attention_dp: $DP_ATTENTION
print_iter_log: true
kv_cache_config:
    dtype: fp8
    free_gpu_memory_fraction: 0.8
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
if [[ "$piecewise" == true ]]; then
    cat >>"$options" <<CONFIG
torch_compile_config:
    capture_num_tokens: [$(capture_token_sizes "$max_num_tokens")]
    enable_piecewise_cuda_graph: true
CONFIG
fi

start_gpu_monitor
start_trtllm_serve "$options" \
    --max_seq_len="$max_seq_len" \
    --max_num_tokens="$max_num_tokens"

run_standard_benchmark --backend openai
