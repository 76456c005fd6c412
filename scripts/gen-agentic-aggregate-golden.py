#!/usr/bin/env python3
"""Runs upstream's agentic aggregation
(utils/agentic/aggregation/process_agentic_result.py of InferenceX
843c6254f) on the cases under tools/resultproc/agentic/testdata/cases and
records its exit status, stdout, stderr and output file as the goldens
that `resultproc agentic` is compared against byte for byte. The cases'
inputs are written by this script as well. Run from the repository root
with Python 3.12:

    python3.12 scripts/gen-agentic-aggregate-golden.py --upstream /tmp/upstream-main

The replay_* cases start from artifacts of real runs of our `loadgen
replay` against `loadgen sim-server` (tools/resultproc/agentic/testdata/
replay-*); `--remake-replay` (after `make build`) records fresh runs there
first.

A case is a directory holding results/ (RESULT_DIR: aiperf_artifacts/ and
any server logs), optionally hf/ (a Hugging Face hub cache with traces),
env (the whole environment of the run, KEY=VALUE per line) and, written
from upstream's run, rc, stdout, stderr and, when it wrote one,
expected.json. The run's working directory is a copy of the case
directory, AGENTIC_OUTPUT_DIR is out.
"""
import argparse
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

from agentic_replay import record_replay

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "tools" / "resultproc" / "agentic" / "testdata"
CASES = TESTDATA / "cases"
VALID_REPLAY = ROOT / "tools" / "resultproc" / "agenticvalid" / "testdata" / "replay"

REPLAYS = {
    # name -> extra sim-server flags
    "replay-kv": ["--kv-cache-tokens", "3000"],
    "replay-offload": ["--kv-cache-tokens", "1500", "--kv-offload-tokens", "6000"],
}


def remake_replay(name, sim_flags):
    out = TESTDATA / name
    record_replay(out, traces=4, max_turns=6, first_input=700, turn_input=120, prefill_ms_per_token="0.0005",
                  concurrency=3, duration="2.5", sim_flags=sim_flags, replay_flags=["--server-metrics-interval", "0.5"])
    # Only the three files the aggregation reads are kept.
    for p in out.iterdir():
        if p.name not in ("profile_export.jsonl", "profile_export_aiperf.json", "server_metrics_export.json"):
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()


BASE_ENV = {
    "RESULT_DIR": "results",
    "AGENTIC_OUTPUT_DIR": "out",
    "RESULT_FILENAME": "agg_test",
    "MODEL": "test-model",
    "MODEL_PREFIX": "test/prefix",
    "FRAMEWORK": "vllm",
    "PRECISION": "fp4",
    "TP": "4",
    "PP_SIZE": "1",
    "DCP_SIZE": "1",
    "PCP_SIZE": "1",
    "EP_SIZE": "1",
    "DP_ATTENTION": "false",
    "CONC": "8",
    "KV_OFFLOADING": "none",
    "RUNNER_TYPE": "b200-x4",
    "IMAGE": "test/image:0.1",
    "RECIPE_FINGERPRINT": "b" * 64,
    "SPEC_DECODING": "none",
    "DISAGG": "false",
    "IS_MULTINODE": "false",
    "HF_HUB_CACHE": "_no_such_cache",
}


def record(conv="trace-A", turn=0, isl=100, osl=50, ttft=30.0, e2e=1000.0, itl=18.0, start=1_000_000_000,
           end=2_000_000_000, phase="profiling", error=None, extra_metrics=None, drop_metadata=()):
    md = {"session_num": 0, "x_correlation_id": "x" * 36, "conversation_id": conv, "turn_index": turn,
          "request_start_ns": start, "request_ack_ns": start + 100 if isinstance(start, int) else None,
          "request_end_ns": end,
          "worker_id": "worker_test", "benchmark_phase": phase, "was_cancelled": False,
          "cancellation_time_ns": None}
    for k in drop_metadata:
        md.pop(k, None)
    metrics = {"input_sequence_length": {"value": isl, "unit": "tokens"},
               "output_sequence_length": {"value": osl, "unit": "tokens"},
               "time_to_first_token": {"value": ttft, "unit": "ms"},
               "request_latency": {"value": e2e, "unit": "ms"},
               "inter_token_latency": {"value": itl, "unit": "ms"}}
    metrics.update(extra_metrics or {})
    return {"metadata": md, "metrics": metrics, "error": error}


def five():
    """Five requests over two conversations, as in upstream's own fixture."""
    return [
        record("trace-A", 0, 100, 50, 30.0, 1000.0, 18.0, 1_000_000_000, 2_000_000_000),
        record("trace-A", 1, 180, 60, 35.0, 1100.0, 18.5, 2_500_000_000, 3_700_000_000),
        record("trace-B", 0, 120, 40, 32.0, 900.0, 17.5, 1_500_000_000, 2_300_000_000),
        record("trace-B", 1, 200, 70, 40.0, 1400.0, 19.0, 3_000_000_000, 4_500_000_000),
        record("trace-A", 2, 240, 55, 33.0, 1050.0, 18.2, 4_000_000_000, 5_100_000_000),
    ]


DATASET = {"source_type": "public_dataset", "loader": "semianalysis_cc_traces_weka_with_subagents",
           "hf_dataset_name": "semianalysisai/cc-traces-weka-062126", "hf_split": "train",
           "num_dataset_entries": 393, "sample_weight": 0.5, "scale": 2.0}


def aggregate(**extra):
    out = {"request_count": {"avg": 5, "unit": "requests"}, "benchmark_duration": 4.1,
           "request_latency": {"avg": 1090.0, "unit": "ms"}, "metadata": {"dataset": DATASET}}
    out.update(extra)
    return out


def jsonl(rows):
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def many(n, seed):
    rng = random.Random(seed)
    rows = []
    t = 1_796_452_392_421_366_461
    for i in range(n):
        start = t + rng.randrange(0, 40_000_000_000)
        e2e = rng.uniform(50, 9000)
        rows.append(record(f"synth-{i % 17:04d}::sa:{i % 3}", i % 9, rng.randrange(100, 90000),
                           rng.randrange(1, 2000), rng.uniform(5, 800), e2e, rng.uniform(2, 60), start,
                           start + int(e2e * 1e6),
                           extra_metrics={"full_response_inter_token_latency": {"value": rng.uniform(2, 70),
                                                                                 "unit": "ms"}}))
    return rows


VLLM_METRICS = {
    "metrics": {
        "vllm:prefix_cache_hits": {"type": "counter", "series": [{"labels": {"engine": "0"}, "stats": {"total": 900.0}}]},
        "vllm:prefix_cache_queries": {"type": "counter", "series": [{"labels": {"engine": "0"}, "stats": {"total": 1500.0}}]},
        "vllm:kv_cache_usage_perc": {"type": "gauge", "series": [{"labels": {"engine": "0"}, "stats": {"max": 0.625, "avg": 0.4}}]},
        "vllm:prompt_tokens": {"type": "counter", "series": [{"stats": {"total": 840.0}}]},
        "vllm:generation_tokens": {"type": "counter", "series": [{"stats": {"total": 275.0}}]},
    }
}

HF_TRACES = [
    {"id": "trace-A", "requests": [{"type": "n", "output_length": 48, "hash_ids": [1, 2]},
                                   {"type": "t", "output_length": 999},
                                   {"type": "s", "out": 61},
                                   {"type": "n", "output_length": None, "out": 50}]},
    {"id": "trace-B", "requests": [{"type": "n", "output_length": 40}, {"type": "n", "output_length": "72"}]},
    {"id": "", "requests": [{"type": "n", "output_length": 1}]},
    {"id": "trace-C", "requests": []},
]


def base_files(rows=None, agg=None, metrics=None):
    files = {"results/aiperf_artifacts/profile_export.jsonl": jsonl(five() if rows is None else rows)}
    if agg is not False:
        files["results/aiperf_artifacts/profile_export_aiperf.json"] = json.dumps(aggregate() if agg is None else agg)
    if metrics is not None:
        files["results/aiperf_artifacts/server_metrics_export.json"] = json.dumps(metrics)
    return files


def case(files=None, env=None, unset=()):
    e = dict(BASE_ENV)
    e.update(env or {})
    for k in unset:
        e.pop(k, None)
    return (base_files() if files is None else files), e


def error_rows():
    return five() + [
        record(error="plain string error: detail"),
        record(error={"code": 500, "type": "ServerError", "message": "Internal Server Error\ntraceback"}),
        record(error={"error_type": "Timeout", "message": "t"}),
        record(error={"code": 429, "message": "slow down"}),
        record(error={"class": "", "status": 503}),
        record(error={"message": "no type: here\nsecond line"}),
        record(error={"error": "nested error text"}),
        record(error={"message": ""}),
        record(error={"type": None, "message": "  spaced: out  "}),
        record(error={"type": False}),
        record(error={"type": {"b": 1, "a": [1.5, None]}}),
        record(error=True),
        record(error=7),
        record(error="x" * 200 + ": long"),
        record(error="\u00e9t\u00e9 \u2028second"),
        record(error=": leading colon"),
        record(error=""),
        record(error=0),
        record(error=[]),
        record(error={}),
        record(phase="warmup"),
        record(phase="warmup", error="warm error: boom"),
        record(phase=None),
        record(phase=3),
        record(drop_metadata=("benchmark_phase",)),
    ]


def odd_value_rows():
    return [
        record(isl="120", osl=" 40 ", ttft="31.5", e2e="1e3", itl=True, start=1_000_000_000, end=2_000_000_000),
        record(isl=1.9, osl=False, ttft=None, e2e="nan", itl="inf", start="1500000000", end=2.9e9),
        record(isl=[1], osl={"a": 1}, ttft=-3.0, e2e=0, itl="x", start=0, end="3100000000"),
        record(isl="1_000", osl="7.5", ttft=1e-9, e2e=-5.0, itl=12.0, start=2_000_000_000, end=True),
        record(isl=None, osl=12, ttft=25.0, e2e=800.0, itl=0.0, start=None, end=4_000_000_123),
        {"metadata": {"request_end_ns": 4_500_000_000}, "error": None},
        {"metrics": {"input_sequence_length": 77, "output_sequence_length": 9, "request_latency": 300.0}},
    ]


def qps_drift_rows():
    # Completions spread over ~40 s starting at a large epoch so that the
    # one-second window starts accumulate rounding error.
    rows = []
    base = 1_796_452_392_421_366_461
    for i in range(400):
        end = base + i * 97_318_211 + (i % 7) * 1_000_000
        rows.append(record(f"c{i % 5}", i % 4, 100 + i, 10 + i % 13, 20.0 + i % 11, 500.0 + i, 15.0 + (i % 9) / 3,
                           end - 500_000_000, end))
    return rows


def rounding_rows():
    return [
        record(isl=3, osl=3, ttft=0.000004, e2e=1999.999996, itl=1000.0, start=1_000_000_000, end=2_000_000_000),
        record(isl=3, osl=3, ttft=0.000006, e2e=2000.000004, itl=1000.0, start=1_000_000_000, end=2_000_000_000),
        record(isl=4, osl=4, ttft=0.0, e2e=2500.000005, itl=1000.000004, start=1_000_000_000, end=3_000_000_000),
    ]


def offload_env(meta='{"name": "lmcache", "version": "0.3.9"}', backend="lmcache"):
    return {"KV_OFFLOADING": "cpu", "KV_OFFLOAD_BACKEND": backend, "KV_OFFLOAD_BACKEND_METADATA": meta,
            "TOTAL_CPU_DRAM_GB": "512"}


MULTINODE = {"IS_MULTINODE": "true", "DISAGG": "true", "PREFILL_NUM_WORKERS": "2", "PREFILL_TP": "4",
             "PREFILL_EP": "4", "PREFILL_DP_ATTN": "true", "DECODE_NUM_WORKERS": "1", "DECODE_TP": "8",
             "DECODE_EP": "8", "DECODE_DP_ATTN": "false", "PREFILL_PP_SIZE": "1", "DECODE_PP_SIZE": "2"}


def hand_cases():
    c = {}
    c["basic_no_server_metrics"] = case()
    c["server_metrics_vllm"] = case(base_files(metrics=VLLM_METRICS))
    c["missing_aggregate"] = case(base_files(agg=False))
    c["aggregate_without_dataset"] = case(base_files(agg={"request_count": {"avg": 5}}))
    c["aggregate_not_object"] = case({**base_files(), "results/aiperf_artifacts/profile_export_aiperf.json": "[1, 2]"})
    c["theoretical_cache_sum_count"] = case(base_files(agg=aggregate(theoretical_prefix_cache_hit={"sum": 37.0, "count": 64, "avg": 57.8, "unit": "%"})))
    c["theoretical_cache_avg_percent"] = case(base_files(agg=aggregate(theoretical_prefix_cache_hit={"avg": 41.25, "unit": " % "})))
    c["theoretical_cache_avg_fraction"] = case(base_files(agg=aggregate(theoretical_prefix_cache_hit={"avg": "0.375", "count": 0, "unit": None})))
    c["router_and_p2p"] = case(env={"ROUTER_METADATA": '{"version": "1.2.0", "name": "dynamo"}', "KV_P2P_TRANSFER": "nixl"})
    c["router_null"] = case(env={"ROUTER_METADATA": "null"})
    c["router_bad_json"] = case(env={"ROUTER_METADATA": "{name: dynamo}"})
    c["router_missing_version"] = case(env={"ROUTER_METADATA": '{"name": "dynamo"}'})
    c["router_empty_name"] = case(env={"ROUTER_METADATA": '{"name": "", "version": "1"}'})
    c["kv_offload_backend"] = case(env=offload_env())
    c["kv_offload_backend_name_only"] = case(env=offload_env('{"name": "native"}', "native"))
    c["kv_offload_missing_backend"] = case(env=offload_env(backend=""))
    c["kv_offload_backend_none"] = case(env=offload_env(backend="none"))
    c["kv_offload_none_with_backend"] = case(env={"KV_OFFLOAD_BACKEND": "lmcache"})
    c["kv_offload_name_mismatch"] = case(env=offload_env(backend="mooncake"))
    c["kv_offload_meta_extra_key"] = case(env=offload_env('{"name": "lmcache", "url": "x"}'))
    c["kv_offload_meta_version_only"] = case(env=offload_env('{"version": "1"}'))
    c["kv_offload_meta_bad_json"] = case(env=offload_env("{"))
    c["kv_offload_meta_empty_version"] = case(env=offload_env('{"name": "lmcache", "version": ""}'))
    c["kv_offloading_missing"] = case(unset=("KV_OFFLOADING",))
    c["multinode_heterogeneous_hw"] = case(env={**MULTINODE, "PREFILL_HARDWARE": "gb200", "DECODE_HARDWARE": "gb300"})
    c["multinode_decode_workers_zero"] = case(env={**MULTINODE, "DECODE_NUM_WORKERS": "0", "DISAGG": "false"})
    c["multinode_one_sided_hw"] = case(env={**MULTINODE, "PREFILL_HARDWARE": "gb200"})
    c["multinode_bad_pp"] = case(env={**MULTINODE, "DECODE_PCP_SIZE": "0"})
    c["single_node_bad_dcp"] = case(env={"DCP_SIZE": "-1"})
    c["single_node_pp_pcp"] = case(env={"TP": "2", "PP_SIZE": "2", "PCP_SIZE": "2", "DCP_SIZE": "2", "EP_SIZE": "2",
                                        "DP_ATTENTION": "true", "SPEC_DECODING": "mtp", "DISAGG": "yes", "CONC": " 16 "},
                                   unset=("IMAGE", "RECIPE_FINGERPRINT"))
    c["env_defaults"] = case(unset=("TP", "PP_SIZE", "DCP_SIZE", "PCP_SIZE", "EP_SIZE", "DP_ATTENTION", "CONC",
                                    "SPEC_DECODING", "RUNNER_TYPE", "MODEL", "FRAMEWORK"))
    c["env_bad_tp"] = case(env={"TP": "four"})
    c["env_empty_conc"] = case(env={"CONC": ""})
    c["result_filename_missing"] = case(unset=("RESULT_FILENAME",))
    c["jsonl_missing"] = case({"results/aiperf_artifacts/profile_export_aiperf.json": json.dumps(aggregate())})
    c["errors_and_warmup"] = case(base_files(rows=error_rows()))
    c["error_message_blank"] = case(base_files(rows=five() + [record(error="   ")]))
    c["no_profile_records"] = case(base_files(rows=[record(phase="warmup"), record(error="boom: x")]))
    c["empty_jsonl"] = case(base_files(rows=["", "   "]))
    c["one_record"] = case(base_files(rows=five()[:1]))
    c["equal_end_times"] = case(base_files(rows=[record(end=2_000_000_000), record(start=2_000_000_000, end=2_000_000_000)]))
    c["short_run_no_windows"] = case(base_files(rows=[record(end=2_000_000_000), record(end=2_600_000_000), record(end=2_900_000_000)]))
    c["odd_metric_values"] = case(base_files(rows=odd_value_rows()))
    c["qps_window_drift"] = case(base_files(rows=qps_drift_rows()))
    c["rounding_edges"] = case(base_files(rows=rounding_rows()))
    c["many_records"] = case(base_files(rows=many(500, 7)))
    c["malformed_line"] = case(base_files(rows=five()[:2] + ['{"metadata": {}, "metrics": '] + five()[2:]))
    c["record_not_object"] = case(base_files(rows=five()[:1] + ["[1, 2]"]))
    c["metadata_not_object"] = case(base_files(rows=five()[:1] + [{"metadata": None, "error": None}]))
    c["metrics_not_object"] = case(base_files(rows=five()[:1] + [{"metadata": {}, "metrics": [1], "error": None}]))
    c["bad_end_time"] = case(base_files(rows=five()[:2] + [record(end="soon")]))
    c["crlf_and_blank_lines"] = case(base_files(rows=[json.dumps(r) + "\r" for r in five()] + ["\t"]))
    c["per_run_layout"] = case({k.replace("aiperf_artifacts/", "aiperf_artifacts/run_1/"): v for k, v in base_files().items()}
                               | {"results/aiperf_artifacts/run_0/notes.txt": "no artifacts here\n"})
    c["server_log_capacity"] = case(base_files() | {"results/server.log": "\n".join([
        "INFO (EngineCore_DP0 pid=100) GPU KV cache size: 5,000,000 tokens",
        "INFO (EngineCore_DP0 pid=100) GPU KV cache size: 5,000,000 tokens",
        "INFO (EngineCore_DP1 pid=101) GPU KV cache size: 6,500,000 tokens"])})
    c["worker_log_capacity"] = case(base_files() | {
        "watchtower-node-a_prefill_w0.out": "INFO (EngineCore_DP0 pid=100) GPU KV cache size: 5,000,000 tokens\n",
        "watchtower-node-b_decode_w0.out": "INFO (EngineCore_DP0 pid=200) GPU KV cache size: 7,000,000 tokens\n"})
    c["sglang_server_log"] = case(base_files() | {"results/server.log": "\n".join([
        "[2026-07-08 16:43:35] server_args=ServerArgs(tp_size=4, dp_size=4)",
        "[2026-07-08 16:49:59 DP0 TP0 EP0] max_total_num_tokens=4602880, chunked_prefill_size=4096"])},
        env={"FRAMEWORK": "sglang"})
    c["unknown_server_backend"] = case(base_files(metrics={"metrics": {"unknown_backend:cache_hits": {
        "type": "counter", "series": [{"stats": {"total": 1.0}}]}}}), env={"FRAMEWORK": "unknown"})
    hf = "hf/datasets--semianalysisai--cc-traces-weka-062126/snapshots/0123abcd/"
    trace_rows = five() + [record("trace-A::sa:explore", 1, 90, 20, 30.0, 700.0, 16.0, 1_200_000_000, 1_900_000_000),
                           record("trace-B", 5), record("trace-B", -1), record("trace-Z", 0), record(None, 0),
                           record("trace-A", 2.7)]
    c["trace_metadata"] = case(base_files(rows=trace_rows) | {
        hf + "traces.jsonl": jsonl(HF_TRACES[:2] + ["not json"]),
        hf + "more.json": json.dumps({"id": "trace-A", "requests": [{"type": "n", "output_length": 11}]}),
        "hf/datasets--other--thing/snapshots/x/t.jsonl": jsonl(HF_TRACES)}, env={"HF_HUB_CACHE": "hf"})
    c["trace_metadata_hf_home"] = case(base_files(rows=trace_rows) | {
        "home/hub/" + hf[3:] + "t.jsonl": jsonl(HF_TRACES)}, env={"HF_HOME": "home"}, unset=("HF_HUB_CACHE",))
    # json.loads takes one whole value: these lines and this file are
    # skipped, not read as their first value; a line that str.strip()
    # reduces to JSON is read.
    c["trace_not_one_value"] = case(base_files(rows=trace_rows) | {
        hf + "traces.jsonl": jsonl(["truex", "12abc", "{} [1]", '{"id": "trace-Z"} x', "nullnull",
                                    "\x1c\u3000" + json.dumps(HF_TRACES[0]) + "\x85", "-", "1.5e", '"s" "t"',
                                    HF_TRACES[1]]),
        hf + "more.json": json.dumps({"id": "trace-A", "requests": [{"type": "n", "output_length": 11}]}) + " [1]",
        hf + "ws.json": " \r\n\t" + json.dumps({"id": "trace-Q", "requests": [{"type": "s", "out": 3}]}) + "\n\n"},
        env={"HF_HUB_CACHE": "hf"})
    # Lone surrogates in an error message (its category is written) and
    # in the dataset block: json.dump writes them back as escapes.
    surrogate_agg = aggregate()
    surrogate_agg["metadata"] = {"dataset": dict(DATASET, hf_split="tr\udfffain", **{"k\ud800": ["\udbff", "\ud83d\ude00"]})}
    c["lone_surrogates"] = case(base_files(rows=five() + [
        record(error="\ud800 boom: detail"),
        record(error={"type": "Err\udc00or"}),
        record(error="\ud83d\ude00 pair: ok"),
        record(error="\udfff" * 130 + ": long"),
        record(error={"message": "\ud800\n: second"}),
    ], agg=surrogate_agg))
    # json.loads reads -0 as the int 0 (and -0.0 as a float): written 0 and -0.0.
    c["dataset_negative_zero"] = case(base_files() | {
        "results/aiperf_artifacts/profile_export_aiperf.json":
            json.dumps(aggregate()).replace('"scale": 2.0', '"scale": -0, "weight": -0.0, "big": -0E5')})
    return c


def replay_cases():
    c = {}
    for name, src, env in (("replay_kv", TESTDATA / "replay-kv", {}),
                           ("replay_offload", TESTDATA / "replay-offload",
                            offload_env('{"name": "native"}', "native")),
                           ("replay_no_server_metrics", VALID_REPLAY, {"CONC": "2", "TP": "1"})):
        files = {f"results/aiperf_artifacts/{p.name}": p.read_text() for p in sorted(src.iterdir())}
        c[name] = case(files, env=env)
    return c


def write_case(name, files, env):
    d = CASES / name
    # go.* files are the Go tests' own goldens (go.stderr: our message
    # where upstream stops with a traceback): they stay.
    ours = {p.name: p.read_bytes() for p in d.glob("go.*") if p.is_file()} if d.exists() else {}
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for fname, data in ours.items():
        (d / fname).write_bytes(data)
    for rel, text in files.items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "w", newline="") as f:
            f.write(text)
    (d / "env").write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
    return d


def run_case(d, env, upstream):
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp) / "case"
        shutil.copytree(d, work)
        full = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(upstream), "PYTHONDONTWRITEBYTECODE": "1",
                "HOME": str(work / "no_home"), **env}
        p = subprocess.run([sys.executable, "-m", "utils.agentic.aggregation.process_agentic_result"],
                           cwd=work, env=full, capture_output=True, text=True, check=False)
        (d / "rc").write_text(f"{p.returncode}\n")
        (d / "stdout").write_text(p.stdout)
        # Tracebacks name the upstream checkout's files; keep them relative.
        (d / "stderr").write_text(p.stderr.replace(str(upstream) + "/", ""))
        out = work / "out" / (env.get("RESULT_FILENAME", "x") + ".json")
        if out.exists():
            shutil.copyfile(out, d / "expected.json")
        return p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", type=pathlib.Path, required=True, help="a checkout of upstream InferenceX")
    ap.add_argument("--remake-replay", action="store_true", help="record fresh loadgen replay runs first")
    a = ap.parse_args()
    if a.remake_replay:
        for name, flags in REPLAYS.items():
            remake_replay(name, flags)
    upstream = a.upstream.resolve()
    cases = hand_cases() | replay_cases()
    for stale in (CASES.iterdir() if CASES.exists() else []):
        if stale.name not in cases:
            shutil.rmtree(stale)
    for name, (files, env) in sorted(cases.items()):
        d = write_case(name, files, env)
        rc = run_case(d, env, upstream)
        print(f"{name}: rc={rc}")


if __name__ == "__main__":
    main()
