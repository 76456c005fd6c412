#!/usr/bin/env python3
"""Writes tools/matrixgen/testdata/compat/<name>.json: what the original
generate_sweep_configs.py prints for each command line of
tools/matrixgen/testdata/compat/cases.txt. matrixgen's TestCompat must produce
the same matrices.

    git -C <mirror of SemiAnalysisAI/InferenceX> archive f0e131f2e | tar -x -C /tmp/inferencex-orig
    python3 scripts/gen-matrixgen-compat.py /tmp/inferencex-orig

Run it from the repository root; it needs python3 with pydantic 2 and PyYAML.

One documented normalisation is applied to the original's output: the
original passes a multi-node worker (prefill/decode) through as written in
the YAML, so a worker without additional-settings has no such key; matrixgen
always writes every field, so the key is added here as an empty list (the
default the original's own schema gives it).
"""
import json
import os
import shlex
import subprocess
import sys

ROOT = os.getcwd()
CASES = os.path.join(ROOT, "tools/matrixgen/testdata/compat/cases.txt")
OUT = os.path.join(ROOT, "tools/matrixgen/testdata/compat")


def cases():
    with open(CASES) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, args = line.split(None, 1)
            args = args.replace("{configs}", os.path.join(ROOT, "configs"))
            args = args.replace("{testdata}", os.path.join(ROOT, "tools/matrixgen/testdata/configs"))
            argv = shlex.split(args)
            if "--runner-config" not in argv:
                argv += ["--runner-config", os.path.join(ROOT, "configs/runners.yaml")]
            yield name, argv


def normalise(matrix):
    for entry in matrix:
        for side in ("prefill", "decode"):
            if side in entry:
                entry[side].setdefault("additional-settings", [])
    return matrix


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen-matrixgen-compat.py ORIGINAL_CHECKOUT")
    script = os.path.join(sys.argv[1], "utils/matrix_logic/generate_sweep_configs.py")
    if not os.path.exists(script):
        sys.exit(f"{script} does not exist")
    names = set()
    for name, argv in cases():
        if name in names:
            sys.exit(f"duplicate case name {name}")
        names.add(name)
        proc = subprocess.run([sys.executable, script] + argv, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            sys.exit(f"{name}: the original failed ({proc.returncode}):\n{proc.stderr}")
        matrix = normalise(json.loads(proc.stdout))
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            f.write(json.dumps(matrix) + "\n")
        print(f"{name}: {len(matrix)} entries")
    for stale in sorted(os.listdir(OUT)):
        if stale.endswith(".json") and stale[:-5] not in names:
            os.remove(os.path.join(OUT, stale))
            print(f"removed stale {stale}")


if __name__ == "__main__":
    main()
