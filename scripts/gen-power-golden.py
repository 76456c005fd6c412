#!/usr/bin/env python3
"""Runs upstream's power scripts (utils/aggregate_power.py,
utils/aggregate_power_multinode.py and
utils/agentic/aggregation/power_adapter.py of InferenceX 843c6254f) on the
inputs under tools/resultproc's testdata and records what they wrote, as
the goldens the Go tests compare against. It also records what Python's
csv module, float(), round(), sum() and datetime make of the corner cases
the Go ports reproduce. Run from the repository root, with Python 3.12
(upstream's CI runs 3.12, whose sum() of floats is compensated):

    git -C MIRROR archive 843c6254f | tar -x -C /tmp/upstream-main
    python3.12 scripts/gen-power-golden.py --upstream /tmp/upstream-main

The test inputs are written by this script too (most of them with the
helpers of upstream's own tests, so that they are upstream's examples);
the real H200 telemetry under power/testdata/h200 is data, copied from the
shared fixtures.
"""
import argparse
import contextlib
import importlib
import csv
import io
import json
import math
import os
import pathlib
import random
import shutil
import sys
import tempfile
import time
import types

ROOT = pathlib.Path(__file__).resolve().parent.parent
RP = ROOT / "tools" / "resultproc"
POWER_TD = RP / "power" / "testdata"


def write_json(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def set_tz(tz):
    os.environ["TZ"] = tz
    time.tzset()


# --------------------------------------------------------------------------
# Python's csv module (excel dialect, newline="") on awkward input.

CSV_INPUTS = [
    "a,b,c\n1,2,3\n",
    "a, b ,c\r\n1,  2,3\r\n",
    "\n\na,b\n\n1,2\n\n",
    'a,"b\nc",d\n',
    'a,"b""c",d\n',
    'a,b"c,d\n',
    'a,"b"c,d\n',
    'a,"unterminated\n',
    'a,"unterminated',
    "a,b\rc,d\r",
    "a,b\r\rc\n",
    "x,\x00y\n",
    'a, "b" ,c\n',
    ",,\n,\n",
    "only\n",
    "no newline at end",
    "t,\"x\"\"\n",
    "\ufeffts,v\n1,2\n",
    "a,b\n" + "x" * 131072 + "\n",
    "a,b\n" + "x" * 131073 + "\n",
    "a,\"q\" x\n",
    "  lead,  space\n",
]


def gen_pycsv():
    out = []
    for text in CSV_INPUTS:
        for skip in (False, True):
            rec = {"input": text, "skipinitialspace": skip}
            rows = []
            try:
                for row in csv.reader(io.StringIO(text, newline=""), skipinitialspace=skip):
                    rows.append(row)
                rec["rows"] = rows
            except csv.Error as exc:
                rec["rows"] = rows
                rec["error"] = str(exc)
            out.append(rec)
    write_json(RP / "pycsv" / "testdata" / "python.json", out)


# --------------------------------------------------------------------------
# float(), int(), round(), sum(), statistics.mean.

FLOAT_INPUTS = ["1", " 1.5 ", "1_000.5", "1__0", "_1", "1_", ".5", "5.", "1e5", "1E-5", "+3", "-0",
                "inf", "-Infinity", "nan", "NaN", "1e400", "-1e400", "1e-400", "0x10", "1,5", "",
                " ", "\u00a01\u00a0", "\x1c2\x1f", "١", "12abc", "1.2.3", "infinity", "iNf", "1e", "e5", "-nan", "+NaN", " -nan "]
INT_INPUTS = ["1", " 007 ", "+5", "-5", "1_000", "1__0", "1.0", "", "99999999999999999999", "0x1", "٣"]


def gen_pynum():
    import statistics

    rng = random.Random(20260804)
    floats = {}
    for s in FLOAT_INPUTS:
        try:
            v = float(s)
            floats[s] = repr(v)
        except ValueError:
            floats[s] = None
    ints = {}
    for s in INT_INPUTS:
        try:
            v = int(s)
            ints[s] = str(v) if -(2**63) <= v < 2**63 else None
        except ValueError:
            ints[s] = None
    rounds = []
    for x in [0.5, 1.5, 2.5, 0.0005, 0.0015, 1.0005, 2.675, -0.0004, 123456.7894999, 7977.965490708894,
              1e17 + 0.5, 5e-324, 1 / 3, 2 / 3, 0.1 + 0.2, -2.5e-7]:
        for n in (3, 6):
            rounds.append([repr(x), n, repr(round(x, n))])
    for _ in range(300):
        x = rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-8, 4)
        n = rng.choice((3, 6))
        rounds.append([repr(x), n, repr(round(x, n))])
    sums = []
    for vec in ([0.1] * 10, [1e100, 1.0, -1e100], [-0.0], [-0.0, -0.0], [1.0, 1e16, -1e16], [0.1, 0.2, 0.3]):
        sums.append([[repr(x) for x in vec], repr(sum(vec)), repr(statistics.mean(vec))])
    for _ in range(200):
        k = rng.randint(1, 40)
        vec = [rng.uniform(0, 1000) * 10 ** rng.randint(-3, 6) for _ in range(k)]
        sums.append([[repr(x) for x in vec], repr(sum(vec)), repr(statistics.mean(vec))])
    write_json(RP / "pynum" / "testdata" / "python.json",
               {"python": sys.version.split()[0], "float": floats, "int": ints, "round": rounds, "sum_mean": sums})


# --------------------------------------------------------------------------
# Timestamps as aggregate_power._parse_timestamp reads them.

TS_INPUTS = [
    "2026/12/04 17:15:03.090", "2026/12/04 17:15:03", "2026/12/4 7:5:3.5", "2026/12/ 4 17:15:03.1",
    "2026/12/04  17:15:03.123456", "2026/12/04 17:15:03.1234567", "2026/02/30 00:00:00", "2026/12/04 24:00:00",
    "2026/12/04 17:15:60", "2026/12/04 17:15:03.", "2026-12-04T17:15:03.090", "2026-12-04 17:15:03",
    "2026-12-04T17:15:03Z", "2026-12-04T17:15:03+05:30", "2026-12-04T17:15:03.5-0800", "2026-12-04",
    "20261204T171503", "20261204", "2026-12-04T17", "2026-12-04T1715", "2026-12-04X17:15:03",
    "2026-12-04T17:15:03,25", "2026-12-04T17:15:03.1234567", "1796404503.108", "1796404503108",
    "-5", "12", "1e9", "garbage", "", "2026/03/08 02:30:00", "2026/11/01 01:30:00", "2026-03-08T02:30:00",
    "2026-12-04T17:15:03+24:00", "2026-12-04T17:15:03+05:3", "2026-13-01T00:00:00", "1970-01-02T00:00:00",
]


def gen_timestamps(upstream):
    sys.path.insert(0, str(upstream / "utils"))
    from aggregate_power import _parse_timestamp

    out = {}
    for tz in ("UTC", "Asia/Kolkata", "America/New_York"):
        set_tz(tz)
        out[tz] = {s: (repr(v) if v is not None else None) for s in TS_INPUTS for v in [_parse_timestamp(s)]}
    set_tz("UTC")
    write_json(POWER_TD / "timestamps.json", out)


# --------------------------------------------------------------------------
# The real H200 telemetry in gpumon's format.

def convert_nvml():
    src = POWER_TD / "h200" / "nvml.csv"
    lines = [line for line in src.read_text().splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    out = ["timestamp,index,uuid,power_w,energy_j"]
    for r in rows:
        ns = int(r["unix_ns"])
        ms = ns // 1_000_000
        out.append(f"{ms // 1000}.{ms % 1000:03d},{r['index']},GPU-00000000-0000-0000-0000-000000000000,"
                   f"{int(r['power_mW']) / 1000:.3f},{int(r['energy_mJ']) / 1000:.3f}")
    (POWER_TD / "h200" / "nvml-gpumon.csv").write_text("\n".join(out) + "\n")
    print("wrote", (POWER_TD / "h200" / "nvml-gpumon.csv").relative_to(ROOT))


# --------------------------------------------------------------------------
# Single-node cases: aggregate_power.run on each case directory.

BASE = 1_700_000_000.0
H200_START, H200_END = 1796404507.25, 1796404525.25


def single_cases(t):
    """Yields (name, description, build(dir), args). t is upstream's test
    module, whose writers make upstream's own fixtures."""

    def bench(d, **kw):
        fields = dict(start=BASE, end=BASE + 10, duration=10.0, completed=10, total_input=10_000, total_output=2_000)
        fields.update(kw)
        t._write_bench_result(d / "bench.json", **fields)

    def agg(d, doc=None):
        (d / "agg.json").write_text(json.dumps(doc or {"hw": "h200", "conc": 4}), encoding="utf-8")

    def const(d, watts=500.0, n=8, start=BASE, end=BASE + 10):
        t._write_constant_window_samples(d / "gpu_metrics.csv", start=start, end=end, watts_per_gpu=watts, num_gpus=n)

    def case(name, why, build, expected=8, require=False, tz="UTC", csv_name="gpu_metrics.csv", validation="power_validation.json"):
        return name, why, build, {"expected_num_gpus": expected, "require_power": require, "tz": tz,
                                  "csv": csv_name, "validation_result": validation}

    def trapezoid_5400(d):
        t._write_nvidia_csv(d / "gpu_metrics.csv", [
            (BASE - 1, 0, 100.0), (BASE + 1, 0, 140.0), (BASE + 3.5, 0, 190.0), (BASE + 6, 0, 240.0),
            (BASE + 8.5, 0, 290.0), (BASE + 11, 0, 340.0),
            (BASE - 1, 1, 200.0), (BASE + 1, 1, 240.0), (BASE + 3.5, 1, 290.0), (BASE + 6, 1, 340.0),
            (BASE + 8.5, 1, 390.0), (BASE + 11, 1, 440.0)])
        bench(d)
        agg(d)
    yield case("trapezoid-5400", "upstream's per-device trapezoid example: 2200 + 3200 J", trapezoid_5400, expected=2)

    def complete(d):
        const(d)
        bench(d)
        agg(d, {"hw": "h200"})
    yield case("complete-contract", "8 GPUs at 500 W for 10 s: 40,000 J", complete)
    yield case("count-mismatch", "2 GPUs seen, 4 expected", lambda d: (const(d, n=2), bench(d), agg(d)), expected=4)

    def not_bracketed(d):
        t._write_nvidia_csv(d / "gpu_metrics.csv",
                            [(BASE + o, 0, 500.0) for o in (-1, 1, 3, 5, 7, 9, 11)] +
                            [(BASE + o, 1, 500.0) for o in (1, 3, 5, 7, 9, 11)])
        bench(d)
        agg(d)
    yield case("not-bracketed", "GPU 1 starts after the window", not_bracketed, expected=2)

    def gap(d):
        t._write_nvidia_csv(d / "gpu_metrics.csv", [(BASE + o, 0, 500.0) for o in (-1, 1, 9, 11)])
        bench(d)
        agg(d)
    yield case("sampling-gap", "an 8 s gap in the window", gap, expected=1)

    def far_outside(d):
        samples = [(BASE - 100, 0, -1.0), (BASE + 100, 0, 100.0), (BASE + 100, 0, 200.0)]
        samples += [(BASE + o, 0, 500.0) for o in range(-1, 12)]
        t._write_nvidia_csv(d / "gpu_metrics.csv", samples)
        bench(d)
        agg(d)
    yield case("far-outside", "bad rows far outside the window are ignored", far_outside, expected=1)

    for label, bad in (("bad-timestamp", "not-a-timestamp, 0, 500 W"), ("bad-power", "{timestamp}, 0, [N/A]")):
        def malformed(d, bad=bad):
            rows = ["timestamp, index, power.draw [W]"]
            for o in range(-1, 12):
                ts = t._nvidia_ts(BASE + o)
                rows.append(bad.format(timestamp=ts) if o == 5 else f"{ts}, 0, 500 W")
            (d / "gpu_metrics.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
            bench(d, completed=1, total_input=1_000, total_output=1_000)
            agg(d)
        yield case(label, "a malformed row inside the window", malformed, expected=1)

    def eight_k(d):
        const(d)
        bench(d, total_output=65_536, total_input=524_288, completed=64)
        agg(d)
    yield case("eight-k-one-k", "J per total token with long prompts", eight_k)
    yield case("window-missing", "the raw result has no benchmark window",
               lambda d: (t._write_nvidia_csv(d / "gpu_metrics.csv", [(BASE, 0, 400.0)]),
                          (d / "bench.json").write_text(json.dumps({"duration": 10.0, "total_output_tokens": 1000})),
                          agg(d, {"hw": "h200"})), expected=1)
    yield case("csv-missing", "no telemetry file", lambda d: (bench(d), agg(d)))
    yield case("csv-missing-strict", "no telemetry file, REQUIRE_POWER", lambda d: (bench(d), agg(d)), require=True)
    yield case("zero-output", "no output tokens",
               lambda d: (const(d, n=1), bench(d, total_output=0), agg(d)), expected=1)
    yield case("zero-completed", "no successful request",
               lambda d: (const(d, n=1), bench(d, completed=0), agg(d)), expected=1)
    yield case("duration-mismatch", "duration far from end - start",
               lambda d: (const(d, n=1), bench(d, duration=20.0), agg(d)), expected=1)
    yield case("expected-zero", "an expected GPU count of 0",
               lambda d: (const(d, n=1), bench(d), agg(d)), expected=0)
    yield case("agg-missing", "the aggregate does not exist", lambda d: (const(d, n=1), bench(d)), expected=1)
    yield case("agg-not-json", "the aggregate is not JSON",
               lambda d: (const(d, n=1), bench(d), (d / "agg.json").write_text("{not json")), expected=1)
    yield case("bench-not-json", "the raw result is not JSON",
               lambda d: (const(d, n=1), (d / "bench.json").write_text("{"), agg(d)), expected=1)
    yield case("empty-csv", "an empty telemetry file",
               lambda d: ((d / "gpu_metrics.csv").write_text(""), bench(d), agg(d)), expected=1)
    yield case("no-gpu-column", "no GPU identity column",
               lambda d: ((d / "gpu_metrics.csv").write_text("timestamp,device_id,power.draw [W]\n"
                                                              f"{t._nvidia_ts(BASE)},0,500 W\n"),
                          bench(d), agg(d)), expected=1)
    yield case("no-power-column", "no power column",
               lambda d: ((d / "gpu_metrics.csv").write_text("timestamp, index, power.limit [W]\n"
                                                              f"{t._nvidia_ts(BASE)}, 0, 700 W\n"),
                          bench(d), agg(d)), expected=1)

    def one_sample(d):
        t._write_nvidia_csv(d / "gpu_metrics.csv", [(BASE + 5, 0, 400.0)])
        bench(d)
        agg(d)
    yield case("one-sample", "one sample only", one_sample, expected=1)

    def missing_id(d):
        rows = ["timestamp, index, power.draw [W]"]
        for o in range(-1, 12):
            rows.append(f"{t._nvidia_ts(BASE + o)}, {'' if o == 4 else 0}, 500 W")
        (d / "gpu_metrics.csv").write_text("\n".join(rows) + "\n")
        bench(d)
        agg(d)
    yield case("missing-gpu-id", "a row without its GPU index", missing_id, expected=1)

    def duplicates(d):
        rows = ["timestamp,index,power.draw [W]"]
        for o in range(-1, 12):
            ts = t._nvidia_ts(BASE + o)
            for w in (400.1, 400.2, 400.4):
                rows.append(f"{ts},0,{w} W")
        (d / "gpu_metrics.csv").write_text("\n".join(rows) + "\n")
        bench(d)
        agg(d)
    yield case("duplicate-timestamps", "three readings per timestamp are averaged", duplicates, expected=1)

    def quoted(d):
        rows = ['"timestamp", "index", "power.draw [W]"']
        for o in range(-1, 12):
            ts = t._nvidia_ts(BASE + o)
            rows.append(f'"{ts}", "0", "5{o % 10}0.5 W"')
        rows.insert(5, '"unterminated, 0, 1 W')
        (d / "gpu_metrics.csv").write_text("\r\n".join(rows) + "\r\n")
        bench(d)
        agg(d)
    yield case("quoted-cells", "quoted cells, CRLF and a quote that swallows the rest", quoted, expected=1)

    def amd(d):
        t._write_amd_csv(d / "gpu_metrics.csv",
                         [(BASE + o, g, 300.0 + 10 * g + o) for o in range(-1, 12) for g in range(2)])
        bench(d)
        agg(d, {"hw": "mi355x"})
    yield case("amd-iso", "amd-smi: ISO timestamps, bare socket_power", amd, expected=2)

    def amd_watch(d):
        header = ("timestamp,gpu,gfx_activity,umc_activity,mm_activity,vcn_activity,jpeg_activity,"
                  "gfx_busy_inst_xcp_0,jpeg_busy_xcp_0,vcn_busy_xcp_0,socket_power,gfx_voltage,soc_voltage,"
                  "mem_voltage,throttle_status,power_management,gfx_0_clk,mem_0_clk,edge,hotspot,mem")
        rows = [header]
        for o in range(-2, 13):
            for g in range(8):
                rows.append(f"{int(BASE) + o},{g},99,40,0,0,0,99,0,0,{700 + g},N/A,N/A,N/A,N/A,ENABLED,2100,1900,45,70,60")
        (d / "gpu_metrics.csv").write_text("\n".join(rows) + "\n")
        bench(d, start=BASE + 0.325, end=BASE + 10.325)
        agg(d, {"hw": "mi355x"})
    yield case("amd-watch-epoch", "amd-smi watch mode: whole-second epoch stamps", amd_watch)

    def snapshots(d, start, end, watts, n=1):
        t._write_constant_window_samples(d / "gpu_metrics.csv", start=BASE, end=BASE + 10, watts_per_gpu=watts, num_gpus=n)
        t._write_energy_snapshot(d / "gpu_metrics_energy_start.csv", start)
        t._write_energy_snapshot(d / "gpu_metrics_energy_end.csv", end)
        bench(d)
        agg(d, {"hw": "mi355x"})
    yield case("accumulator-agrees", "snapshots agree with the stream (12 s lifetime)",
               lambda d: snapshots(d, {"0": 1e6, "1": 2e6}, {"0": 1.006e6, "1": 2.006e6}, 500.0, 2), expected=2)
    yield case("accumulator-disagrees", "snapshots 94% off; power stays valid",
               lambda d: snapshots(d, {"0": 1e6, "1": 2e6}, {"0": 1.0001e6, "1": 2.0001e6}, 500.0, 2), expected=2)
    yield case("accumulator-negative", "a counter went backwards",
               lambda d: snapshots(d, {"0": 1e6, "1": 2e6}, {"0": 1.006e6, "1": 1.999e6}, 500.0, 2), expected=2)
    yield case("accumulator-unmatched", "a GPU absent from the end snapshot",
               lambda d: snapshots(d, {"0": 1e6, "1": 3e6}, {"0": 1.006e6}, 500.0, 2), expected=2)
    yield case("accumulator-zero", "no accumulator change",
               lambda d: snapshots(d, {"0": 1e6}, {"0": 1e6}, 500.0, 1), expected=1)

    def snap_missing_end(d):
        const(d, n=1)
        t._write_energy_snapshot(d / "gpu_metrics_energy_start.csv", {"0": 1e6})
        bench(d)
        agg(d)
    yield case("accumulator-missing-end", "only the start snapshot", snap_missing_end, expected=1)

    def snap_real(d):
        const(d, n=1)
        (d / "gpu_metrics_energy_start.csv").write_text(
            f"{t._ENERGY_SNAPSHOT_HEADER}\n0,238,N/A,N/A,N/A,N/A,ENABLED,178319501.682\n"
            "1,241,N/A,N/A,N/A,N/A,ENABLED,178400000.000\n")
        (d / "gpu_metrics_energy_end.csv").write_text(
            f"{t._ENERGY_SNAPSHOT_HEADER}\n0,240,N/A,N/A,N/A,N/A,ENABLED,178324501.682\n"
            "1,239,N/A,N/A,N/A,N/A,ENABLED,N/A\n")
        bench(d)
        agg(d)
    yield case("accumulator-real-amd", "verbatim AMDSMI 26.2.0 snapshot rows", snap_real, expected=1)

    def snap_unparseable(d):
        const(d, n=1)
        t._write_energy_snapshot(d / "gpu_metrics_energy_start.csv", {"0": 1e6})
        (d / "gpu_metrics_energy_end.csv").write_text("gpu,socket_power\n0,238\n")
        bench(d)
        agg(d)
    yield case("accumulator-unparseable", "an end snapshot without the accumulator", snap_unparseable, expected=1)

    def kolkata(d):
        rows = ["timestamp, index, power.draw [W]"]
        for o in range(-1, 12):
            rows.append(f"{t._nvidia_ts(BASE + o + 0.25)}, 0, {300 + o} W")
        (d / "gpu_metrics.csv").write_text("\n".join(rows) + "\n")
        bench(d)
        agg(d)
    yield case("local-zone", "zone-less timestamps in the node's zone (Asia/Kolkata)", kolkata, expected=1, tz="Asia/Kolkata")

    def h200(src, start, end, name="gpu_metrics.csv"):
        def build(d):
            shutil.copy(POWER_TD / "h200" / src, d / name)
            (d / "bench.json").write_text(json.dumps({
                "benchmark_start_time_unix": start, "benchmark_end_time_unix": end, "duration": end - start,
                "completed": 64, "total_input_tokens": 65536, "total_output_tokens": 65536}))
            agg(d, {"hw": "h200", "conc": 64})
        return build
    yield case("h200-nvsmi-window", "the H200 recording, 18 s window from idle to full load",
               h200("nvsmi-upstream-fields.csv", H200_START, H200_END), expected=1)
    yield case("h200-nvsmi-power-fields", "the H200 recording, power.draw among other power columns",
               h200("nvsmi-power-fields.csv", H200_START, H200_END), expected=1)
    yield case("h200-nvsmi-whole", "the H200 recording, its whole span",
               h200("nvsmi-upstream-fields.csv", 1796404503.2, 1796404528.95), expected=1)
    yield case("h200-gpumon-window", "upstream reading gpumon's CSV (trapezoid over power_w)",
               h200("nvml-gpumon.csv", H200_START, H200_END), expected=1)
    yield case("h200-gpumon-whole", "upstream reading gpumon's CSV over the whole span",
               h200("nvml-gpumon.csv", 1796404503.2, 1796404528.95), expected=1)
    yield case("env-csv-name", "a telemetry file named by GPU_METRICS_CSV",
               lambda d: (t._write_constant_window_samples(d / "power.csv", start=BASE, end=BASE + 10,
                                                           watts_per_gpu=450.0, num_gpus=2), bench(d), agg(d)),
               expected=2, csv_name="power.csv", validation="")


def run_case(fn, case_dir, args, prefix):
    """Runs fn in a copy of case_dir and returns what it did."""
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp) / "case"
        shutil.copytree(case_dir, work, ignore=shutil.ignore_patterns("upstream.json", "case.json"))
        before = {str(p.relative_to(work)): p.read_bytes() for p in work.rglob("*") if p.is_file()}
        cwd = os.getcwd()
        os.chdir(work)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = fn(args)
                except Exception as exc:  # upstream crashed: record it
                    code = f"exception {type(exc).__name__}: {exc}"
        finally:
            os.chdir(cwd)
        files = {}
        for p in sorted(work.rglob("*")):
            if p.is_file():
                rel = str(p.relative_to(work))
                data = p.read_bytes()
                if before.get(rel) != data:
                    files[rel] = data.decode("utf-8", "replace")
        return {"exit": code, "stdout": out.getvalue(), "stderr": err.getvalue(), "files": files}


def import_upstream_tests(name):
    """Imports one of upstream's test modules for its fixture writers. Only
    its helpers are used; pytest, which they import for their test
    functions, need not be installed (a stand-in takes its place)."""
    if "pytest" not in sys.modules:
        try:
            import pytest  # noqa: F401
        except ImportError:
            stub = types.ModuleType("pytest")

            class _Mark:
                def __getattr__(self, _name):
                    return lambda *a, **k: (lambda f: f)

            stub.mark = _Mark()
            stub.fixture = lambda *a, **k: (a[0] if a and callable(a[0]) else (lambda f: f))
            sys.modules["pytest"] = stub
    return importlib.import_module(name)


def gen_single(upstream):
    sys.path.insert(0, str(upstream / "utils"))
    import aggregate_power as ap
    t = import_upstream_tests("test_aggregate_power")

    root = POWER_TD / "upstream" / "single"
    shutil.rmtree(root, ignore_errors=True)
    for name, why, build, args in single_cases(t):
        d = root / name
        d.mkdir(parents=True)
        set_tz(args["tz"])
        build(d)
        write_json(d / "case.json", dict(args, description=why))

        def fn(a):
            return ap.run(pathlib.Path(a["csv"]), pathlib.Path("bench.json"), pathlib.Path("agg.json"),
                          expected_num_gpus=a["expected_num_gpus"],
                          validation_result=pathlib.Path(a["validation_result"]) if a["validation_result"] else None,
                          require_power=a["require_power"])
        write_json(d / "upstream.json", run_case(fn, d, args, "aggregate_power"))
    set_tz("UTC")


# --------------------------------------------------------------------------
# Multi-node cases: aggregate_power_multinode.run on srt-slurm power
# packages built by upstream's own test helper.

def multinode_cases(t):
    sha = t.PRODUCER_SHA

    def case(name, why, build, prefill=2, decode=2, sha=sha, require=False):
        return name, why, build, {"prefill_gpus": prefill, "decode_gpus": decode, "expected_producer_sha": sha,
                                  "require_power": require}

    def ramp(host, idx, ts):
        if (host, idx) == ("node-d", 0):
            return 300.0 + (ts - t.FIRST_TS)
        return dict(((h, i), w) for h, i, _r, _g, w in t.DEVICES)[(host, idx)]

    def manifest_edit(**changes):
        def build(d):
            pkg = t.build_package(d)
            t._edit_manifest(pkg, **changes)
        return build

    def manifest_fn(fn):
        def build(d):
            pkg = t.build_package(d)
            m = json.loads((pkg.power_dir / "manifest.json").read_text())
            fn(m)
            (pkg.power_dir / "manifest.json").write_text(json.dumps(m, indent=2))
        return build

    def samples(mutate):
        def build(d):
            pkg = t.build_package(d)
            t._rewrite_samples(pkg, mutate)
        return build

    def set_het(value, role=None):
        def fn(m):
            for dev in m["expected_devices"]:
                for a in dev["assignments"]:
                    if role is None or a["worker_role"] == role:
                        a["het_group"] = value
        return fn

    yield case("valid", "upstream's package: 84,000 J, 48,000 prefill and 36,000 decode", lambda d: t.build_package(d))
    yield case("valid-strict", "the same with REQUIRE_POWER", lambda d: t.build_package(d), require=True)
    yield case("ramp", "one decode GPU ramps 300 to 364 W", lambda d: t.build_package(d, power_fn=ramp))
    yield case("verdict-false", "the producer stored publication_valid false",
               lambda d: t.build_package(d, publication_valid=False))
    yield case("sha-mismatch", "another producer commit", lambda d: t.build_package(d), sha="b" * 40)
    yield case("sha-missing", "no producer pin", lambda d: t.build_package(d), sha=None)
    yield case("power-dir-missing", "no LOGS/power", lambda d: shutil.rmtree(t.build_package(d).power_dir))
    yield case("duplicate-row", "a sample row twice", samples(lambda body: body + [body[10]]))
    yield case("uuid-reuse", "two devices share a UUID", samples(lambda body: [
        row[:5] + [t._uuid("node-d", 0)] + row[6:] if row[3] == "node-d" and row[4] == "1" else row for row in body]))

    def swap(body):
        body = list(body)
        body[0], body[4] = (body[0][:1] + body[4][1:2] + body[0][2:], body[4][:1] + body[0][1:2] + body[4][2:])
        return body
    yield case("non-monotonic", "timestamps out of order", samples(swap))
    yield case("gap", "five scrapes of one GPU missing", samples(lambda body: [
        row for row in body if not (row[3] == "node-p" and row[4] == "0" and 20 <= int(row[2]) <= 24)]))
    yield case("not-bracketed", "a GPU's samples start after the window", samples(lambda body: [
        row for row in body if not (row[3] == "node-d" and row[4] == "0" and float(row[1]) <= t.WINDOW_START)]))
    yield case("overflow", "9e307 W overflows the integral", lambda d: t.build_package(d, power_fn=lambda h, i, ts: 9e307))

    def escape(d):
        pkg = t.build_package(d)
        wp = pkg.windows_dir / f"{t.RESULT_STEM}.json"
        w = json.loads(wp.read_text())
        w["result_path"] = "../evil.json"
        wp.write_text(json.dumps(w))
    yield case("result-path-escape", "a window pointing outside LOGS", escape)

    def copy_mismatch(d):
        pkg = t.build_package(d)
        pkg.bench_result.write_text(json.dumps(dict(t.BENCH_FIELDS, completed=9), indent=2))
    yield case("copy-mismatch", "the workspace copy differs from the original", copy_mismatch)

    def other_conc(d):
        pkg = t.build_package(d)
        tampered = dict(t.BENCH_FIELDS, max_concurrency=8)
        pkg.original_result.write_text(json.dumps(tampered, indent=2))
        pkg.bench_result.write_text(json.dumps(tampered, indent=2))
    yield case("no-window-for-conc", "no completed window at the result's concurrency", other_conc)
    yield case("role-counts", "PREFILL_GPUS says 4", lambda d: t.build_package(d), prefill=4)
    yield case("both-zero", "PREFILL_GPUS and DECODE_GPUS are 0", lambda d: t.build_package(d), prefill=0, decode=0)
    yield case("het-shared", "prefill and decode in one het group", manifest_fn(set_het(0)))
    yield case("het-none", "a plain (non-het) Slurm job", manifest_fn(set_het(None)), require=True)
    yield case("het-mixed", "decode without het group, prefill with", manifest_fn(set_het(None, "decode")))
    yield case("wire-contract", "another producer name", manifest_edit(producer="someone-else.power"))
    yield case("stored-evidence", "a wrong sample_row_count", manifest_edit(sample_row_count=1))
    yield case("incomplete", "status incomplete", manifest_edit(status="incomplete", publication_valid=False))
    yield case("lifecycle-reason", "a complete manifest with a fatal lifecycle reason",
               manifest_edit(reason_codes=["exporter_exited", "collector_exception"]))
    yield case("float-counts", "sample_row_count 256.0 equals 256 in Python",
               manifest_fn(lambda m: m.update(sample_row_count=float(m["sample_row_count"]))))
    yield case("hostname-int", "a hostname that is a number", manifest_fn(lambda m: m["expected_devices"][0].update(hostname=5)))
    yield case("devices-not-list", "expected_devices is a dict", manifest_fn(lambda m: m.update(expected_devices={"a": 1})))
    yield case("role-missing", "an assignment without worker_role",
               manifest_fn(lambda m: m["expected_devices"][1]["assignments"][0].pop("worker_role")))
    yield case("role-unknown", "an unknown worker_role",
               manifest_fn(lambda m: m["expected_devices"][1]["assignments"][0].update(worker_role="router")))
    yield case("device-not-dict", "an expected device that is a list", manifest_fn(lambda m: m["expected_devices"].append([1])))
    yield case("windows-empty", "no expected window", manifest_fn(lambda m: m.update(expected_windows=[])))
    yield case("manifest-missing", "no manifest.json", lambda d: (t.build_package(d).power_dir / "manifest.json").unlink())
    yield case("manifest-not-object", "manifest.json is a list",
               lambda d: (t.build_package(d).power_dir / "manifest.json").write_text("[1, 2]"))

    def dup_window(d):
        pkg = t.build_package(d)
        src = pkg.windows_dir / f"{t.RESULT_STEM}.json"
        (pkg.logs_root / "other.json").write_text(pkg.original_result.read_text())
        w = json.loads(src.read_text())
        w["result_path"] = "other.json"
        (pkg.windows_dir / "other.json").write_text(json.dumps(w))
    yield case("duplicate-window", "two window files for one benchmark", dup_window)

    def extra_window(d):
        pkg = t.build_package(d)
        (pkg.logs_root / "extra.json").write_text(pkg.original_result.read_text())
        w = json.loads((pkg.windows_dir / f"{t.RESULT_STEM}.json").read_text())
        w.update(result_path="extra.json", concurrency=16)
        (pkg.windows_dir / "extra.json").write_text(json.dumps(w))
    yield case("unexpected-window", "a window nobody expected", extra_window)

    def running_window(d):
        pkg = t.build_package(d)
        wp = pkg.windows_dir / f"{t.RESULT_STEM}.json"
        w = json.loads(wp.read_text())
        w["status"] = "running"
        wp.write_text(json.dumps(w))
    yield case("window-malformed", "a running window with an end time", running_window)
    yield case("window-missing", "no window file",
               lambda d: (t.build_package(d).windows_dir / f"{t.RESULT_STEM}.json").unlink())
    yield case("samples-header", "a renamed samples.csv column",
               lambda d: (lambda pkg: (pkg.power_dir / "samples.csv").write_text(
                   (pkg.power_dir / "samples.csv").read_text().replace("power_w", "watts", 1)))(t.build_package(d)))
    yield case("samples-bad-row", "a sample row with a negative power", samples(lambda body: body[:3] + [body[3][:6] + ["-1"]] + body[4:]))
    yield case("agg-missing", "no aggregate to patch", lambda d: t.build_package(d).agg_result.unlink())
    yield case("zero-completed", "the result counts no successful request",
               lambda d: t.build_package(d, bench_extra={"completed": 0}))


def gen_multinode(upstream):
    sys.path.insert(0, str(upstream / "utils"))
    import aggregate_power_multinode as apm
    t = import_upstream_tests("test_aggregate_power_multinode")

    root = POWER_TD / "upstream" / "multinode"
    shutil.rmtree(root, ignore_errors=True)
    for name, why, build, args in multinode_cases(t):
        d = root / name
        d.mkdir(parents=True)
        build(d)
        write_json(d / "case.json", dict(args, description=why))

        def fn(a):
            return apm.run(pathlib.Path("LOGS/power"), pathlib.Path("renamed_by_launcher.json"),
                           pathlib.Path("agg_renamed_by_launcher.json"), prefill_gpus=a["prefill_gpus"],
                           decode_gpus=a["decode_gpus"], expected_producer_sha=a["expected_producer_sha"],
                           logs_root=pathlib.Path("LOGS"), validation_result=pathlib.Path("power_validation.json"),
                           require_power=a["require_power"])
        write_json(d / "upstream.json", run_case(fn, d, args, "aggregate_power_multinode"))


# --------------------------------------------------------------------------
# Agentic cases: power_adapter.run_agentic_power on AIPerf artifacts built
# by upstream's own test helpers.

def agentic_cases(t):
    def case(name, why, build, expected=2, require=False):
        return name, why, build, {"expected_num_gpus": expected, "require_power": require}

    def agg(d):
        (d / "agg_agentx.json").write_text(json.dumps({"hw": "h200", "scenario_type": "agentic-coding",
                                                        "power_valid": 1, "avg_power_w": 999}))

    def shifted(d):
        result_dir = t._write_artifacts(d)
        (result_dir / "aiperf_artifacts" / "profile_export_aiperf.json").write_text(json.dumps(
            {"start_time": "2023-11-14T22:13:41+00:00", "end_time": "2023-11-14T22:13:44+00:00"}))
        t._write_power_csv(result_dir)
        agg(d)
    yield case("measured", "upstream's example: 3,000 J over 3 s", shifted, require=True)

    def naive(offset):
        def build(d):
            result_dir = t._write_artifacts(d, aggregate={"start_time": "2023-11-14T14:13:41",
                                                          "end_time": "2023-11-14T14:13:44"})
            if offset is not None:
                (result_dir / "agentic_power_timezone_offset.txt").write_text(offset)
            t._write_power_csv(result_dir)
            agg(d)
        return build
    yield case("naive-offset", "naive AIPerf times with the captured offset -0800", naive("-0800\n"))
    yield case("naive-no-offset", "naive times, no captured offset", naive(None))
    yield case("naive-bad-offset", "naive times, offset PST", naive("PST"))
    yield case("naive-offset-colon", "offset written +05:30", naive("+05:30"))

    def artifacts(aggregate=None, records=None, power=False):
        def build(d):
            result_dir = t._write_artifacts(d, aggregate=aggregate, records=records)
            if power:
                t._write_power_csv(result_dir)
            agg(d)
        return build
    yield case("window-missing", "no start_time", artifacts({"end_time": "2023-11-14T22:13:24+00:00"}))
    yield case("window-backwards", "end before start", artifacts(
        {"start_time": "2023-11-14T22:13:24+00:00", "end_time": "2023-11-14T22:13:21+00:00"}))
    yield case("tokens-missing", "a record without output tokens",
               artifacts(records=[t._record(start_ns=1, end_ns=2, output_tokens=None)]), require=True)
    yield case("warmup-only", "no profiling record", artifacts(records=[t._record(start_ns=1, end_ns=2, phase="warmup")]))
    yield case("epoch-window", "a window in epoch seconds",
               artifacts({"start_time": 1_700_000_021.5, "end_time": 1_700_000_024.0}, power=True))
    yield case("no-telemetry", "a valid window and no gpu_metrics.csv", artifacts())

    def nested(d):
        result_dir = d / "results"
        inner = result_dir / "aiperf_artifacts" / "run-1"
        inner.mkdir(parents=True)
        (inner / "profile_export_aiperf.json").write_text(json.dumps(
            {"start_time": "2023-11-14T22:13:41+00:00", "end_time": "2023-11-14T22:13:44+00:00"}))
        (inner / "profile_export.jsonl").write_text(
            "".join(json.dumps(t._record(start_ns=1, end_ns=2, input_tokens=n, output_tokens=n // 2)) + "\n"
                    for n in (100, 200, 300)))
        t._write_power_csv(result_dir)
        agg(d)
    yield case("nested-artifacts", "artifacts one directory down", nested)
    # results/ holds only .keep: git keeps no empty directory.
    yield case("artifacts-missing", "no aiperf_artifacts",
               lambda d: ((d / "results").mkdir(), (d / "results" / ".keep").write_text(""), agg(d)))
    yield case("agg-missing", "no aggregate to patch", lambda d: t._write_artifacts(d))


def gen_agentic(upstream):
    sys.path.insert(0, str(upstream))
    from utils.agentic.aggregation import power_adapter
    t = import_upstream_tests("utils.agentic.aggregation.test_power_adapter")

    root = POWER_TD / "upstream" / "agentic"
    shutil.rmtree(root, ignore_errors=True)
    for name, why, build, args in agentic_cases(t):
        d = root / name
        d.mkdir(parents=True)
        build(d)
        write_json(d / "case.json", dict(args, description=why))

        def fn(a):
            return power_adapter.run_agentic_power(result_dir=pathlib.Path("results"),
                                                   agg_result=pathlib.Path("agg_agentx.json"),
                                                   expected_num_gpus=a["expected_num_gpus"],
                                                   require_power=a["require_power"])
        write_json(d / "upstream.json", run_case(fn, d, args, "agentx_power"))


# --------------------------------------------------------------------------
# resultproc's whole flow: upstream main's process_result.py (which runs
# the power scripts itself) on job directories, for the power fields of
# the processed result and the sidecar.

ENERGY_TD = RP / "testdata" / "energy"
RAW_TEMPLATE = RP / "testdata" / "cases" / "single-node" / "dsr1_1k1k_fp8_sglang_tp8_ep1_dpa_false_conc64_specdecode_none_h200-nv_0.json"

# RECIPE_FINGERPRINT (empty) marks a job of today's workflows, which set it
# on every job: resultproc gives such a job upstream main's fields.
SINGLE_ENV = {"RECIPE_FINGERPRINT": "", "RUNNER_TYPE": "h200", "FRAMEWORK": "sglang", "PRECISION": "fp8", "SPEC_DECODING": "none", "ISL": "1024",
              "OSL": "1024", "DISAGG": "false", "MODEL_PREFIX": "dsr1", "IMAGE": "lmsysorg/sglang:v0.5.6-cu129",
              "TP": "1", "EP_SIZE": "1", "DP_ATTENTION": "false", "RESULT_FILENAME": "r"}
MULTI_ENV = {"RECIPE_FINGERPRINT": "", "RUNNER_TYPE": "gb200", "FRAMEWORK": "dynamo-sglang", "PRECISION": "fp8", "SPEC_DECODING": "none",
             "ISL": "8192", "OSL": "1024", "DISAGG": "true", "MODEL_PREFIX": "qwen3.5", "IMAGE": "lmsysorg/sglang:v0.5.9",
             "IS_MULTINODE": "true", "PREFILL_GPUS": "2", "DECODE_GPUS": "2", "PREFILL_NUM_WORKERS": "1", "PREFILL_TP": "2",
             "PREFILL_EP": "1", "PREFILL_DP_ATTN": "false", "DECODE_NUM_WORKERS": "1", "DECODE_TP": "2", "DECODE_EP": "1",
             "DECODE_DP_ATTN": "false"}


def raw_result(start, end, **extra):
    r = json.loads(RAW_TEMPLATE.read_text())
    r.update(benchmark_start_time_unix=start, benchmark_end_time_unix=end, duration=end - start)
    r.update(extra)
    return r


def energy_cases(tm):
    def single(name, why, files, env=None, window=(H200_START, H200_END), tz="UTC"):
        def build(d):
            (d / "r.json").write_text(json.dumps(raw_result(*window)))
            for dst, src in files.items():
                if isinstance(src, str):
                    shutil.copy(POWER_TD / "h200" / src, d / dst)
                else:
                    src(d / dst)
        return name, why, build, dict(SINGLE_ENV, **(env or {})), tz

    yield single("single-nvsmi", "nvidia-smi's CSV of the H200 recording: 7,977.965 J", {"gpu_metrics.csv": "nvsmi-upstream-fields.csv"})
    yield single("single-gpumon", "gpumon's CSV of the same recording: the counter's 8,278 J", {"gpu_metrics.csv": "nvml-gpumon.csv"})
    yield single("single-no-telemetry", "a today's job without telemetry", {})
    yield single("single-require-power", "no telemetry and REQUIRE_POWER=1", {}, env={"REQUIRE_POWER": "1"})
    yield single("single-env-csv", "the telemetry named by GPU_METRICS_CSV",
                 {"power.csv": "nvsmi-power-fields.csv"}, env={"GPU_METRICS_CSV": "power.csv"})
    yield single("single-pp", "TP 2 × PP 2: 4 GPUs expected, 1 seen", {"gpu_metrics.csv": "nvsmi-upstream-fields.csv"},
                 env={"TP": "2", "PP_SIZE": "2"})

    bench_extra = {k: v for k, v in json.loads(RAW_TEMPLATE.read_text()).items()
                   if k not in ("duration", "completed", "total_input_tokens", "total_output_tokens", "max_concurrency")}

    def dcgm(d):
        tm.build_package(d, bench_extra=bench_extra)
        (d / "agg_renamed_by_launcher.json").unlink()
    yield ("multinode-dcgm", "srt-slurm's DCGM package (upstream's test package)", dcgm,
           dict(MULTI_ENV, RESULT_FILENAME="renamed_by_launcher", POWER_PRODUCER_SHA=tm.PRODUCER_SHA), "UTC")

    def no_package(d):
        (d / "r.json").write_text(json.dumps(raw_result(1000.0, 1060.0, max_concurrency=4)))
    yield ("multinode-nothing", "a multi-node job without telemetry", no_package, dict(MULTI_ENV, RESULT_FILENAME="r"), "UTC")


def clear_keeping_go_goldens(root, names):
    """Empties root for a fresh generation, except each kept case's go.golden:
    those are our binary's output (go test -update writes them), which the
    test compares with upstream.json, so regenerating upstream's side must not
    delete them."""
    if not root.exists():
        return
    for d in root.iterdir():
        if not d.is_dir() or d.name not in names:
            shutil.rmtree(d) if d.is_dir() else d.unlink()
            continue
        for f in d.iterdir():
            if f.name == "go.golden":
                continue
            shutil.rmtree(f) if f.is_dir() else f.unlink()


def gen_energy(upstream):
    tm = import_upstream_tests("test_aggregate_power_multinode")
    cases = list(energy_cases(tm))
    clear_keeping_go_goldens(ENERGY_TD, {c[0] for c in cases})
    py = sys.executable
    for name, why, build, env, tz in cases:
        d = ENERGY_TD / name
        d.mkdir(parents=True, exist_ok=True)
        build(d)
        (d / "env").write_text(f"# {why}\n" + "".join(f"{k}={v}\n" for k, v in env.items()))

        def fn(_a, env=env):
            import subprocess
            proc = subprocess.run([py, str(upstream / "utils" / "process_result.py")], capture_output=True, text=True,
                                  env={"PATH": os.environ["PATH"], "TZ": tz, "PYTHONPATH": str(upstream / "utils"), **env})
            sys.stdout.write(proc.stdout)
            sys.stderr.write(proc.stderr)
            return proc.returncode
        write_json(d / "upstream.json", run_case(fn, d, {}, "process_result"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", type=pathlib.Path, required=True,
                    help="a checkout of upstream InferenceX at 843c6254f")
    args = ap.parse_args()
    if sys.version_info < (3, 12):
        sys.exit("run this with Python 3.12 or newer (upstream's CI version): its sum() of floats differs")
    upstream = args.upstream.resolve()
    set_tz("UTC")
    gen_pycsv()
    gen_pynum()
    gen_timestamps(upstream)
    convert_nvml()
    gen_single(upstream)
    gen_multinode(upstream)
    gen_agentic(upstream)
    gen_energy(upstream)


if __name__ == "__main__":
    main()
