#!/usr/bin/env python3
"""Runs upstream's agentic validity gate
(utils/agentic/validation/validate_agentic_result.py of InferenceX
843c6254f) on the cases under
tools/resultproc/agenticvalid/testdata/cases and records its exit status,
stdout and stderr as the goldens the Go tests compare against. The cases'
inputs are written by this script as well. Run from the repository root
with Python 3.12:

    python3.12 scripts/gen-agentic-golden.py --upstream /tmp/upstream-main

The replay_* cases start from artifacts of a real run of our `loadgen
replay` against `loadgen sim-server` (tools/resultproc/agenticvalid/
testdata/replay); `--remake-replay` (after `make build`) records a fresh
run there first.

Each case is a directory holding aiperf_artifacts/ (the input), args (the
command-line arguments after the module name, one per line) and, written
from upstream's run, rc, stdout and stderr. The gate runs with the case
directory as its working directory, so paths in its messages are relative.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys

from agentic_replay import record_replay

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT / "tools" / "resultproc" / "agenticvalid" / "testdata" / "cases"
REPLAY = ROOT / "tools" / "resultproc" / "agenticvalid" / "testdata" / "replay"


def remake_replay():
    """Records the replay the replay_* cases start from under REPLAY."""
    record_replay(REPLAY, traces=3, max_turns=5, first_input=600, turn_input=100, prefill_ms_per_token="0.0001",
                  concurrency=2, duration="1.5")


def replay_case(errors=0, kinds=()):
    """The replay's aggregate and records, with `errors` of its profiling
    records turned into failures of the given kinds (round robin)."""
    aggregate = json.loads((REPLAY / "profile_export_aiperf.json").read_text())
    records = [json.loads(line) for line in (REPLAY / "profile_export.jsonl").read_text().splitlines() if line.strip()]
    done = 0
    for r in records:
        if done == errors:
            break
        if r["metadata"].get("benchmark_phase") == "profiling" and r["error"] is None:
            r["error"] = kinds[done % len(kinds)]
            done += 1
    ok = aggregate["request_count"]["avg"] - done
    aggregate["request_count"]["avg"] = ok
    aggregate["error_request_count"] = {"unit": "requests", "avg": done}
    return json.dumps(aggregate, indent=2), records


def agg(req=None, err=None, comp=None, **extra):
    out = {}
    for name, v in (("request_count", req), ("error_request_count", err), ("completed_request_count", comp)):
        if v is not None:
            out[name] = {"avg": v, "unit": "requests"}
    out.update(extra)
    return out


def rec(error=None, phase="profiling"):
    return {"metadata": {"conversation_id": "c", "turn_index": 0, "request_start_ns": 1, "request_end_ns": 2,
                         "benchmark_phase": phase}, "metrics": {}, "error": error}


SERVER_ERR = {"code": 500, "type": "ServerError", "message": "Internal Server Error\ntraceback follows"}
OVERFLOW = {"code": 400, "type": "ContextOverflow", "message": "This model's maximum context length is 8192 tokens"}
CANCELLED = {"code": None, "type": "Cancelled", "message": "cancelled at --duration"}

# name -> (aggregate (dict, or a raw string for the file), records or None,
#          threshold argument, per_run layout)
CASES_SPEC = {
    "pass_exact_limit": (agg(90, 10, 100), None, "0.10", False),
    "fail_upstream_example": (agg(2, 65, 67), [rec(SERVER_ERR)] * 3 + [rec(OVERFLOW), rec(CANCELLED, "warmup")], "0.10", False),
    "fail_just_over": (agg(89, 11, 100), [rec(OVERFLOW), rec(), rec(OVERFLOW)], "0.10", False),
    "missing_error_count": (agg(12), None, "0.10", False),
    "missing_completed": (agg(9, 1), None, "0.10", False),
    "missing_completed_fail": (agg(8, 2), [rec("plain string error: detail")], "0.10", False),
    "per_run_layout": (agg(12), None, "0.10", True),
    "missing_aggregate": (None, [rec()], "0.10", False),
    "zero_requests": (agg(0, 0, 0), None, "0.10", False),
    "zero_completed_default": (agg(0), None, "0.10", False),
    "request_count_missing": (agg(None, 1, 2), None, "0.10", False),
    "avg_null": ({"request_count": {"avg": None}}, None, "0.10", False),
    "metric_not_object": ({"request_count": 5}, None, "0.10", False),
    "avg_string": ({"request_count": {"avg": "5"}}, None, "0.10", False),
    "avg_bool": ({"request_count": {"avg": True}}, None, "0.10", False),
    "avg_negative": ({"request_count": {"avg": -1}}, None, "0.10", False),
    "avg_overflow_float": ('{"request_count": {"avg": 1e400}}', None, "0.10", False),
    "error_count_bad": ({"request_count": {"avg": 5}, "error_request_count": {"avg": "x"}}, None, "0.10", False),
    "completed_bad": ({"request_count": {"avg": 5}, "completed_request_count": []}, None, "0.10", False),
    "not_object": ("[1, 2]", None, "0.10", False),
    "float_counts": (agg(1234567.5, 0.25, 1234567.75), None, "0.5", False),
    "big_counts_fail": (agg(1e6, 5e5, 1.5e6), [rec({"error_type": "Timeout", "message": "t"})], "0.3", False),
    "small_fraction": (agg(99999, 1, 100000), None, "0", False),
    "threshold_one": (agg(0, 5, 5), None, "1", False),
    "threshold_zero_fail": (agg(9, 1, 10), [rec({"message": "no type: here"}), rec({"status": 429})], "0.0", False),
    "threshold_spaces": (agg(9, 1, 10), None, " 0.5 ", False),
    "threshold_underscore": (agg(9, 1, 10), None, "0.1_0", False),
    "threshold_out_of_range": (agg(9, 1, 10), None, "1.5", False),
    "threshold_negative": (agg(9, 1, 10), None, "-0.1", False),
    "threshold_nan": (agg(9, 1, 10), None, "nan", False),
    "threshold_garbage": (agg(9, 1, 10), None, "ten", False),
    "extra_keys": (agg(10, 0, 10, metadata={"dataset": {"name": "x"}}, records=[1, 2]), None, "0.10", False),
    "completed_less_than_errors": (agg(1, 5, 2), [rec(OVERFLOW, "warmup"), rec(OVERFLOW)], "0.10", False),
    "negative_zero": ('{"request_count": {"avg": 3}, "error_request_count": {"avg": -0.0}}', None, "0.10", False),
}


def write_case(name, spec):
    aggregate, records, threshold, per_run = spec
    d = CASES / name
    # go.* files are the Go tests' own goldens (our message where upstream
    # prints a traceback, written by `go test -update`): they stay.
    ours = {p.name: p.read_bytes() for p in d.glob("go.*") if p.is_file()} if d.exists() else {}
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for fname, data in ours.items():
        (d / fname).write_bytes(data)
    art = d / "aiperf_artifacts"
    out = art / "run_0" if per_run else art
    out.mkdir(parents=True)
    if aggregate is not None:
        text = aggregate if isinstance(aggregate, str) else json.dumps(aggregate, indent=2)
        (out / "profile_export_aiperf.json").write_text(text + "\n")
    if records is not None:
        (out / "profile_export.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    args = ["aiperf_artifacts", "--failed-request-threshold", threshold]
    (d / "args").write_text("".join(a + "\n" for a in args))
    return d, args


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", type=pathlib.Path, required=True, help="a checkout of upstream InferenceX")
    ap.add_argument("--remake-replay", action="store_true", help="record a fresh loadgen replay run first")
    a = ap.parse_args()
    if a.remake_replay:
        remake_replay()
    for name, (errors, threshold) in {"replay_pass": (0, "0.10"), "replay_errors_within": (4, "0.10"),
                                      "replay_errors_over": (12, "0.10"), "replay_all_kinds_zero_limit": (3, "0")}.items():
        aggregate, records = replay_case(errors, (SERVER_ERR, OVERFLOW, CANCELLED))
        CASES_SPEC[name] = (aggregate, records, threshold, False)
    env = dict(os.environ, PYTHONPATH=str(a.upstream.resolve()))
    for name, spec in CASES_SPEC.items():
        d, args = write_case(name, spec)
        p = subprocess.run([sys.executable, "-m", "utils.agentic.validation.validate_agentic_result", *args],
                           cwd=d, env=env, capture_output=True, text=True, check=False)
        (d / "rc").write_text(f"{p.returncode}\n")
        (d / "stdout").write_text(p.stdout)
        (d / "stderr").write_text(p.stderr)
        print(f"{name}: rc={p.returncode}")


if __name__ == "__main__":
    main()
