#!/usr/bin/env python3
"""Makes the agentic results the agentic-result schema is tested on: AIPerf
artifacts synthesized by scripts/synth-agentic-artifacts.py (or, for the
other server backends, loadgen's promscrape test exports), aggregated by
upstream InferenceX's own process_agentic_result.py (upstream main
843c6254f) under varied job environments (single-node and multinode,
aggregated multinode, DRAM offload, router and KV transfer metadata, no
server metrics, nothing profiled, a run shorter than the QPS window), and two
of them then given power fields by upstream's power_adapter.py.

Run from the repository root:

    /root/.pyenv/versions/3.12.1/bin/python3 scripts/gen-agentic-result-testdata.py [--ref DIR]

DIR is a checkout (or `git archive` extract) of upstream at 843c6254f; by
default utils/agentic and utils/aggregate_power.py are extracted from the
mirror at $INFERENCEX_MIRROR (default /work/.mirror/SemiAnalysisAI+InferenceX/repo).
Writes schemas/testdata/agentic-result/<case>.json.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
UPSTREAM = "843c6254f"
OUT = ROOT / "schemas" / "testdata" / "agentic-result"
METRICS = ROOT / "tools" / "loadgen" / "promscrape" / "testdata"
SYNTH = ROOT / "scripts" / "synth-agentic-artifacts.py"

BASE_ENV = dict(RUNNER_TYPE="cluster:b200-dgxc", CONC="32", IMAGE="vllm/vllm-openai:v0.11.0",
                MODEL="deepseek-ai/DeepSeek-R1-0528", MODEL_PREFIX="dsr1", FRAMEWORK="vllm", PRECISION="fp8",
                SPEC_DECODING="none", DISAGG="false", IS_MULTINODE="false", TP="8", EP_SIZE="1", DP_ATTENTION="false",
                KV_OFFLOADING="none", TOTAL_CPU_DRAM_GB="0")
DRAM = dict(KV_OFFLOADING="dram", KV_OFFLOAD_BACKEND="vllm-simple",
            KV_OFFLOAD_BACKEND_METADATA=json.dumps({"name": "vllm-simple", "version": "0.11.0"}), TOTAL_CPU_DRAM_GB="1536")
MULTI = dict(IS_MULTINODE="true", DISAGG="true", FRAMEWORK="dynamo-vllm", PREFILL_NUM_WORKERS="2", PREFILL_TP="4",
             PREFILL_EP="4", PREFILL_DP_ATTN="true", DECODE_NUM_WORKERS="1", DECODE_TP="8", DECODE_EP="8",
             DECODE_DP_ATTN="false", RUNNER_TYPE="cluster:gb200-nv")

# name, synth arguments (None: the promscrape export named by "export"), env, export
CASES = [
    ("single-vllm", ["--records", "400", "--seed", "1"], {}, None),
    ("single-vllm-dram-traces", ["--records", "600", "--seed", "2", "--offload", "--traces"], DRAM, None),
    ("single-pp-dcp", ["--records", "200", "--seed", "3"],
     dict(PP_SIZE="2", DCP_SIZE="2", PCP_SIZE="1", RECIPE_FINGERPRINT="ab" * 32, SPEC_DECODING="mtp", EP_SIZE="8",
          DP_ATTENTION="true"), None),
    ("single-sglang", ["--records", "150", "--seed", "4", "--no-server-metrics"],
     dict(FRAMEWORK="sglang", TP="4", PRECISION="fp4"), "sglang"),
    ("single-atom", ["--records", "150", "--seed", "5", "--no-server-metrics"],
     dict(FRAMEWORK="atom", RUNNER_TYPE="cluster:mi355x-amds"), "atom"),
    ("single-no-server-metrics", ["--records", "120", "--seed", "6", "--no-server-metrics"],
     dict(FRAMEWORK="trt"), None),
    ("single-errors-only", ["--records", "40", "--seed", "7", "--error-rate", "1.0"], dict(CONC="64"), None),
    ("single-short-run", ["--records", "12", "--seed", "8", "--span", "0.2", "--conversations", "3", "--max-output", "4"], {}, None),
    ("multi-dynamo-router", ["--records", "300", "--seed", "9", "--no-server-metrics"],
     dict(MULTI, ROUTER_METADATA=json.dumps({"name": "dynamo-router", "version": "0.6.1"}), KV_P2P_TRANSFER="nixl",
          PREFILL_HARDWARE="gb200", DECODE_HARDWARE="gb200", PREFILL_PP_SIZE="1", DECODE_PP_SIZE="1"), "dynamo"),
    ("multi-aggregated", ["--records", "200", "--seed", "10", "--offload"],
     dict(MULTI, **DRAM, FRAMEWORK="vllm", DISAGG="false", PREFILL_NUM_WORKERS="1", PREFILL_TP="8", PREFILL_EP="1",
          PREFILL_DP_ATTN="false", DECODE_NUM_WORKERS="0"), None),
]

# Cases given power fields afterwards: name -> whether telemetry exists.
POWER = {"single-vllm": True, "single-vllm-dram-traces": False}


def extract(mirror, dest):
    archive = subprocess.run(["git", "-C", mirror, "archive", UPSTREAM, "utils/agentic", "utils/aggregate_power.py"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)


def power_csv(result_dir, start, end, gpus=8):
    """gpu_metrics.csv as nvidia-smi writes it, one sample a second across the
    window (plus one either side), each GPU at its own steady power."""
    rows = ["timestamp, index, power.draw [W]"]
    t = start - 1.0
    while t <= end + 1.0:
        for g in range(gpus):
            rows.append(f"{t:.1f}, {g}, {600 + 10 * g} W")
        t += 1.0
    (result_dir / "gpu_metrics.csv").write_text("\n".join(rows) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", help="upstream InferenceX checkout at " + UPSTREAM)
    args = ap.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        ref = args.ref
        if ref is None:
            ref = tmp / "upstream"
            ref.mkdir()
            extract(os.environ.get("INFERENCEX_MIRROR", "/work/.mirror/SemiAnalysisAI+InferenceX/repo"), ref)
        empty_hub = tmp / "empty-hub"
        empty_hub.mkdir()
        for name, synth, env_over, export in CASES:
            res = tmp / name
            subprocess.run([sys.executable, str(SYNTH), "--out", str(res)] + synth, check=True)
            if export:
                shutil.copy(METRICS / f"{export}.server_metrics_export.json",
                            res / "aiperf_artifacts" / "server_metrics_export.json")
            hub = res / "hf-hub" if "--traces" in synth else empty_hub
            env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
            env.update(BASE_ENV, HF_HUB_CACHE=str(hub), RESULT_DIR=str(res), AGENTIC_OUTPUT_DIR=str(OUT),
                       RESULT_FILENAME=name)
            env.update(env_over)
            subprocess.run([sys.executable, "-m", "utils.agentic.aggregation.process_agentic_result"], cwd=ref,
                           env=env, check=True, stdout=subprocess.DEVNULL)
            if name in POWER:
                if POWER[name]:
                    # The synthesized run's window is profile_export_aiperf.json's
                    # 16:00 to 16:30 UTC, 2025-11-24.
                    power_csv(res, 1_764_000_000.0, 1_764_001_800.0)
                code = ("import pathlib, sys\n"
                        "from utils.agentic.aggregation.power_adapter import run_agentic_power\n"
                        "sys.exit(run_agentic_power(result_dir=pathlib.Path(sys.argv[1]), "
                        "agg_result=pathlib.Path(sys.argv[2]), expected_num_gpus=8))\n")
                subprocess.run([sys.executable, "-c", code, str(res), str(OUT / f"{name}.json")], cwd=ref, env=env,
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"wrote {(OUT / (name + '.json')).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
