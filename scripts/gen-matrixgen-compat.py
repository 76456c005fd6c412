#!/usr/bin/env python3
"""Writes the matrixgen compatibility goldens: what upstream's generate_sweep_configs.py prints for each command
line of a suite's cases.txt, one <name>.json per line. matrixgen's TestCompat must produce the same matrices.

Two suites, each with the checkout of upstream it is compared with:

  feb2026  tools/matrixgen/testdata/compat/       the original at f0e131f2e, on Feb-2026 configs
  main     tools/matrixgen/testdata/compat-main/  upstream main at 843c6254f, on today's configs

    git -C <mirror of SemiAnalysisAI/InferenceX> archive f0e131f2e | tar -x -C /tmp/upstream-feb
    git -C <mirror of SemiAnalysisAI/InferenceX> archive 843c6254f | tar -x -C /tmp/upstream-main
    python3 scripts/gen-matrixgen-compat.py --feb /tmp/upstream-feb --main /tmp/upstream-main

Either flag alone regenerates that suite only. Run it from the repository root; it needs python3 with pydantic 2
and PyYAML.

matrixgen's own --allow-unlisted-runners (upstream main does not check runner labels against runners.yaml, so it
has no such flag) is left out of upstream's command line.

One documented normalisation is applied to upstream's output: upstream passes a multi-node worker
(prefill/decode) through as written in the YAML, so a worker without additional-settings has no such key;
matrixgen always writes every field, so the key is added here as an empty list (the default upstream's own
schema gives it).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

ROOT = os.getcwd()
TESTDATA = os.path.join(ROOT, "tools/matrixgen/testdata")

# suite -> (output directory, placeholders, default runner config)
SUITES = {
    "feb2026": ("compat", {"{feb}": "feb2026", "{testdata}": "configs"}, "{feb}/runners.yaml"),
    "main": ("compat-main", {"{upstream}": "upstream-main", "{testdata}": "configs-main", "{configs}": None},
             "{upstream}/runners.yaml"),
}

# Flags of matrixgen that upstream's script does not have.
OURS_ONLY = {"--allow-unlisted-runners"}


def expand(arg, placeholders):
    for ph, sub in placeholders.items():
        path = os.path.join(ROOT, "configs") if sub is None else os.path.join(TESTDATA, sub)
        arg = arg.replace(ph, path)
    return arg


def cases(suite):
    out_dir, placeholders, default_runners = SUITES[suite]
    with open(os.path.join(TESTDATA, out_dir, "cases.txt")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, args = line.split(None, 1)
            argv = [expand(a, placeholders) for a in shlex.split(args)]
            if "--runner-config" not in argv:
                argv += ["--runner-config", expand(default_runners, placeholders)]
            yield name, argv


def normalise(matrix):
    for entry in matrix:
        for side in ("prefill", "decode"):
            if side in entry:
                entry[side].setdefault("additional-settings", [])
    return matrix


def generate(suite, checkout):
    script = os.path.join(checkout, "utils/matrix_logic/generate_sweep_configs.py")
    if not os.path.exists(script):
        sys.exit(f"{script} does not exist")
    out_dir = os.path.join(TESTDATA, SUITES[suite][0])
    names = set()
    for name, argv in cases(suite):
        if name in names:
            sys.exit(f"{suite}: duplicate case name {name}")
        names.add(name)
        argv = [a for a in argv if a not in OURS_ONLY]
        proc = subprocess.run([sys.executable, script] + argv, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            sys.exit(f"{suite} {name}: upstream failed ({proc.returncode}):\n{proc.stderr}")
        matrix = normalise(json.loads(proc.stdout))
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            f.write(json.dumps(matrix) + "\n")
        print(f"{suite} {name}: {len(matrix)} entries")
    for stale in sorted(os.listdir(out_dir)):
        if stale.endswith(".json") and stale[:-5] not in names:
            os.remove(os.path.join(out_dir, stale))
            print(f"{suite}: removed stale {stale}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--feb", metavar="CHECKOUT", help="upstream at f0e131f2e")
    p.add_argument("--main", metavar="CHECKOUT", help="upstream at 843c6254f")
    args = p.parse_args()
    if not args.feb and not args.main:
        p.error("give --feb, --main or both")
    if args.feb:
        generate("feb2026", args.feb)
    if args.main:
        generate("main", args.main)


if __name__ == "__main__":
    main()
