#!/usr/bin/env python3
"""Synthesizes the AIPerf artifacts of one agentic-coding run, seeded, for
the aggregation benchmark (scripts/bench-agentic.sh) and the agentic-result
schema's test data (scripts/gen-agentic-result-testdata.py).

    python3 scripts/synth-agentic-artifacts.py --records 20000 --seed 1 --out DIR

writes DIR/aiperf_artifacts/{profile_export.jsonl, profile_export_aiperf.json,
server_metrics_export.json} and, with --traces, a Hugging Face hub cache at
DIR/hf-hub holding the conversations' traces (point HF_HUB_CACHE at it so
that the aggregation finds the expected output lengths).

The run looks like a real one: several conversations, each a chain of turns
whose context grows, interleaved over about --span seconds; a warmup request
per conversation first; a few failed requests of several kinds; latencies
that grow with the context. Only the standard library is used, so any
Python 3 runs it.
"""
import argparse
import json
import pathlib
import random

T0_NS = 1_764_000_000_000_000_000


def metric(value, unit):
    return {"value": value, "unit": unit}


ERRORS = [
    {"type": "HTTPStatusError", "code": 500, "message": "Internal Server Error"},
    {"code": 400, "message": "maximum context length exceeded"},
    "ReadTimeout: the server did not answer in 600 s",
    {"error_type": "ConnectionResetError", "message": "peer closed the connection"},
]


def records(rng, n, span_s, conversations, error_rate, max_output):
    """n records over conversations chains; returns the JSONL lines and the
    per-conversation output lengths (for the traces)."""
    per_conv = max(1, n // conversations)
    lines = []
    outs = {}
    for c in range(conversations):
        conv = f"trace-{c:04d}"
        turns = per_conv if c < conversations - 1 else n - per_conv * (conversations - 1)
        start = T0_NS + int(rng.uniform(0, span_s * 0.02) * 1e9)
        step = span_s / max(turns, 1)
        context = rng.randint(6_000, 20_000)
        outs[conv] = []
        for turn in range(turns):
            warm = turn == 0
            context += rng.randint(200, 4_000)
            isl = context
            osl = 1 if warm else rng.randint(min(20, max_output), max_output)
            outs[conv].append(osl)
            ttft = 40 + isl / 2_000 * rng.uniform(0.8, 1.6) * (0.15 if rng.random() < 0.7 else 1.0)
            itl = rng.uniform(6, 25)
            latency = ttft + itl * (osl - 1)
            begin = start + int(turn * step * 1e9 * rng.uniform(0.9, 1.0))
            end = begin + int(latency * 1e6)
            meta = {"conversation_id": conv if rng.random() < 0.9 else f"{conv}::sa:explore-{turn % 3}",
                    "turn_index": turn, "request_start_ns": begin, "request_end_ns": end,
                    "benchmark_phase": "warmup" if warm else "profiling", "x_correlation_id": f"{conv}-{turn}"}
            if not warm and rng.random() < error_rate:
                lines.append({"metadata": meta, "metrics": {"input_sequence_length": metric(isl, "tokens")},
                              "error": rng.choice(ERRORS)})
                continue
            lines.append({
                "metadata": meta,
                "metrics": {
                    "time_to_first_token": metric(round(ttft, 6), "ms"),
                    "request_latency": metric(round(latency, 6), "ms"),
                    "inter_token_latency": metric(round(itl, 6), "ms"),
                    "full_response_inter_token_latency": metric(round(itl * rng.uniform(1.0, 1.05), 6), "ms"),
                    "input_sequence_length": metric(isl, "tokens"),
                    "output_sequence_length": metric(osl, "tokens"),
                    "output_token_throughput_per_user": metric(round(1000 / itl, 6), "tokens/sec/user"),
                },
                "error": None,
            })
    lines.sort(key=lambda r: (r["metadata"]["request_end_ns"], r["metadata"]["x_correlation_id"]))
    return lines, outs


def series(stats, **labels):
    s = {"endpoint_url": "http://server:8000/metrics", "stats": stats}
    if labels:
        s["labels"] = labels
    return s


def vllm_metrics(rng, prompt, generation, offload):
    """A vLLM export as loadgen's scraper writes it: counters' totals,
    gauges' max and avg, two engines."""
    m = {}

    def counter(name, total, **labels):
        m.setdefault(name, {"type": "counter", "series": []})["series"].append(series({"total": total}, **labels))

    for engine in ("0", "1"):
        share = 0.5
        queries = int(prompt * share)
        hits = int(queries * rng.uniform(0.6, 0.9))
        counter("vllm:prompt_tokens", queries, engine=engine)
        counter("vllm:generation_tokens", int(generation * share), engine=engine)
        counter("vllm:prefix_cache_queries", queries, engine=engine)
        counter("vllm:prefix_cache_hits", hits, engine=engine)
        m.setdefault("vllm:kv_cache_usage_perc", {"type": "gauge", "series": []})["series"].append(
            series({"max": round(rng.uniform(0.7, 0.99), 4), "avg": round(rng.uniform(0.4, 0.7), 4)}, engine=engine))
        if offload:
            ext_q = queries - hits
            counter("vllm:external_prefix_cache_queries", ext_q, engine=engine)
            counter("vllm:external_prefix_cache_hits", int(ext_q * rng.uniform(0.3, 0.6)), engine=engine)
            counter("vllm:kv_offload_bytes_gpu_to_cpu", rng.randint(10**11, 10**12), engine=engine)
            counter("vllm:kv_offload_bytes_cpu_to_gpu", rng.randint(10**10, 10**11), engine=engine)
            counter("vllm:kv_offload_time_gpu_to_cpu", round(rng.uniform(10, 60), 3), engine=engine)
            counter("vllm:kv_offload_time_cpu_to_gpu", round(rng.uniform(1, 10), 3), engine=engine)
            for source, part in (("local_cache_hit", 0.6), ("external_kv_transfer", 0.15), ("local_compute", 0.25)):
                counter("vllm:prompt_tokens_by_source", int(queries * part), engine=engine, source=source)
    return {"schema_version": "1.0", "aiperf_version": "synth", "benchmark_id": "bench", "metrics": m}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="result directory (RESULT_DIR)")
    ap.add_argument("--span", type=float, default=1800, help="seconds the run lasts")
    ap.add_argument("--conversations", type=int, default=0, help="default: one per 150 records, at least 8")
    ap.add_argument("--error-rate", type=float, default=0.003)
    ap.add_argument("--max-output", type=int, default=1_500, help="the longest answer, tokens")
    ap.add_argument("--offload", action="store_true", help="server metrics of a DRAM KV offload run")
    ap.add_argument("--no-server-metrics", action="store_true")
    ap.add_argument("--traces", action="store_true", help="also write the traces into DIR/hf-hub")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    conversations = args.conversations or max(8, args.records // 150)
    lines, outs = records(rng, args.records, args.span, conversations, args.error_rate, args.max_output)
    art = pathlib.Path(args.out) / "aiperf_artifacts"
    art.mkdir(parents=True, exist_ok=True)
    with open(art / "profile_export.jsonl", "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    ok = [r for r in lines if not r["error"] and r["metadata"]["benchmark_phase"] == "profiling"]
    prompt = sum(r["metrics"]["input_sequence_length"]["value"] for r in ok)
    generation = sum(r["metrics"]["output_sequence_length"]["value"] for r in ok)
    hits = rng.randint(600, 900)
    (art / "profile_export_aiperf.json").write_text(json.dumps({
        "theoretical_prefix_cache_hit": {"unit": "%", "avg": hits / 10, "sum": hits, "count": 1000},
        "start_time": "2025-11-24T16:00:00+00:00",
        "end_time": "2025-11-24T16:30:00+00:00",
        "metadata": {"dataset": {"source_type": "file", "loader": "weka_trace", "path": "synthetic.jsonl",
                                 "num_dataset_entries": conversations}},
    }, indent=2))
    if not args.no_server_metrics:
        (art / "server_metrics_export.json").write_text(
            json.dumps(vllm_metrics(rng, prompt, generation, args.offload), indent=2))
    if args.traces:
        snap = pathlib.Path(args.out) / "hf-hub" / "datasets--semianalysisai--cc-traces-weka-synth" / "snapshots" / "0"
        snap.mkdir(parents=True, exist_ok=True)
        with open(snap / "traces.jsonl", "w") as f:
            for conv, osls in outs.items():
                reqs = [{"type": "n", "out": o, "hash_ids": [i]} for i, o in enumerate(osls)]
                f.write(json.dumps({"id": conv, "requests": reqs}) + "\n")


if __name__ == "__main__":
    main()
