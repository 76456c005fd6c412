#!/usr/bin/env bash
# gpt-oss-120b on GB200 NVL72, disaggregated prefill/decode with Dynamo and TensorRT-LLM,
# through the Slurm performance sweeps of Dynamo's TensorRT-LLM backend (benchmark_disagg.slurm).
# shellcheck source=multinode_lib.sh
source "$(dirname "$0")/multinode_lib.sh"

check_env_vars CONC_LIST ISL OSL IMAGE SPEC_DECODING GITHUB_WORKSPACE RESULT_FILENAME \
    PREFILL_NUM_WORKERS PREFILL_TP PREFILL_EP PREFILL_DP_ATTN \
    DECODE_NUM_WORKERS DECODE_TP DECODE_EP DECODE_DP_ATTN \
    PREFILL_MAX_NUM_TOKENS PREFILL_MAX_BATCH_SIZE DECODE_MAX_NUM_TOKENS DECODE_MAX_BATCH_SIZE \
    DECODE_GPU_MEM_FRACTION MODEL_PATH SERVED_MODEL_NAME
if [[ "$SPEC_DECODING" == mtp ]]; then
    check_env_vars DECODE_MTP_SIZE
else
    DECODE_MTP_SIZE=0
fi
set -x

case "${ISL}x${OSL}" in
    1024x1024) export CACHE_TRANSCEIVER_MAX_NUM_TOKENS=1024 ;;
    8192x1024) export CACHE_TRANSCEIVER_MAX_NUM_TOKENS=8448 ;;
    *)
        echo "error: no cache transceiver size for ISL=$ISL OSL=$OSL (1k1k and 8k1k are tuned)" >&2
        exit 1
        ;;
esac

cd "$GITHUB_WORKSPACE" || exit 1
rm -rf dynamo
git clone --branch release/0.5.1-rc0.20260105 https://github.com/ai-dynamo/dynamo.git
git -C dynamo submodule update --init --recursive
sweeps="$GITHUB_WORKSPACE/dynamo/components/backends/trtllm/performance_sweeps"
cd "$sweeps" || exit 1

# Four GPUs (tasks) per GB200 node; a decode worker spans ceil(TP/4) nodes,
# a prefill worker one node.
tasks_per_node=4
nodes_per_decode_worker=$(((DECODE_TP + 3) / 4))
decode_nodes=$((nodes_per_decode_worker * DECODE_NUM_WORKERS))
total_nodes=$((PREFILL_NUM_WORKERS + decode_nodes))
eplb_slots=0

sbatch --nodes="$total_nodes" \
    --ntasks="$((total_nodes * tasks_per_node))" \
    --ntasks-per-node="$tasks_per_node" \
    --segment="$total_nodes" --time=04:00:00 \
    benchmark_disagg.slurm \
    "$PREFILL_NUM_WORKERS" "$PREFILL_TP" \
    "$PREFILL_MAX_BATCH_SIZE" "$PREFILL_MAX_NUM_TOKENS" \
    "$PREFILL_DP_ATTN" "$DECODE_NUM_WORKERS" \
    "$DECODE_TP" "$DECODE_EP" "$DECODE_MAX_BATCH_SIZE" \
    "$DECODE_MAX_NUM_TOKENS" "$DECODE_DP_ATTN" \
    "$DECODE_GPU_MEM_FRACTION" "$eplb_slots" \
    "$DECODE_MTP_SIZE" "$CONC_LIST" \
    "$decode_nodes" dynamo_disagg \
    "$MODEL_PATH" "$SERVED_MODEL_NAME" \
    "$IMAGE" "$ISL" "$OSL" || exit 1

wait_for_user_jobs 30

# dynamo_disagg-bm-I-O/ctx.._gen.._batch.._eplb.._mtp../results/results_concurrency_C_gpus_N.json;
# the file names carry the total GPU count only, so the prefill and decode
# counts come from the job.
logs=$(find "$sweeps" -type d -name "dynamo_disagg-bm-${ISL}-${OSL}" | head -n 1)
if [[ -z "$logs" ]]; then
    echo "error: no dynamo_disagg-bm-${ISL}-${OSL} directory under $sweeps" >&2
    exit 1
fi
prefill_gpus=$((PREFILL_NUM_WORKERS * PREFILL_TP))
decode_gpus=$((DECODE_NUM_WORKERS * DECODE_TP))
copied=0
for f in "$logs"/ctx*_gen*_batch*_eplb*_mtp*/results/results_concurrency_*_gpus_*.json; do
    [[ -f "$f" ]] || continue
    run=$(basename "$(dirname "$(dirname "$f")")")
    if [[ $(basename "$f") =~ ^results_concurrency_([0-9]+)_gpus_([0-9]+)\.json$ ]]; then
        cp "$f" "${GITHUB_WORKSPACE}/${RESULT_FILENAME}_${run}_conc${BASH_REMATCH[1]}_gpus_${BASH_REMATCH[2]}_ctx_${prefill_gpus}_gen_${decode_gpus}.json"
        copied=$((copied + 1))
    fi
done
echo "copied $copied result file(s)"
((copied > 0))
