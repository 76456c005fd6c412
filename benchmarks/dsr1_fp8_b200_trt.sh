#!/usr/bin/env bash
# DeepSeek-R1 FP8 on B200 with TensorRT-LLM (trtllm-serve, PyTorch backend).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME DP_ATTENTION EP_SIZE
print_job_banner

hf download "$MODEL"

export TLLM_OVERRIDE_LAYER_NUM=61

cuda_graph_bs=$CONC
moe_backend=TRTLLM
piecewise=false
delay_batching=false
kv_fraction=0.8
if ((ISL == 1024 && OSL == 1024)); then
    if ((CONC >= 64)); then
        piecewise=true
        delay_batching=true
    fi
elif ((ISL == 1024 && OSL == 8192)); then
    if ((CONC >= 256)); then
        cuda_graph_bs=$((CONC / 8))
        moe_backend=DEEPGEMM
        kv_fraction=0.7
    elif ((CONC >= 128)); then
        piecewise=true
    fi
elif ((ISL == 8192 && OSL == 1024)); then
    if ((CONC >= 64)); then
        piecewise=true
    fi
    if ((TP == 4)); then
        kv_fraction=0.75
    fi
fi
echo "moe backend=$moe_backend piecewise cuda graphs=$piecewise delayed batching=$delay_batching"

max_seq_len=$((MAX_MODEL_LEN > 8192 ? MAX_MODEL_LEN : 8192))
max_num_tokens=$(((CONC + ISL + 64 + 63) / 64 * 64))
max_num_tokens=$((max_num_tokens > 8192 ? max_num_tokens : 8192))
# An eval-only job serves the eval's context length, all of it one batch's budget.
eval_context_override max_seq_len max_num_tokens

options=dsr1-fp8.yml
cat >"$options" <<CONFIG
cuda_graph_config:
    enable_padding: true
    max_batch_size: $cuda_graph_bs
enable_attention_dp: $DP_ATTENTION
print_iter_log: true
kv_cache_config:
    dtype: fp8
    free_gpu_memory_fraction: $kv_fraction
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
if [[ "$delay_batching" == true ]]; then
    cat >>"$options" <<CONFIG
batch_wait_timeout_iters: 40
batch_wait_max_tokens_ratio: 0.8
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
