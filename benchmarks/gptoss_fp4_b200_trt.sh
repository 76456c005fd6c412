#!/usr/bin/env bash
# gpt-oss-120b (MXFP4) on B200 with TensorRT-LLM (trtllm-serve, PyTorch backend).
# shellcheck source=benchmark_lib.sh
source "$(dirname "$0")/benchmark_lib.sh"

check_env_vars MODEL TP CONC ISL OSL MAX_MODEL_LEN RANDOM_RANGE_RATIO RESULT_FILENAME DP_ATTENTION EP_SIZE
print_job_banner

hf download "$MODEL"

export TRTLLM_ENABLE_PDL=1
moe_backend=TRTLLM
max_num_tokens=20000
# An eval-only job serves the eval's context length, all of it one batch's budget.
eval_context_override MAX_MODEL_LEN max_num_tokens

options=gptoss-fp4.yml
cat >"$options" <<CONFIG
cuda_graph_config:
    enable_padding: true
    max_batch_size: $CONC
enable_attention_dp: $DP_ATTENTION
kv_cache_config:
    dtype: fp8
    enable_block_reuse: false
    free_gpu_memory_fraction: 0.85
print_iter_log: true
stream_interval: 20
num_postprocess_workers: 4
moe_config:
    backend: $moe_backend
CONFIG
if [[ "$DP_ATTENTION" == true ]]; then
    # Expert parallelism across attention ranks goes through the MNNVL
    # all-to-all; without it the all-to-all is switched off.
    if ((EP_SIZE == 1)); then
        export TRTLLM_FORCE_ALLTOALL_METHOD=NotEnabled
    else
        export TRTLLM_MOE_ALLTOALL_BACKEND=mnnvlthroughput
        export TRTLLM_FORCE_ALLTOALL_METHOD=MNNVL
        export TRTLLM_MOE_A2A_WORKSPACE_MB=2048
    fi
    cat >>"$options" <<CONFIG
attention_dp_config:
    enable_balance: true
CONFIG
fi
echo "extra LLM API options:"
cat "$options"

start_gpu_monitor
start_trtllm_serve "$options" \
    --max_batch_size 512 \
    --max_seq_len="$MAX_MODEL_LEN" \
    --max_num_tokens="$max_num_tokens"

run_standard_benchmark --backend openai
