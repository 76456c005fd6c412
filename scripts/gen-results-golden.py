#!/usr/bin/env python3
"""Runs the original result scripts (utils/process_result.py,
collect_results.py, collect_eval_results.py, calc_success_rate.py,
summarize.py of InferenceX f0e131f2e) on the hand-made inputs under the Go
tools' testdata and records what they printed and wrote, as the goldens the
Go tests compare against. Run from the repository root:

    python3 scripts/gen-results-golden.py [--ref /path/to/InferenceX]

It needs python3 with PyYAML and tabulate (Debian: python3-yaml,
python3-tabulate). The original walks directories in file-system order,
which differs between machines; here Path.glob, Path.rglob and Path.iterdir
are made to return sorted paths, the order the Go tools use, so that the
goldens are reproducible. Every other deviation is named where it is made.
"""
import argparse
import contextlib
import io
import json
import os
import pathlib
import runpy
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def write_golden(path, obj):
    path.write_text(json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def read_env(path):
    env = {}
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        k, _, v = line.partition("=")
        env[k] = v
    return env


ROUNDTRIP_INPUTS = [
    '{"b": 1, "a": [1.50, 1E3, -0, -0.0, 1e-7, 2.5e+20, 0.1, 100, 123456789012345678901234567890]}',
    '{"dup": 1, "x": 2, "dup": 3}',
    r'{"s": "caf\u00e9 \u4e2d \ud83d\ude00", "raw": "café", "ctl": "tab\t\u0001 \u007f"}',
    '{"empty": {}, "list": [], "nested": [[], [{}], {"a": null}], "t": true, "f": false}',
    '[]',
    '[1, "two", 3.0, null]',
    '  {"ws" :   [ 1 ,2 ] }  ',
    '{"p99.9_itl_ms": 95.00000000000001, "tiny": 5e-324, "big": 1.7976931348623157e308}',
]


def roundtrip():
    """json.dump(json.load(x), indent=2): how the original wrote back what
    it had read (collect_results.py, collect_eval_results.py)."""
    cases = [[x, json.dumps(json.loads(x), indent=2)] for x in ROUNDTRIP_INPUTS]
    write_golden(ROOT / "pkg/results/testdata/roundtrip.json", cases)


def resultproc(ref):
    """process_result.py reads its job from the environment and writes into
    the working directory: run it as the workflow does, once per case."""
    script = ref / "utils" / "process_result.py"
    for case in sorted((ROOT / "tools/resultproc/testdata/cases").iterdir()):
        env = read_env(case / "env")
        with tempfile.TemporaryDirectory() as tmp:
            for f in case.glob("*.json"):
                if f.name not in ("original.json",):
                    shutil.copy(f, tmp)
            p = subprocess.run([sys.executable, str(script)], cwd=tmp, capture_output=True, text=True,
                               env={"PATH": os.environ.get("PATH", "/usr/bin"), **env})
            outputs = {}
            for f in sorted(pathlib.Path(tmp).glob("agg_*.json")):
                outputs[f.name] = f.read_text()
        stderr_lines = p.stderr.strip().splitlines()
        write_golden(case / "original.json", {
            "exit": p.returncode,
            "stdout": p.stdout,
            "error": stderr_lines[-1] if p.returncode and stderr_lines else "",
            "files": outputs,
        })


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default=os.environ.get("INFERENCEX_REF", "/work/ref"),
                    help="checkout of the original InferenceX at f0e131f2e")
    args = ap.parse_args()
    ref = pathlib.Path(args.ref)
    if not (ref / "utils" / "process_result.py").exists():
        sys.exit(f"{ref}: not a checkout of the original InferenceX (no utils/process_result.py)")
    roundtrip()
    resultproc(ref)


if __name__ == "__main__":
    main()
