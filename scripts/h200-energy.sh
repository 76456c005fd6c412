#!/usr/bin/env bash
# Measures the energy of the real H200 recording (tools/resultproc/power/
# testdata/h200, README there) with resultproc power, over the recording's
# idle-to-load window and over its whole span, from nvidia-smi's sampled
# power.draw (upstream's method) and from gpumon's file (the energy counter,
# with integrated power as the cross-check). The numbers of docs/gpumon.md
# and docs/performance.md come from here:
#
#   bash scripts/h200-energy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fixture=tools/resultproc/power/testdata/h200
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/resultproc" ./tools/resultproc

# measure NAME CSV START END
measure() {
    local name=$1 csv=$2 start=$3 end=$4
    local dir="$work/$name"
    mkdir -p "$dir"
    cp "$fixture/$csv" "$dir/gpu_metrics.csv"
    printf '{"benchmark_start_time_unix": %s, "benchmark_end_time_unix": %s, "duration": %s, "completed": 64, "total_input_tokens": 65536, "total_output_tokens": 65536}' \
        "$start" "$end" "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.6f", e - s }')" >"$dir/bench.json"
    echo '{}' >"$dir/agg.json"
    (cd "$dir" && TZ=UTC "$work/resultproc" power --csv gpu_metrics.csv --bench-result bench.json --agg-result agg.json \
        --expected-num-gpus 1 --validation-result v.json >/dev/null)
    python3 - "$name" "$dir/v.json" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
v = json.load(open(path))
c = v.get("energy_counter_check") or {}
counter = c.get("energy_counter_j")
integ = c.get("integrated_power_j")
rel = c.get("relative_difference")
print(f"{name:28} {v['integration_method'][:28]:28} energy {v['metrics']['total_gpu_energy_j']:10.3f} J"
      + (f"  counter {counter:10.3f} J  integrated {integ:10.3f} J  ({rel * 100:+.2f}%)" if counter else ""))
PY
}

measure "window, nvidia-smi power"   nvsmi-upstream-fields.csv 1796404507.25 1796404525.25
measure "window, gpumon"             nvml-gpumon.csv           1796404507.25 1796404525.25
measure "whole span, nvidia-smi"     nvsmi-upstream-fields.csv 1796404503.2  1796404528.95
measure "whole span, gpumon"         nvml-gpumon.csv           1796404503.2  1796404528.95
