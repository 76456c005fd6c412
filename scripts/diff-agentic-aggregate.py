#!/usr/bin/env python3
"""Differential check of `resultproc agentic` against upstream's
process_agentic_result.py (InferenceX 843c6254f) on random runs: each run
is a profile_export.jsonl of 1 to 80 records with random latencies, token
counts, timestamps (small and epoch-sized), phases, errors and now and then
a value of the wrong type (None, booleans, strings Python's float() and
int() read or refuse, lists, objects), and sometimes a theoretical cache
metric in the aggregate. Both programs run on the same directory and
environment; exit status, stdout and the output file must be identical.
Run from the repository root after `make build`, with Python 3.12:

    python3.12 scripts/diff-agentic-aggregate.py --upstream /tmp/upstream-main --runs 200 --seed 1

Exit 0 when every run agrees, 1 otherwise (the differing run directories
are kept and named).
"""
import argparse
import importlib.util
import json
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("golden", ROOT / "scripts" / "gen-agentic-aggregate-golden.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

ODD = [None, True, False, "x", "", [1], {"v": 1}, "12", " 7.5 ", "nan", "inf", "-3", 0, -1.5]


def value(rng, kind):
    if rng.random() < 0.05:
        return rng.choice(ODD)
    if kind == "int":
        return rng.randrange(0, 5000)
    return rng.choice([rng.uniform(0, 50), rng.uniform(0, 5000), rng.expovariate(0.01), round(rng.uniform(0, 100), 3)])


def make_run(rng, d):
    base = rng.choice([1_000_000_000, 1_796_452_392_421_366_461, 5])
    rows = []
    for _ in range(rng.randrange(1, 80)):
        start = base + rng.randrange(0, rng.choice([10**9, 10**10, 6 * 10**10]))
        extra = {"full_response_inter_token_latency": {"value": value(rng, "f")}} if rng.random() < 0.5 else None
        rows.append(golden.record(f"c{rng.randrange(4)}", rng.randrange(6), value(rng, "int"), value(rng, "int"),
                                  value(rng, "f"), value(rng, "f"), value(rng, "f"), start,
                                  start + rng.randrange(0, 10**10),
                                  phase=rng.choice(["profiling"] * 8 + ["warmup", None]),
                                  error=rng.choice([None] * 9 + ["e: x", {"type": "T"}]), extra_metrics=extra))
    art = d / "results" / "aiperf_artifacts"
    art.mkdir(parents=True)
    (art / "profile_export.jsonl").write_text(golden.jsonl(rows))
    agg = {}
    if rng.random() < 0.5:
        agg["theoretical_prefix_cache_hit"] = {"sum": rng.randrange(100), "count": rng.randrange(3),
                                               "avg": rng.uniform(0, 100), "unit": "%"}
    (art / "profile_export_aiperf.json").write_text(json.dumps(agg))
    env = dict(golden.BASE_ENV, TP=str(rng.choice([1, 2, 8])), HOME=str(d / "no_home"))
    return env


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", type=pathlib.Path, required=True, help="a checkout of upstream InferenceX")
    ap.add_argument("--bin", type=pathlib.Path, default=ROOT / "bin" / "resultproc")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = pathlib.Path(tempfile.mkdtemp(prefix="diff-agentic-"))
    bad = 0
    for i in range(a.runs):
        d = work / f"run{i}"
        env = make_run(rng, d)
        py = subprocess.run([sys.executable, "-m", "utils.agentic.aggregation.process_agentic_result"], cwd=d,
                            env={**env, "PYTHONPATH": str(a.upstream.resolve()), "PYTHONDONTWRITEBYTECODE": "1",
                                 "RESULT_FILENAME": "py"}, capture_output=True, text=True, check=False)
        go = subprocess.run([str(a.bin.resolve()), "agentic"], cwd=d, env={**env, "RESULT_FILENAME": "go"},
                            capture_output=True, text=True, check=False)
        same = py.returncode == go.returncode and py.stdout.replace("py.json", "go.json") == go.stdout
        if same and py.returncode == 0:
            same = (d / "out" / "py.json").read_bytes() == (d / "out" / "go.json").read_bytes()
        if same:
            shutil.rmtree(d)
            continue
        bad += 1
        print(f"differs: {d} (exit {py.returncode} upstream, {go.returncode} ours)\n{py.stderr[-400:]}{go.stderr[-400:]}")
    print(f"{a.runs - bad} of {a.runs} runs identical")
    if bad == 0:
        shutil.rmtree(work)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
