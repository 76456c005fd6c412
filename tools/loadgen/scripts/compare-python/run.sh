#!/usr/bin/env bash
# Measures loadgen against the original Python benchmark client
# (benchmark_serving.py of InferenceX f0e131f2e, which vLLM wrote), side by
# side in one run, against `loadgen sim-server` in its own process:
#
#   1. CPU seconds per million streamed tokens, with the command line
#      benchmarks/benchmark_lib.sh uses, at a token rate both can sustain;
#   2. the highest token rate each can consume from a server that streams
#      as fast as it can;
#   3. how far each one's median ITL and TPOT drift from the server's fixed
#      step when the chunk rate is high (the client as the bottleneck).
#
# Needs Debian's python3-aiohttp, python3-numpy and python3-tqdm (apt-get
# install them); transformers is replaced by a stand-in tokenizer (shim/).
# The original is read from $REF (default /work/ref); it is run, never copied.
#
#   tools/loadgen/scripts/compare-python/run.sh [OUTDIR]
#
# Sizes can be changed with CONC, PROMPTS, OUTPUT_LEN, STEP_MS (run 1) and
# FAST_CONC, FAST_PROMPTS, FAST_OUTPUT_LEN (run 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
ref=${REF:-/work/ref}
original="$ref/utils/bench_serving/benchmark_serving.py"
python=${PYTHON:-/usr/bin/python3}
out=${1:-$(mktemp -d)}
mkdir -p "$out"
[ -f "$original" ] || { echo "no original client at $original (set REF)" >&2; exit 2; }
"$python" -c 'import aiohttp, numpy, tqdm' || { echo "$python needs aiohttp, numpy and tqdm (apt-get install python3-aiohttp python3-numpy python3-tqdm)" >&2; exit 2; }

CONC=${CONC:-64} PROMPTS=${PROMPTS:-256} OUTPUT_LEN=${OUTPUT_LEN:-512} STEP_MS=${STEP_MS:-10}
FAST_CONC=${FAST_CONC:-64} FAST_PROMPTS=${FAST_PROMPTS:-128} FAST_OUTPUT_LEN=${FAST_OUTPUT_LEN:-1024}
HIGH_CONC=${HIGH_CONC:-1024} HIGH_OUTPUT_LEN=${HIGH_OUTPUT_LEN:-100} HIGH_STEP_MS=${HIGH_STEP_MS:-40}
INPUT_LEN=256

(cd "$root/tools/loadgen" && go build -o "$out/loadgen" .)
loadgen="$out/loadgen"
tiny="$root/tools/loadgen/bench/testdata/tinytok"

sim_pid=""
start_sim() {
  "$loadgen" sim-server --model sim --precise-steps "$@" >"$out/sim.url" 2>"$out/sim.log" &
  sim_pid=$!
  for _ in $(seq 100); do [ -s "$out/sim.url" ] && break; sleep 0.05; done
  url=$(head -1 "$out/sim.url")
}
stop_sim() { [ -n "$sim_pid" ] && kill "$sim_pid" && wait "$sim_pid" || true; sim_pid=""; }
trap stop_sim EXIT

# The flags benchmark_lib.sh run_benchmark_serving passes, for both clients.
common() {
  local conc=$1 prompts=$2 outlen=$3 name=$4
  echo --model sim --backend vllm --base-url "$url" --dataset-name random \
    --random-input-len "$INPUT_LEN" --random-output-len "$outlen" --random-range-ratio 1 \
    --num-prompts "$prompts" --max-concurrency "$conc" --request-rate inf --ignore-eos --save-result \
    --num-warmups $((2 * conc)) --percentile-metrics ttft,tpot,itl,e2el --result-dir "$out" --result-filename "$name.json"
}

# measure NAME CMD...: runs CMD, records user+sys CPU seconds and wall time.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%U %S %e" -o "$out/$name.time" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || {
    echo "$name failed:" >&2; tail -20 "$out/$name.stderr" >&2; exit 1; }
}

python_client=(env PYTHONPATH="$here/shim" "$python" "$original")
go_client=("$loadgen" --tokenizer "$tiny")

# report NAME WARMUP_TOKENS: the process's CPU over every token it
# streamed (measured run and warmup; start-up included).
report() {
  local name=$1 warm=$2
  read -r user sys wall <"$out/$name.time"
  "$python" - "$name" "$warm" "$user" "$sys" "$out/$name.json" <<'PY'
import json, sys
name, warm, user, sys_, path = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
r = json.load(open(path))
tokens = r["total_output_tokens"] + warm
cpu = user + sys_
print(f"{name:<14} streamed={tokens:<7} cpu={cpu:6.2f}s (user {user:.2f} sys {sys_:.2f})  cpu/Mtok={cpu / tokens * 1e6:7.2f}s  "
      f"duration={r['duration']:6.2f}s  out_tok/s={r['output_throughput']:9.1f}  "
      f"median_itl={r['median_itl_ms']:.3f}ms  median_tpot={r['median_tpot_ms']:.3f}ms")
PY
}

echo "== 1. CPU per token at a rate both sustain: concurrency $CONC, $PROMPTS x $OUTPUT_LEN tokens, ${STEP_MS} ms steps"
start_sim --decode-step-ms "$STEP_MS" --decode-ms-per-seq 0 --prefill-ms-per-token 0 --max-batch "$CONC"
# shellcheck disable=SC2046
measure python-paced "${python_client[@]}" $(common "$CONC" "$PROMPTS" "$OUTPUT_LEN" python-paced)
# shellcheck disable=SC2046
measure loadgen-paced "${go_client[@]}" $(common "$CONC" "$PROMPTS" "$OUTPUT_LEN" loadgen-paced)
stop_sim
report python-paced $((2 * CONC * OUTPUT_LEN))
report loadgen-paced $((2 * CONC * OUTPUT_LEN))

echo "== 2. Highest token rate: concurrency $FAST_CONC, $FAST_PROMPTS x $FAST_OUTPUT_LEN tokens, no pacing"
start_sim --decode-step-ms 0 --decode-ms-per-seq 0 --prefill-ms-per-token 0 --max-batch "$FAST_CONC"
# shellcheck disable=SC2046
measure python-fast "${python_client[@]}" $(common "$FAST_CONC" "$FAST_PROMPTS" "$FAST_OUTPUT_LEN" python-fast)
# shellcheck disable=SC2046
measure loadgen-fast "${go_client[@]}" $(common "$FAST_CONC" "$FAST_PROMPTS" "$FAST_OUTPUT_LEN" loadgen-fast)
stop_sim
report python-fast $((2 * FAST_CONC * FAST_OUTPUT_LEN))
report loadgen-fast $((2 * FAST_CONC * FAST_OUTPUT_LEN))

echo "== 3. Drift at a high chunk rate: concurrency $HIGH_CONC, $HIGH_CONC x $HIGH_OUTPUT_LEN tokens, ${HIGH_STEP_MS} ms steps"
start_sim --decode-step-ms "$HIGH_STEP_MS" --decode-ms-per-seq 0 --prefill-ms-per-token 0 --max-batch "$HIGH_CONC" --max-prefill-tokens 100000000
# shellcheck disable=SC2046
measure python-high "${python_client[@]}" $(common "$HIGH_CONC" "$HIGH_CONC" "$HIGH_OUTPUT_LEN" python-high) --num-warmups 0
# shellcheck disable=SC2046
measure loadgen-high "${go_client[@]}" $(common "$HIGH_CONC" "$HIGH_CONC" "$HIGH_OUTPUT_LEN" loadgen-high) --num-warmups 0
stop_sim
report python-high 0
report loadgen-high 0
echo "(the server's step is ${HIGH_STEP_MS} ms: the truth both should report)"

echo "== 4. Result keys: the original's, in its order, are the start of loadgen's"
"$python" - "$out/python-paced.json" "$out/loadgen-paced.json" <<'PY'
import json, sys
py, go = (list(json.load(open(p)).keys()) for p in sys.argv[1:3])
same = go[:len(py)] == py
print("identical prefix:", same)
if not same:
    print("python :", py)
    print("loadgen:", go[:len(py)])
    sys.exit(1)
print("loadgen adds:", ", ".join(go[len(py):]))
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared: rerun when it is quiet)"
echo "outputs in $out"
