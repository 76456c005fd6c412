#!/usr/bin/env bash
# Times `matrixgen full-sweep` against upstream's generate_sweep_configs.py in one hyperfine run
# (docs/performance.md), on the configs each was written for:
#   upstream main (843c6254f) on its own two master files: 1,820 jobs, evals marked;
#   with a second checkout, the original (f0e131f2e) on this repository's configs in the Feb-2026 format.
#
#   git -C <mirror of SemiAnalysisAI/InferenceX> archive 843c6254f | tar -x -C /tmp/upstream-main
#   git -C <mirror of SemiAnalysisAI/InferenceX> archive f0e131f2e | tar -x -C /tmp/upstream-feb
#   scripts/bench-matrixgen.sh /tmp/upstream-main [/tmp/upstream-feb]
#
# Needs hyperfine (Debian: apt-get install hyperfine) and python3 with pydantic 2 and PyYAML.
set -euo pipefail
main=${1:?usage: $0 UPSTREAM_MAIN_CHECKOUT [UPSTREAM_FEB2026_CHECKOUT]}
feb=${2:-}
cd "$(dirname "$0")/.."
go build -trimpath -o bin/matrixgen ./tools/matrixgen

# Same jobs, or the comparison means nothing. (matrixgen writes every
# worker's additional-settings, [] where the config has none; upstream
# leaves the key out.)
same() {
  python3 - "$1" "$2" <<'PY'
import json, sys
def load(path):
    with open(path) as f:
        rows = json.load(f)
    for row in rows:
        for side in ("prefill", "decode"):
            if side in row:
                row[side].setdefault("additional-settings", [])
    return rows
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    sys.exit(f"the outputs differ ({len(a)} and {len(b)} jobs)")
print(f"same {len(a)} jobs")
PY
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
u=tools/matrixgen/testdata/upstream-main
args="full-sweep --config-files $u/nvidia-master.yaml $u/amd-master.yaml --runner-config $u/runners.yaml"
# Upstream's configs name runner labels its runners.yaml does not list: matrixgen
# refuses them unless told to only warn (upstream does not check them at all).
ours="$args --allow-unlisted-runners"
# shellcheck disable=SC2086 # the arguments are words
bin/matrixgen $ours > "$tmp/ours.json" 2> /dev/null
# shellcheck disable=SC2086
python3 "$main/utils/matrix_logic/generate_sweep_configs.py" $args > "$tmp/upstream.json"
same "$tmp/ours.json" "$tmp/upstream.json"
hyperfine -N --warmup 5 --runs "${RUNS:-30}" \
  --command-name "matrixgen (today's configs)" "bin/matrixgen $ours" \
  --command-name "upstream main generate_sweep_configs.py" "python3 $main/utils/matrix_logic/generate_sweep_configs.py $args"

if [ -n "$feb" ]; then
  f=tools/matrixgen/testdata/feb2026
  args="full-sweep --config-files $f/nvidia-master.yaml $f/amd-master.yaml --runner-config $f/runners.yaml --single-node"
  # shellcheck disable=SC2086
  bin/matrixgen $args > "$tmp/ours.json"
  # shellcheck disable=SC2086
  python3 "$feb/utils/matrix_logic/generate_sweep_configs.py" $args > "$tmp/upstream.json"
  same "$tmp/ours.json" "$tmp/upstream.json"
  hyperfine -N --warmup 5 --runs "${RUNS:-30}" \
    --command-name "matrixgen (Feb-2026 configs)" "bin/matrixgen $args" \
    --command-name "f0e131f2e generate_sweep_configs.py" "python3 $feb/utils/matrix_logic/generate_sweep_configs.py $args"
fi
