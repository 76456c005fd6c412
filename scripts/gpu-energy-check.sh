#!/usr/bin/env bash
# The on-GPU check of gpumon (issue 14), for a machine with an NVIDIA GPU:
# gpumon (NVML, cgo) and `nvidia-smi -lms 100` record side by side while GPU 0
# goes idle -> full load -> idle; resultproc power then measures the same two
# windows from both files: the energy counter (gpumon's method), gpumon's
# integrated power (the cross-check) and nvidia-smi's sampled power.draw
# integrated as upstream main does. The table it prints is what
# docs/performance.md and docs/gpumon.md record.
#
# It takes about 40 s. The machine needs no Go and no network: build the two
# binaries here (`make build`; gpumon is cgo) and carry them, e.g. through the
# device tool:
#
#   run  command="bash scripts/gpu-energy-check.sh"  carry=["bin/gpumon","bin/resultproc"]  timeout_s=180
#
# The load is bf16 matrix products through PyTorch (or CuPy), whichever the
# machine's Python has. Files (both CSVs, the load's timestamps, the sidecars,
# the summary) go to $OUT if set, else to a temporary directory it names.
#
# Settings: IDLE_S (5), LOAD_S (15), GPUMON, RESULTPROC, PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."

idle_s=${IDLE_S:-5}
load_s=${LOAD_S:-15}
gpumon=${GPUMON:-bin/gpumon}
resultproc=${RESULTPROC:-bin/resultproc}
python=${PYTHON:-python3}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
# nvidia-smi writes local time without a zone; UTC on both sides makes its
# timestamps and resultproc's reading of them agree.
export TZ=UTC

die() { echo "gpu-energy-check: $*" >&2; exit 1; }
for tool in "$gpumon" "$resultproc"; do
    [[ -x $tool ]] || die "$tool is missing: run make build (gpumon with cgo) and carry bin/gpumon and bin/resultproc"
done
gpumon=$(realpath "$gpumon")
resultproc=$(realpath "$resultproc")
command -v nvidia-smi >/dev/null || die "nvidia-smi is missing: this check needs an NVIDIA GPU"
ngpus=$(nvidia-smi -L | grep -c '^GPU ') || die "nvidia-smi -L lists no GPU"
nvidia-smi -L | tee "$out/gpus.txt"

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

"$gpumon" --backend nvml --interval 100ms -o "$out/gpumon.csv" 2>"$out/gpumon.log" &
gpumon_pid=$!
pids+=("$gpumon_pid")
nvidia-smi --query-gpu=timestamp,index,power.draw,temperature.gpu,clocks.current.sm,clocks.current.memory,utilization.gpu,utilization.memory \
    --format=csv -lms 100 >"$out/nvsmi.csv" 2>"$out/nvsmi.log" &
nvsmi_pid=$!
pids+=("$nvsmi_pid")

# The load prints when it started and ended (Unix seconds): the windows are
# measured from those, not guessed.
"$python" - "$idle_s" "$load_s" >"$out/load.txt" <<'PY'
import sys, time
idle, load = float(sys.argv[1]), float(sys.argv[2])
try:
    import torch
    a = torch.randn(8192, 8192, device="cuda:0", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda:0", dtype=torch.bfloat16)
    mm, sync = (lambda: a @ b), torch.cuda.synchronize
except ImportError:
    import cupy
    a = cupy.random.standard_normal((8192, 8192), dtype=cupy.float32).astype(cupy.float16)
    b = cupy.random.standard_normal((8192, 8192), dtype=cupy.float32).astype(cupy.float16)
    mm, sync = (lambda: a @ b), cupy.cuda.Device(0).synchronize
mm(); sync()
time.sleep(idle)
start = time.time()
while time.time() - start < load:
    for _ in range(20):
        mm()
    sync()
end = time.time()
time.sleep(idle)
print(f"load_start {start:.3f}")
print(f"load_end {end:.3f}")
PY
kill -TERM "$gpumon_pid" "$nvsmi_pid"
wait "$gpumon_pid" || die "gpumon failed: $(cat "$out/gpumon.log")"
wait "$nvsmi_pid" 2>/dev/null || true
pids=()

load_start=$(awk '$1 == "load_start" { print $2 }' "$out/load.txt")
load_end=$(awk '$1 == "load_end" { print $2 }' "$out/load.txt")
[[ -n $load_start && -n $load_end ]] || die "the load printed no timestamps: $(cat "$out/load.txt")"

# measure NAME CSV START END: resultproc power over [START, END].
measure() {
    local name=$1 csv=$2 start=$3 end=$4
    local dir="$out/$name"
    mkdir -p "$dir"
    cp "$csv" "$dir/gpu_metrics.csv"
    printf '{"benchmark_start_time_unix": %s, "benchmark_end_time_unix": %s, "duration": %s, "completed": 1, "total_input_tokens": 1, "total_output_tokens": 1}' \
        "$start" "$end" "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.6f", e - s }')" >"$dir/bench.json"
    echo '{}' >"$dir/agg.json"
    (cd "$dir" && "$resultproc" power --csv gpu_metrics.csv --bench-result bench.json --agg-result agg.json \
        --expected-num-gpus "$ngpus" --validation-result sidecar.json >stdout.txt 2>stderr.txt) ||
        die "resultproc power on $name failed: $(cat "$dir/stderr.txt")"
    "$python" - "$name" "$dir/sidecar.json" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
v = json.load(open(path))
c = v.get("energy_counter_check") or {}
line = f"| {name} | {v['metrics'].get('total_gpu_energy_j')} | {v.get('integration_method')} |"
if c:
    line += f" counter {c['energy_counter_j']:.3f} J, integrated power {c['integrated_power_j']:.3f} J, {c['relative_difference'] * 100:+.2f}% |"
else:
    line += " |"
print(line)
PY
}

# Ramp: from one idle second before the load into 12 s of it (where sampled
# power lags); whole: one second after the monitors started to one before
# they stopped.
ramp_start=$(awk -v s="$load_start" 'BEGIN { printf "%.3f", s - 1 }')
ramp_end=$(awk -v s="$load_start" -v l="$load_s" 'BEGIN { printf "%.3f", s + (l < 12 ? l : 12) }')
whole_start=$(awk -v s="$load_start" -v i="$idle_s" 'BEGIN { printf "%.3f", s - i + 1.5 }')
whole_end=$(awk -v e="$load_end" -v i="$idle_s" 'BEGIN { printf "%.3f", e + i - 1 }')
{
    echo "load on GPU 0 from $load_start to $load_end; $ngpus GPU(s) measured"
    echo
    echo "| window | total_gpu_energy_j | method | gpumon cross-check |"
    echo "|---|---:|---|---|"
    measure "ramp-gpumon" "$out/gpumon.csv" "$ramp_start" "$ramp_end"
    measure "ramp-nvidia-smi" "$out/nvsmi.csv" "$ramp_start" "$ramp_end"
    measure "whole-gpumon" "$out/gpumon.csv" "$whole_start" "$whole_end"
    measure "whole-nvidia-smi" "$out/nvsmi.csv" "$whole_start" "$whole_end"
} | tee "$out/summary.md"
echo "files in $out"
