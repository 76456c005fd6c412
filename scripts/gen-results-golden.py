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


TABLES = [
    {"headers": ["Model", "Conc", "TTFT (ms)", "Note"],
     "rows": [["dsr1", 4, "1234.5678", "ok"], ["gptoss", 128, "0.0001", None], ["llama", 16, "1234567.1234", "  padded  "]]},
    {"headers": ["a", "b", "c", "d", "e", "f"],
     "rows": [[1, 2.5, "3", "True", "x", 1.0], [None, 3.25, "4.50", "False", "1_000", 2], [7, None, "-5", "True", "inf", 1e-07]]},
    {"headers": ["mixed ints and empty", "ints", "floats as strings"],
     "rows": [[1319, 8, "0.1505"], ["", 1, "12.5"], [250, 16, "1e5"]]},
    {"headers": ["thousands", "nan", "neg", "big"],
     "rows": [["1,000", "nan", -1.5, 12345678901234], ["2,000.5", "NaN", -0.25, 3], ["x", "1", 10, 1]]},
    {"headers": ["unicode é", "wide 中文"], "rows": [["café", "中"], ["plain", "ascii"]]},
    {"headers": ["only header"], "rows": []},
    {"headers": ["Hardware", "Score"], "rows": [["H200", "95.00% ±0.50%"], ["MI355X", "N/A"]]},
    {"headers": ["bools", "true strings"], "rows": [[True, "true"], [False, "false"]]},
    {"headers": ["tiny", "huge", "ints as floats"], "rows": [[0.000012345, 1.5e16, 100.0], [1e-300, 123456.5, 2.0]]},
    {"headers": ["dec", "sci"], "rows": [["1.5", "1.5e3"], ["22.125", "2e-5"], ["333", "3.25E+2"]]},
]


def tables():
    """tabulate(rows, headers, tablefmt="github"), as summarize.py and
    collect_eval_results.py call it, with the default and with floatfmt
    ".4f" (which summarize --markdown uses, see docs/summarize.md)."""
    from tabulate import tabulate
    cases = []
    for t in TABLES:
        cases.append({**t, "floatfmt": "", "want": tabulate(t["rows"], headers=t["headers"], tablefmt="github")})
        cases.append({**t, "floatfmt": ".4f",
                      "want": tabulate(t["rows"], headers=t["headers"], tablefmt="github", floatfmt=".4f")})
    write_golden(ROOT / "pkg/mdtable/testdata/tabulate.json", cases)


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
    tables()
    resultproc(ref)


if __name__ == "__main__":
    main()
