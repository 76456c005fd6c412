#!/usr/bin/env python3
"""Runs upstream InferenceX main's eval scripts (843c6254f, Aug 2026) on the
Go tools' eval fixtures and records what they printed and wrote, as the
goldens `collect evals` is tested against:

- utils/collect_eval_results.py on tools/collect/testdata/evals-today
  (today's meta_env.json: multi-node, batched concurrencies), with both
  orders of its tables -> tools/collect/testdata/upstream-evals-today.json;
- utils/evals/validate_scores.py in each job folder of the cases in
  tools/collect/testdata/gate/cases.json, with configs/eval-thresholds.yaml
  (or the case's own file) -> tools/collect/testdata/upstream-gate.json.

Run from the repository root with a python3 that has PyYAML and tabulate
(Debian: python3-yaml, python3-tabulate):

    /usr/bin/python3 scripts/gen-evals-today-golden.py [--upstream DIR]

DIR is a checkout (or `git archive`) of upstream at 843c6254f; without it
the script extracts utils/ from the mirror at
/work/.mirror/SemiAnalysisAI+InferenceX/repo. Directory walks are made to
return sorted paths, the order the Go tool uses (upstream walks in
file-system order); nothing else is changed.
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
TESTDATA = ROOT / "tools/collect/testdata"
MIRROR = pathlib.Path("/work/.mirror/SemiAnalysisAI+InferenceX/repo")
UPSTREAM_REV = "843c6254f"


def write_golden(path, obj):
    path.write_text(json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


@contextlib.contextmanager
def sorted_walks():
    orig_iterdir, orig_glob = pathlib.Path.iterdir, pathlib.Path.glob
    pathlib.Path.iterdir = lambda self: iter(sorted(orig_iterdir(self)))
    pathlib.Path.glob = lambda self, pat: iter(sorted(orig_glob(self, pat)))
    try:
        yield
    finally:
        pathlib.Path.iterdir, pathlib.Path.glob = orig_iterdir, orig_glob


def run(script, argv, cwd, env=None):
    """Runs an upstream script in this process; returns (exit, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    saved = (os.getcwd(), sys.argv, list(sys.path), dict(os.environ))
    os.chdir(cwd)
    sys.argv = [str(script)] + argv
    sys.path.insert(0, str(script.parent))
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    try:
        with sorted_walks(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                runpy.run_path(str(script), run_name="__main__")
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        os.chdir(saved[0])
        sys.argv = saved[1]
        sys.path[:] = saved[2]
        os.environ.clear()
        os.environ.update(saved[3])
    return code, out.getvalue(), err.getvalue()


def set_mtimes(root):
    for rel, t in json.loads((root / "mtimes.json").read_text()).items():
        os.utime(root / rel, (t, t))


def collect(upstream):
    script = upstream / "utils/collect_eval_results.py"
    out = {}
    for sort_by in ("", "hw"):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(TESTDATA / "evals-today", pathlib.Path(tmp) / "eval_results")
            set_mtimes(pathlib.Path(tmp) / "eval_results")
            argv = ["eval_results/", "all"] + ([sort_by] if sort_by else [])
            code, stdout, _ = run(script, argv, tmp)
            out[sort_by or "default"] = {"exit": code, "stdout": stdout,
                                         "agg_eval_all.json": (pathlib.Path(tmp) / "agg_eval_all.json").read_text()}
    write_golden(TESTDATA / "upstream-evals-today.json", out)


def gate(upstream):
    script = upstream / "utils/evals/validate_scores.py"
    cases = json.loads((TESTDATA / "gate/cases.json").read_text())
    out = {}
    for case in cases:
        thresholds = TESTDATA / "gate" / case["thresholds"] if "thresholds" in case else ROOT / "configs/eval-thresholds.yaml"
        with tempfile.TemporaryDirectory() as tmp:
            job = pathlib.Path(tmp) / "job"
            shutil.copytree(TESTDATA / "evals-today" / case["dir"], job)
            env = {"PATH": os.environ.get("PATH", "/usr/bin"), **case.get("env", {})}
            code, stdout, stderr = run(script, ["--thresholds", str(thresholds)] + case["args"], job, env)
        out[case["name"]] = {"exit": code, "stdout": stdout.replace(str(thresholds), "THRESHOLDS"), "stderr": stderr}
    write_golden(TESTDATA / "upstream-gate.json", out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", help=f"upstream InferenceX at {UPSTREAM_REV} (default: extracted from the mirror)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        upstream = pathlib.Path(args.upstream) if args.upstream else pathlib.Path(tmp)
        if not args.upstream:
            archive = subprocess.run(["git", "-C", str(MIRROR), "archive", UPSTREAM_REV, "utils"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        if not (upstream / "utils/evals/validate_scores.py").exists():
            sys.exit(f"{upstream}: not upstream InferenceX main (no utils/evals/validate_scores.py)")
        collect(upstream)
        gate(upstream)


if __name__ == "__main__":
    main()
