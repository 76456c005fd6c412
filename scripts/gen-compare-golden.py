#!/usr/bin/env python3
"""Runs upstream InferenceX main's utils/compare_results.py (843c6254f) on
tools/summarize/testdata/compare and records what it printed, as the golden
`summarize --baseline FILE --compare` is tested against:

- upstream-compare.json: compare_results.py's stdout for results/;
- upstream-baseline.json: the baseline rows its database query returned,
  one per result that had one, as an aggregate (what summarize reads).

Upstream looks each result up in a PostgreSQL database of every result ever
ingested. Here psycopg2 is replaced by a stand-in whose database holds the
results of main-runs/run-<N>.json (run N newer than run N-1), except
run-101, whose artifact the Go test's fake GitHub API reports as expired,
and which answers upstream's query as the database would: the same model
prefix (LIKE prefix%), GPU, framework, precision, speculative decoding,
disaggregation, node kind, prefill and decode parallelism, ISL, OSL and
concurrency, newest first, one row.

One deviation is made where it is made below, and docs/summarize.md names
it: upstream formats each value with :.2f (throughput) or :.4f, and
tabulate then reads those strings back as numbers and prints them with its
default "g" format (1234.5678 -> 1234.57). The Go summarize keeps the
decimals, i.e. prints what tabulate prints with those formats as floatfmt.

    /usr/bin/python3 scripts/gen-compare-golden.py [--upstream DIR]

It needs PyYAML and tabulate (Debian: python3-yaml, python3-tabulate).
"""
import argparse
import contextlib
import io
import json
import os
import pathlib
import re
import runpy
import subprocess
import sys
import tempfile
import types

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASE = ROOT / "tools/summarize/testdata/compare"
MIRROR = pathlib.Path("/work/.mirror/SemiAnalysisAI+InferenceX/repo")
UPSTREAM_REV = "843c6254f"
EXPIRED_RUNS = {101}


def extract_hardware(runner):
    return re.split(r"-(multinode|trt|disagg)$", runner)[0].lower()


def parse_bool(v):
    return v if isinstance(v, bool) else str(v).lower() == "true"


def database():
    rows = []
    for path in CASE.glob("main-runs/run-*.json"):
        n = int(path.stem.split("-")[1])
        if n in EXPIRED_RUNS:
            continue
        for i, r in enumerate(json.loads(path.read_text())):
            rows.append(((n, -i), r))
    rows.sort(key=lambda x: x[0], reverse=True)  # newest first
    return [r for _, r in rows]


def matches(r, p):
    multi = r.get("is_multinode", False)
    side = (lambda s, k: r[f"{s}_{k}"]) if multi else (lambda s, k: r[k])
    return (extract_hardware(r["hw"]) == p["hardware"]
            and r["infmax_model_prefix"].lower().startswith(p["model"])
            and r["framework"].lower() == p["framework"] and r["precision"].lower() == p["precision"]
            and r.get("spec_decoding", "none").lower() == p["spec_method"]
            and parse_bool(r.get("disagg", False)) == p["disagg"] and bool(multi) == p["is_multinode"]
            and int(side("prefill", "tp")) == p["prefill_tp"] and int(side("prefill", "ep")) == p["prefill_ep"]
            and parse_bool(side("prefill", "dp_attention")) == p["prefill_dp_attention"]
            and int(side("decode", "tp")) == p["decode_tp"] and int(side("decode", "ep")) == p["decode_ep"]
            and parse_bool(side("decode", "dp_attention")) == p["decode_dp_attention"]
            and int(r["isl"]) == p["isl"] and int(r["osl"]) == p["osl"] and int(r["conc"]) == p["conc"])


def fake_psycopg2(rows, returned):
    mod = types.ModuleType("psycopg2")

    class Cursor:
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def execute(self, query, params):
            self.row = next(((r, r["infmax_model_prefix"]) for r in rows if matches(r, params)), None)
            if self.row and self.row[0] not in returned:
                returned.append(self.row[0])

        def fetchone(self):
            return self.row

    class Conn:
        def cursor(self):
            return Cursor()

        def close(self):
            pass

    mod.connect = lambda url: Conn()
    return mod


@contextlib.contextmanager
def keep_decimals():
    """The deviation: tabulate prints the throughput column with .2f and
    the other metric columns with .4f, the formats upstream meant."""
    import tabulate
    orig = tabulate.tabulate

    def patched(rows, headers, **kw):
        kw["floatfmt"] = [".2f" if h == "TPUT/GPU" else ".4f" for h in headers]
        return orig(rows, headers=headers, **kw)

    tabulate.tabulate = patched
    try:
        yield
    finally:
        tabulate.tabulate = orig


@contextlib.contextmanager
def sorted_walks():
    orig = pathlib.Path.rglob
    pathlib.Path.rglob = lambda self, pat: iter(sorted(orig(self, pat)))
    try:
        yield
    finally:
        pathlib.Path.rglob = orig


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", help=f"upstream InferenceX at {UPSTREAM_REV} (default: extracted from the mirror)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        upstream = pathlib.Path(args.upstream) if args.upstream else pathlib.Path(tmp)
        if not args.upstream:
            archive = subprocess.run(["git", "-C", str(MIRROR), "archive", UPSTREAM_REV, "utils/compare_results.py"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        script = upstream / "utils/compare_results.py"
        returned = []
        sys.modules["psycopg2"] = fake_psycopg2(database(), returned)
        os.environ["DATABASE_URL"] = "postgresql://stand-in"
        out, err = io.StringIO(), io.StringIO()
        old_cwd, old_argv = os.getcwd(), sys.argv
        os.chdir(CASE)
        sys.argv = [str(script), "results"]
        try:
            with sorted_walks(), keep_decimals(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                runpy.run_path(str(script), run_name="__main__")
        finally:
            os.chdir(old_cwd)
            sys.argv = old_argv
    (CASE / "upstream-compare.json").write_text(json.dumps({"stdout": out.getvalue()}, indent=1) + "\n")
    (CASE / "upstream-baseline.json").write_text(json.dumps(returned, indent=2) + "\n")
    print(f"wrote {(CASE / 'upstream-compare.json').relative_to(ROOT)} and upstream-baseline.json ({len(returned)} baseline rows)")


if __name__ == "__main__":
    main()
