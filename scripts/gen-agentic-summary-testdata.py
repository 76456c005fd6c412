#!/usr/bin/env python3
"""Makes the agentic results summarize's tests read: AIPerf artifacts
synthesized here (seeded, a handful of configurations and concurrencies,
with the server metrics exports of loadgen's promscrape tests), aggregated by
upstream InferenceX's own utils/agentic/aggregation/process_agentic_result.py
(upstream main 843c6254f), exactly as a benchmark job would run it.

Run from the repository root:

    /root/.pyenv/versions/3.12.1/bin/python3 scripts/gen-agentic-summary-testdata.py [--ref DIR]

DIR is a checkout (or `git archive` extract) of upstream at 843c6254f; by
default utils/agentic is extracted from the mirror at $INFERENCEX_MIRROR
(default /work/.mirror/SemiAnalysisAI+InferenceX/repo). Writes
tools/summarize/testdata/agentic/<job>.json.
"""
import argparse
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
UPSTREAM = "843c6254f"
OUT = ROOT / "tools" / "summarize" / "testdata" / "agentic"
METRICS = ROOT / "tools" / "loadgen" / "promscrape" / "testdata"

# prefix, model, runner, framework, precision, tp, ep, dp-attn, offload, backend, DRAM GB, concurrencies
CONFIGS = [
    ("dsv4", "deepseek-ai/DeepSeek-V4-Pro", "cluster:b200-dgxc", "vllm", "fp4", 8, 1, "false", "none", "", 0, [1, 4, 16]),
    ("dsv4", "deepseek-ai/DeepSeek-V4-Pro", "cluster:b200-dgxc", "vllm", "fp4", 8, 8, "true", "dram", "vllm-simple", 2399, [16, 64]),
    ("qwen3.5", "Qwen/Qwen3.5-397B-A17B-FP8", "cluster:mi355x-amds", "sglang", "fp8", 4, 1, "false", "none", "", 0, [8]),
]


def extract(mirror, dest):
    archive = subprocess.run(["git", "-C", mirror, "archive", UPSTREAM, "utils/agentic"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)


def metric(value, unit):
    return {"value": value, "unit": unit}


def artifacts(art, seed, tp, conc):
    """A run's profile_export.jsonl and profile_export_aiperf.json: latency
    growing with the concurrency and shrinking with TP, so that the curves
    have their usual shape."""
    rng = random.Random(seed)
    t0 = 1_760_000_000_000_000_000
    lines = []
    for i in range(4 + 40):
        phase = "warmup" if i < 4 else "profiling"
        isl = rng.randint(8_000, 60_000)
        osl = rng.randint(50, 600) if phase == "profiling" else 1
        ttft = (0.05 + isl / 40_000 * (1 + conc / 8) / tp * 8) * 1000
        itl = (8 + conc * 0.6) / (tp / 8) ** 0.5 * rng.uniform(0.9, 1.1)
        latency = ttft + itl * (osl - 1)
        start = t0 + int(i * 1e9 / max(1, conc) * 2)
        end = start + int(latency * 1e6)
        lines.append({
            "metadata": {"conversation_id": f"trace-{i % 7}", "turn_index": i // 7, "request_start_ns": start,
                         "request_end_ns": end, "benchmark_phase": phase, "x_correlation_id": f"agent-{i % 7}"},
            "metrics": {"time_to_first_token": metric(ttft, "ms"), "request_latency": metric(latency, "ms"),
                        "inter_token_latency": metric(itl, "ms"),
                        "full_response_inter_token_latency": metric(itl * 1.01, "ms"),
                        "input_sequence_length": metric(isl, "tokens"), "output_sequence_length": metric(osl, "tokens")},
            "error": None,
        })
    (art / "profile_export.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    hits = rng.randint(600, 900)
    (art / "profile_export_aiperf.json").write_text(json.dumps({
        "theoretical_prefix_cache_hit": {"unit": "%", "sum": hits, "count": 1000},
        "metadata": {"dataset": {"source_type": "file", "loader": "weka_trace", "path": "synthetic.jsonl",
                                 "num_dataset_entries": 7}},
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", help="upstream InferenceX checkout at " + UPSTREAM)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ref = args.ref
        if ref is None:
            ref = os.path.join(tmp, "upstream")
            os.makedirs(ref)
            extract(os.environ.get("INFERENCEX_MIRROR", "/work/.mirror/SemiAnalysisAI+InferenceX/repo"), ref)
        seed = 15
        for prefix, model, runner, fw, prec, tp, ep, dpa, offload, backend, dram, concs in CONFIGS:
            for conc in concs:
                seed += 1
                name = f"{prefix}_tp{tp}_conc{conc}_kv{offload}{'-' + backend if backend else ''}_{prec}_{fw}_ep{ep}_dpa_{dpa}"
                res = pathlib.Path(tmp) / name
                art = res / "aiperf_artifacts"
                art.mkdir(parents=True)
                artifacts(art, seed, tp, conc)
                export = METRICS / f"{fw}.server_metrics_export.json"
                (art / "server_metrics_export.json").write_text(export.read_text())
                env = dict(os.environ, RESULT_DIR=str(res), AGENTIC_OUTPUT_DIR=str(OUT), RESULT_FILENAME=name,
                           RUNNER_TYPE=runner, CONC=str(conc), IMAGE=f"example/{fw}:1", MODEL=model, MODEL_PREFIX=prefix,
                           FRAMEWORK=fw, PRECISION=prec, SPEC_DECODING="none", DISAGG="false", IS_MULTINODE="false",
                           TP=str(tp), EP_SIZE=str(ep), DP_ATTENTION=dpa, KV_OFFLOADING=offload,
                           TOTAL_CPU_DRAM_GB=str(dram))
                if backend:
                    env.update(KV_OFFLOAD_BACKEND=backend, KV_OFFLOAD_BACKEND_METADATA=json.dumps({"name": backend}))
                subprocess.run([sys.executable, "-m", "utils.agentic.aggregation.process_agentic_result"], cwd=ref,
                               env=env, check=True, stdout=subprocess.DEVNULL)
                print(f"wrote {(OUT / (name + '.json')).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
