#!/usr/bin/env bash
# Times the aggregation of one agentic (AgentX) run: `resultproc agentic` against upstream's
# utils/agentic/aggregation/process_agentic_result.py (docs/performance.md), on AIPerf artifacts
# synthesized by scripts/synth-agentic-artifacts.py (seeded: profile_export.jsonl with warmup rows, a few
# failed requests and many conversations over a 30-minute run, profile_export_aiperf.json, a vLLM
# server_metrics_export.json with a DRAM offload tier, the traces in a Hugging Face cache).
#
#   git -C <mirror of SemiAnalysisAI/InferenceX> archive 843c6254f | tar -x -C /tmp/upstream-main
#   scripts/bench-agentic.sh [--ref DIR] [--records "20000 100000"] [--runs N] [--upstream-only] [--no-hyperfine]
#
# For each size it first runs both once and requires byte-identical output files (a difference stops
# it: a faster wrong answer is not a result), then times both with hyperfine (or, without it, a loop of
# runs) and prints a Markdown table. --upstream-only times upstream alone (before resultproc has its
# agentic subcommand). The upstream checkout is --ref, else $INFERENCEX_REF, else /tmp/upstream-main;
# $PYTHON runs it and the synthesizer (default python3: only the standard library is needed);
# $RESULTPROC is the binary to time (default: bin/resultproc, built here).
set -euo pipefail

usage() {
  sed -n '9p' "$0" | sed 's/^#  */usage: /' >&2
  exit 2
}

ref=${INFERENCEX_REF:-/tmp/upstream-main}
sizes="20000 100000"
runs=${RUNS:-10}
upstream_only=false
use_hyperfine=true
while [ $# -gt 0 ]; do
  case $1 in
    --ref) ref=${2:?--ref needs a directory}; shift 2 ;;
    --records) sizes=${2:?--records needs a list of sizes}; shift 2 ;;
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --upstream-only) upstream_only=true; shift ;;
    --no-hyperfine) use_hyperfine=false; shift ;;
    -h|--help) usage ;;
    *) echo "bench-agentic.sh: unknown argument $1" >&2; usage ;;
  esac
done
case $runs in ''|*[!0-9]*|0) echo "bench-agentic.sh: --runs must be a positive integer, got '$runs'" >&2; exit 2 ;; esac
for n in $sizes; do
  case $n in ''|*[!0-9]*|0) echo "bench-agentic.sh: --records must list positive integers, got '$n'" >&2; exit 2 ;; esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
ref=$(cd "$ref" 2>/dev/null && pwd) || { echo "bench-agentic.sh: upstream checkout $ref not found (--ref DIR or \$INFERENCEX_REF)" >&2; exit 1; }
if [ ! -f "$ref/utils/agentic/aggregation/process_agentic_result.py" ]; then
  echo "bench-agentic.sh: $ref has no utils/agentic/aggregation/process_agentic_result.py (upstream main 843c6254f or later)" >&2
  exit 1
fi
if [ "$use_hyperfine" = true ] && ! command -v hyperfine >/dev/null 2>&1; then
  echo "bench-agentic.sh: no hyperfine; timing with a loop of $runs runs" >&2
  use_hyperfine=false
fi

resultproc=${RESULTPROC:-}
if [ "$upstream_only" = false ]; then
  if [ -z "$resultproc" ]; then
    (cd "$root" && go build -trimpath -o bin/resultproc ./tools/resultproc)
    resultproc=$root/bin/resultproc
  fi
  if ! "$resultproc" agentic --help >/dev/null 2>&1; then
    echo "bench-agentic.sh: $resultproc has no agentic subcommand; run with --upstream-only" >&2
    exit 1
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The job environment process_agentic_result.py reads (a single-node vLLM job with a DRAM tier).
export RUNNER_TYPE=cluster:b200-dgxc CONC=64 IMAGE=vllm/vllm-openai:v0.11.0 MODEL=deepseek-ai/DeepSeek-R1-0528
export MODEL_PREFIX=dsr1 FRAMEWORK=vllm PRECISION=fp8 SPEC_DECODING=none DISAGG=false IS_MULTINODE=false
export TP=8 EP_SIZE=1 DP_ATTENTION=false KV_OFFLOADING=dram KV_OFFLOAD_BACKEND=vllm-simple TOTAL_CPU_DRAM_GB=1536
export KV_OFFLOAD_BACKEND_METADATA='{"name": "vllm-simple"}' PYTHONPATH=$ref
unset HF_HOME HUGGINGFACE_HUB_CACHE

# seconds PROGRAM...: mean and min wall seconds of $runs runs, one line.
seconds() {
  local i start end total=0 best=""
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    total=$((total + end - start))
    if [ -z "$best" ] || [ $((end - start)) -lt "$best" ]; then best=$((end - start)); fi
  done
  awk -v t="$total" -v n="$runs" -v b="$best" 'BEGIN { printf "%.3f %.3f\n", t / n / 1e9, b / 1e9 }'
}

table=$tmp/table.md
if [ "$upstream_only" = true ]; then
  printf '| records | profile_export.jsonl | upstream mean s | upstream min s |\n|---:|---:|---:|---:|\n' >"$table"
else
  printf '| records | profile_export.jsonl | upstream mean s | resultproc agentic mean s | upstream min s | resultproc min s | speed-up (means) |\n|---:|---:|---:|---:|---:|---:|---:|\n' >"$table"
fi

for n in $sizes; do
  run=$tmp/r$n
  "$python" "$root/scripts/synth-agentic-artifacts.py" --records "$n" --seed "$n" --offload --traces --out "$run"
  size=$(du -h "$run/aiperf_artifacts/profile_export.jsonl" | cut -f1)
  export RESULT_DIR=$run RESULT_FILENAME=agentic_$n HF_HUB_CACHE=$run/hf-hub
  upstream=("$python" -m utils.agentic.aggregation.process_agentic_result)
  AGENTIC_OUTPUT_DIR=$run/upstream "${upstream[@]}" >/dev/null
  if [ "$upstream_only" = false ]; then
    AGENTIC_OUTPUT_DIR=$run/ours "$resultproc" agentic >/dev/null
    if ! cmp -s "$run/upstream/agentic_$n.json" "$run/ours/agentic_$n.json"; then
      echo "bench-agentic.sh: $n records: resultproc agentic's output differs from upstream's:" >&2
      diff -u "$run/upstream/agentic_$n.json" "$run/ours/agentic_$n.json" | head -40 >&2 || true
      exit 1
    fi
    echo "bench-agentic.sh: $n records: the outputs are byte-identical ($(wc -c <"$run/ours/agentic_$n.json") bytes)" >&2
  fi

  export AGENTIC_OUTPUT_DIR=$run/timed
  if [ "$use_hyperfine" = true ]; then
    # hyperfine -N splits each command string as a shell would: quote every word, so that a
    # $PYTHON or $RESULTPROC path with spaces stays one argument.
    cmds=(--command-name "upstream process_agentic_result.py" "$(printf '%q ' "${upstream[@]}")")
    if [ "$upstream_only" = false ]; then
      cmds+=(--command-name "resultproc agentic" "$(printf '%q ' "$resultproc" agentic)")
    fi
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$run/times.json" "${cmds[@]}" >&2
    times=$("$python" -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(" ".join(f"{x:.3f}" for res in r for x in (res["mean"], res["min"])), "- -" if len(r) == 1 else "")
' "$run/times.json")
    read -r up_mean up_min our_mean our_min <<<"$times"
  else
    times=$(seconds "${upstream[@]}")
    read -r up_mean up_min <<<"$times"
    our_mean=- our_min=-
    if [ "$upstream_only" = false ]; then
      times=$(seconds "$resultproc" agentic)
      read -r our_mean our_min <<<"$times"
    fi
  fi
  if [ "$upstream_only" = true ]; then
    printf '| %s | %s | %s | %s |\n' "$n" "$size" "$up_mean" "$up_min" >>"$table"
  else
    speedup=$(awk -v u="$up_mean" -v o="$our_mean" 'BEGIN { if (o > 0) printf "%.1f×", u / o; else print "-" }')
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$size" "$up_mean" "$our_mean" "$up_min" "$our_min" "$speedup" >>"$table"
  fi
done
cat "$table"
