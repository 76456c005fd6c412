#!/usr/bin/env python3
"""Checks `make demo`'s agentic-coding results against upstream InferenceX's
own aggregation: for every agentic job of a demo run, runs upstream's
utils/agentic/aggregation/process_agentic_result.py and then its
power_adapter.py (upstream main 843c6254f) on the job's uploaded artifacts
(the agentic_<name> artifact: aiperf_artifacts/, server.log, gpu_metrics.csv)
exactly as upstream's benchmark_lib.sh runs them, and compares with what the
job produced (`resultproc agentic`, then `resultproc power-agentic`: the
bmk_agentic_<name> artifact):

- the aggregate: identical to process_agentic_result.py's (same keys in the
  same order, same values), the power fields power_adapter.py adds aside;
- the power: the same benchmark window (agentic_power_window.json), and the
  energy upstream integrates from sampled power equal to the integrated
  cross-check in our power_validation.json. Our energy itself comes from
  gpumon's energy counter, a documented difference (docs/compatibility.md).

Exit 0 when every job agrees, 1 otherwise, 2 for a demo output without
agentic jobs.

Run from the repository root after `make demo`:

    /root/.pyenv/versions/3.12.1/bin/python3 scripts/compare-agentic-demo.py [--ref DIR] [DEMO_OUT]

DIR is a checkout (or `git archive` extract) of upstream at 843c6254f
(default: utils/ extracted from the mirror at $INFERENCEX_MIRROR, default
/work/.mirror/SemiAnalysisAI+InferenceX/repo); DEMO_OUT defaults to demo-out.
Upstream's scripts take the job's description from its environment: the
configuration fields are taken from the job's own result (they are copied
through by both); every metric is computed afresh from the artifacts.
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


def extract(mirror, dest):
    archive = subprocess.run(["git", "-C", mirror, "archive", UPSTREAM, "utils"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)


def text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def job_env(ours, name):
    """The environment upstream's aggregation reads, as the job had it."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR", "LANG")}
    env.update(RESULT_FILENAME=name, RUNNER_TYPE=ours["hw"], CONC=text(ours["conc"]), IMAGE=ours["image"],
               RECIPE_FINGERPRINT=ours.get("recipe_fingerprint", ""), MODEL=ours["model"],
               MODEL_PREFIX=ours["infmax_model_prefix"], FRAMEWORK=ours["framework"], PRECISION=ours["precision"],
               SPEC_DECODING=ours["spec_decoding"], DISAGG=text(ours["disagg"]), IS_MULTINODE=text(ours["is_multinode"]),
               TP=text(ours["tp"]), EP_SIZE=text(ours["ep"]), DP_ATTENTION=text(ours["dp_attention"]),
               PP_SIZE=text(ours.get("pp", 1)), DCP_SIZE=text(ours.get("dcp_size", 1)), PCP_SIZE=text(ours.get("pcp_size", 1)),
               KV_OFFLOADING=ours["kv_offloading"], TOTAL_CPU_DRAM_GB=text(ours["allocated_cpu_dram_gb"]))
    backend = ours.get("kv_offload_backend")
    if backend:
        env.update(KV_OFFLOAD_BACKEND=backend["name"], KV_OFFLOAD_BACKEND_METADATA=json.dumps(backend))
    if ours.get("router"):
        env["ROUTER_METADATA"] = json.dumps(ours["router"])
    if ours.get("kv_p2p_transfer"):
        env["KV_P2P_TRANSFER"] = ours["kv_p2p_transfer"]
    return env


def diff(a, b, path=""):
    """The first few differences between two JSON values."""
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            out.append(f"{path or '.'}: keys {list(a)} != {list(b)}")
        for k in a:
            if k in b:
                out += diff(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}[{i}]")
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: ours {a!r}, upstream {b!r}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", help="upstream InferenceX checkout at " + UPSTREAM)
    ap.add_argument("demo_out", nargs="?", default=str(ROOT / "demo-out"))
    args = ap.parse_args()
    out = pathlib.Path(args.demo_out)
    jobs = sorted(p for p in (out / "results").glob("bmk_agentic_*") if p.is_dir())
    if not jobs:
        print(f"no agentic jobs in {out}/results (bmk_agentic_*): run make demo first", file=sys.stderr)
        return 2
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        ref = args.ref
        if ref is None:
            ref = os.path.join(tmp, "upstream")
            os.makedirs(ref)
            extract(os.environ.get("INFERENCEX_MIRROR", "/work/.mirror/SemiAnalysisAI+InferenceX/repo"), ref)
        for job in jobs:
            name = job.name[len("bmk_agentic_"):]
            ours_path = job / f"{name}.json"
            ours = json.loads(ours_path.read_text())
            artifacts = out / "artifacts" / f"agentic_{name}" / "results"
            # The power adapter writes its window and sidecar beside the
            # artifacts: work on a copy.
            res = pathlib.Path(tmp) / name / "results"
            shutil.copytree(artifacts, res)
            dest = pathlib.Path(tmp) / name / "out"
            env = job_env(ours, name)
            env.update(RESULT_DIR=str(res), AGENTIC_OUTPUT_DIR=str(dest))
            py = sys.executable
            subprocess.run([py, "-m", "utils.agentic.aggregation.process_agentic_result"], cwd=ref, env=env,
                           check=True, stdout=subprocess.DEVNULL)
            agg = dest / f"{name}.json"
            aggregate = json.loads(agg.read_text())
            window = (res / "agentic_power_window.json").read_text() if (res / "agentic_power_window.json").exists() else None
            problems = []
            if (res / "gpu_metrics.csv").exists():
                gpus = int(ours["tp"]) * int(ours.get("pp", 1)) * int(ours.get("pcp_size", 1))
                subprocess.run([py, "-m", "utils.agentic.aggregation.power_adapter", "--result-dir", str(res),
                                "--agg-result", str(agg), "--expected-num-gpus", str(gpus)],
                               cwd=ref, env=env, check=True, stdout=subprocess.DEVNULL)
                powered = json.loads(agg.read_text())
                power_keys = [k for k in powered if k not in aggregate]
                if window is not None and (res / "agentic_power_window.json").read_text() != window:
                    problems.append("agentic_power_window.json: upstream's window differs from ours")
                ours_check = json.loads((artifacts / "power_validation.json").read_text()).get("energy_counter_check") or {}
                theirs_sidecar = json.loads((res / "power_validation.json").read_text())
                if ours_check.get("per_gpu_integrated_power_j") != theirs_sidecar.get("per_gpu_energy_j"):
                    problems.append(f"integrated energy: ours {ours_check.get('per_gpu_integrated_power_j')}, "
                                    f"upstream {theirs_sidecar.get('per_gpu_energy_j')}")
                ours = {k: v for k, v in ours.items() if k not in power_keys}
            problems += diff(ours, aggregate)
            if problems:
                failed += 1
                print(f"DIFFERENT {name}:")
                for d in problems[:20]:
                    print(f"  {d}")
            else:
                rate = ours.get("server_metrics", {}).get("cache", {}).get("gpu_cache_hit_rate")
                print(f"identical {name} ({ours['num_requests_successful']} requests, gpu_cache_hit_rate {rate})")
    print(f"{len(jobs) - failed} of {len(jobs)} agentic jobs agree with upstream's process_agentic_result.py and power_adapter.py")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
