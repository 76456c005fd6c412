#!/usr/bin/env bash
# Times `matrixgen full-sweep` over both master configs against the original
# generate_sweep_configs.py in one hyperfine run (docs/performance.md).
#
#   git -C <mirror of SemiAnalysisAI/InferenceX> archive f0e131f2e | tar -x -C /tmp/inferencex-orig
#   scripts/bench-matrixgen.sh /tmp/inferencex-orig
#
# Needs hyperfine (Debian: apt-get install hyperfine) and python3 with pydantic 2 and PyYAML.
set -euo pipefail
orig=${1:?usage: $0 ORIGINAL_CHECKOUT}
cd "$(dirname "$0")/.."
go build -trimpath -o bin/matrixgen ./tools/matrixgen
args="full-sweep --config-files configs/nvidia-master.yaml configs/amd-master.yaml --single-node"
# Same output, or the comparison means nothing.
cmp <(bin/matrixgen $args) <(python3 "$orig/utils/matrix_logic/generate_sweep_configs.py" $args)
hyperfine -N --warmup 5 --runs "${RUNS:-50}" "bin/matrixgen $args" "python3 $orig/utils/matrix_logic/generate_sweep_configs.py $args"
