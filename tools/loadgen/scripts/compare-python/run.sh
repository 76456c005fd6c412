#!/usr/bin/env bash
# Measures loadgen against the original Python benchmark client
# (benchmark_serving.py of InferenceX, which vLLM wrote: upstream main at
# 843c6254f, whose result keys and defaults loadgen follows; f0e131f2e's
# lacks the two wall-clock keys, so check 4 fails against it), side by
# side in one run, against `loadgen sim-server` in its own process:
#
#   1. CPU seconds per million streamed tokens, with the command line
#      benchmarks/benchmark_lib.sh uses, at a token rate both can sustain;
#   2. the highest token rate each can consume from a server that streams
#      as fast as it can;
#   3. how far each one's median ITL and TPOT drift from the server's fixed
#      step when the chunk rate is high (the client as the bottleneck).
#
# Runs 1 and 3 also measure floor.c (built with the C compiler when there is
# one): a client that only receives the chunks, whose CPU is the kernel's
# price per chunk that every client pays. Python's CPU over it is the most
# any client could save against Python in that run. gofloor does the same
# with one goroutine per connection, as loadgen reads: what it spends over
# floor.c is the Go runtime's part.
#
# Needs Debian's python3-aiohttp, python3-numpy and python3-tqdm (apt-get
# install them); transformers is replaced by a stand-in tokenizer (shim/).
# The original is read from $REF (default /work/ref-main, a checkout of
# upstream main); it is run, never copied.
#
#   tools/loadgen/scripts/compare-python/run.sh [OUTDIR]
#
# Sizes can be changed with CONC, PROMPTS, OUTPUT_LEN, STEP_MS (run 1) and
# FAST_CONC, FAST_PROMPTS, FAST_OUTPUT_LEN (run 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
ref=${REF:-/work/ref-main}
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
stop_sim() {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  sim_pid=""
}
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

floors=()
if command -v "${CC:-cc}" >/dev/null; then
  "${CC:-cc}" -O2 -o "$out/floor" "$here/floor.c"
  floors+=("$out/floor")
else
  echo "no C compiler: the floor client is left out" >&2
fi
(cd "$root/tools/loadgen" && go build -o "$out/gofloor" ./scripts/compare-python/gofloor)
floors+=("$out/gofloor")
# measure_floor NAME CONC REQUESTS OUTPUT_LEN: runs the floor clients.
measure_floor() {
  local hostport=${url#http://} bin
  hostport=${hostport%%/*}
  for bin in "${floors[@]}"; do
    "$bin" "$hostport" "$2" "$3" "$4" >"$out/$1.$(basename "$bin")" 2>"$out/$1.stderr" || {
      echo "$1 ($bin) failed:" >&2; tail -20 "$out/$1.stderr" >&2; exit 1; }
  done
}
# report_floor NAME PYTHON_RUN WARMUP_TOKENS: the floor clients' lines, and
# the most any client could save against Python there.
report_floor() {
  "$python" - "$1" "$out/$1" "$out/$2.time" "$out/$2.json" "$3" <<'PY'
import json, os, re, sys
name, prefix, py_time, py_json, warm = sys.argv[1:6]
user, sys_, _ = (float(x) for x in open(py_time).read().split())
py = (user + sys_) / (json.load(open(py_json))["total_output_tokens"] + int(warm)) * 1e6
for kind in ("gofloor", "floor"):
    if not os.path.exists(f"{prefix}.{kind}"):
        continue
    line = open(f"{prefix}.{kind}").read().strip()
    print(f"{name + '/' + kind:<22} {line}")
    if kind == "floor":
        floor = float(re.search(r"cpu/Mtok=([0-9.]+)s", line).group(1))
        print(f"{'':<22} Python / floor = {py / floor:.1f}x: the most any client can save against Python here")
PY
}

python_client=(env PYTHONPATH="$here/shim" "$python" "$original")
go_client=("$loadgen" --tokenizer "$tiny")

# report NAME WARMUP_TOKENS: the process's CPU over every token it
# streamed (measured run and warmup; start-up included).
report() {
  local name=$1 warm=$2
  read -r user sys _ <"$out/$name.time"
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
measure_floor floor-paced "$CONC" "$PROMPTS" "$OUTPUT_LEN"
stop_sim
report python-paced $((2 * CONC * OUTPUT_LEN))
report loadgen-paced $((2 * CONC * OUTPUT_LEN))
report_floor floor-paced python-paced $((2 * CONC * OUTPUT_LEN))

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
measure_floor floor-high "$HIGH_CONC" "$HIGH_CONC" "$HIGH_OUTPUT_LEN"
stop_sim
report python-high 0
report loadgen-high 0
report_floor floor-high python-high 0
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
echo "== 5. Python's CPU per token over loadgen's (the target is at least 10x)"
"$python" - "$out" $((2 * CONC * OUTPUT_LEN)) $((2 * FAST_CONC * FAST_OUTPUT_LEN)) <<'PY'
import json, os, re, sys
out, warm = sys.argv[1], {"paced": int(sys.argv[2]), "fast": int(sys.argv[3]), "high": 0}
def per_token(name, run):
    user, sys_, _ = (float(x) for x in open(f"{out}/{name}-{run}.time").read().split())
    return (user + sys_) / (json.load(open(f"{out}/{name}-{run}.json"))["total_output_tokens"] + warm[run]) * 1e6
for run in ("paced", "fast", "high"):
    py, go = per_token("python", run), per_token("loadgen", run)
    line = f"{run:<6} {py / go:5.1f}x"
    floor = f"{out}/floor-{run}.floor"
    if os.path.exists(floor):
        f = float(re.search(r"cpu/Mtok=([0-9.]+)s", open(floor).read()).group(1))
        line += f"   (at most {py / f:.1f}x for any client: the floor)"
    print(line)
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared: rerun when it is quiet)"
echo "outputs in $out"
