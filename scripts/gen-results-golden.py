#!/usr/bin/env python3
"""Runs the original result scripts (utils/process_result.py,
collect_results.py, collect_eval_results.py, calc_success_rate.py,
summarize.py of InferenceX f0e131f2e, and process_result.py of upstream main
843c6254f) on the hand-made inputs under the Go tools' testdata and records
what they printed and wrote, as the goldens the Go tests compare against.
Run from the repository root:

    [PYTHON312=/path/to/python3.12] python3 scripts/gen-results-golden.py \
        [--ref /path/to/InferenceX@f0e131f2e] [--ref-main /path/to/InferenceX@843c6254f]

(a checkout each, e.g. `git -C MIRROR archive 843c6254f | tar -x -C DIR`).

It needs python3 with PyYAML and tabulate (Debian: python3-yaml,
python3-tabulate). The original walks directories in file-system order,
which differs between machines; here Path.glob, Path.rglob and Path.iterdir
are made to return sorted paths, the order the Go tools use, so that the
goldens are reproducible. Every other deviation is named where it is made.
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


def write_golden(path, obj):
    path.write_text(json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def read_env(path):
    env = {}
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        k, _, v = line.partition("=")
        env[k] = v
    return env


ROUNDTRIP_INPUTS = [
    '{"b": 1, "a": [1.50, 1E3, -0, -0.0, 1e-7, 2.5e+20, 0.1, 100, 123456789012345678901234567890]}',
    '{"dup": 1, "x": 2, "dup": 3}',
    r'{"s": "caf\u00e9 \u4e2d \ud83d\ude00", "raw": "café", "ctl": "tab\t\u0001 \u007f"}',
    '{"empty": {}, "list": [], "nested": [[], [{}], {"a": null}], "t": true, "f": false}',
    '[]',
    '[1, "two", 3.0, null]',
    '  {"ws" :   [ 1 ,2 ] }  ',
    '{"p99.9_itl_ms": 95.00000000000001, "tiny": 5e-324, "big": 1.7976931348623157e308}',
]


def roundtrip():
    """json.dump(json.load(x), indent=2): how the original wrote back what
    it had read (collect_results.py, collect_eval_results.py)."""
    cases = [[x, json.dumps(json.loads(x), indent=2)] for x in ROUNDTRIP_INPUTS]
    write_golden(ROOT / "pkg/results/testdata/roundtrip.json", cases)


TABLES = [
    {"headers": ["Model", "Conc", "TTFT (ms)", "Note"],
     "rows": [["dsr1", 4, "1234.5678", "ok"], ["gptoss", 128, "0.0001", None], ["llama", 16, "1234567.1234", "  padded  "]]},
    {"headers": ["a", "b", "c", "d", "e", "f"],
     "rows": [[1, 2.5, "3", "True", "x", 1.0], [None, 3.25, "4.50", "False", "1_000", 2], [7, None, "-5", "True", "inf", 1e-07]]},
    {"headers": ["mixed ints and empty", "ints", "floats as strings"],
     "rows": [[1319, 8, "0.1505"], ["", 1, "12.5"], [250, 16, "1e5"]]},
    {"headers": ["thousands", "nan", "neg", "big"],
     "rows": [["1,000", "nan", -1.5, 12345678901234], ["2,000.5", "NaN", -0.25, 3], ["x", "1", 10, 1]]},
    {"headers": ["unicode é", "wide 中文"], "rows": [["café", "中"], ["plain", "ascii"]]},
    {"headers": ["only header"], "rows": []},
    {"headers": ["Hardware", "Score"], "rows": [["H200", "95.00% ±0.50%"], ["MI355X", "N/A"]]},
    {"headers": ["bools", "true strings"], "rows": [[True, "true"], [False, "false"]]},
    {"headers": ["tiny", "huge", "ints as floats"], "rows": [[0.000012345, 1.5e16, 100.0], [1e-300, 123456.5, 2.0]]},
    {"headers": ["dec", "sci"], "rows": [["1.5", "1.5e3"], ["22.125", "2e-5"], ["333", "3.25E+2"]]},
]


def tables():
    """tabulate(rows, headers, tablefmt="github"), as summarize.py and
    collect_eval_results.py call it, with the default and with floatfmt
    ".4f" (which summarize --markdown uses, see docs/summarize.md)."""
    from tabulate import tabulate
    cases = []
    for t in TABLES:
        cases.append({**t, "floatfmt": "", "want": tabulate(t["rows"], headers=t["headers"], tablefmt="github")})
        cases.append({**t, "floatfmt": ".4f",
                      "want": tabulate(t["rows"], headers=t["headers"], tablefmt="github", floatfmt=".4f")})
    write_golden(ROOT / "pkg/mdtable/testdata/tabulate.json", cases)


def resultproc(ref):
    """process_result.py reads its job from the environment and writes into
    the working directory: run it as the workflow does, once per case."""
    script = ref / "utils" / "process_result.py"
    for case in sorted((ROOT / "tools/resultproc/testdata/cases").iterdir()):
        env = read_env(case / "env")
        with tempfile.TemporaryDirectory() as tmp:
            for f in case.glob("*.json"):
                if f.name not in ("original.json",):
                    shutil.copy(f, tmp)
            p = subprocess.run([sys.executable, str(script)], cwd=tmp, capture_output=True, text=True,
                               env={"PATH": os.environ.get("PATH", "/usr/bin"), **env})
            outputs = {}
            for f in sorted(pathlib.Path(tmp).glob("agg_*.json")):
                outputs[f.name] = f.read_text()
        stderr_lines = p.stderr.strip().splitlines()
        write_golden(case / "original.json", {
            "exit": p.returncode,
            "stdout": p.stdout,
            "error": stderr_lines[-1] if p.returncode and stderr_lines else "",
            "files": outputs,
        })


# Upstream main's process_result.py ends by handing the result to its power
# aggregation (utils/aggregate_power.py, aggregate_power_multinode.py), which
# adds the power fields and writes the power_validation sidecar. They run
# here as they are, under the Python that $PYTHON312 names (upstream's CI
# version, 3.12: its sum() of floats is exact, 3.11's is not), else this one.
PY_MAIN = os.environ.get("PYTHON312") or sys.executable


def copy_power_scripts(ref_main, scripts):
    for name in ("process_result.py", "aggregate_power.py", "aggregate_power_multinode.py"):
        shutil.copy(ref_main / "utils" / name, scripts)


def resultproc_today(ref_main):
    """Upstream main's process_result.py on the cases of
    tools/resultproc/testdata/today (today's job environments), recorded
    like the Feb-2026 cases in upstream.json."""
    with tempfile.TemporaryDirectory() as scripts:
        copy_power_scripts(ref_main, scripts)
        script = pathlib.Path(scripts, "process_result.py")
        for case in sorted((ROOT / "tools/resultproc/testdata/today").iterdir()):
            env = read_env(case / "env")
            with tempfile.TemporaryDirectory() as tmp:
                for f in case.glob("*.json"):
                    if f.name != "upstream.json":
                        shutil.copy(f, tmp)
                p = subprocess.run([PY_MAIN, str(script)], cwd=tmp, capture_output=True, text=True,
                                   env={"PATH": os.environ.get("PATH", "/usr/bin"), "PYTHONDONTWRITEBYTECODE": "1", **env})
                outputs = {f.name: f.read_text() for f in sorted(pathlib.Path(tmp).glob("agg_*.json"))}
            stderr_lines = p.stderr.strip().splitlines()
            write_golden(case / "upstream.json", {
                "exit": p.returncode,
                "stdout": p.stdout,
                "error": stderr_lines[-1] if p.returncode and stderr_lines else "",
                "files": outputs,
            })


# A made-up sweep: per series (model, hw, framework, precision, parallelism)
# a throughput/latency curve over concurrency from a simple saturating
# model. The raw results are made here, processed by the original
# process_result.py and collected by the original collect_results.py, so the
# Go tools' inputs are exactly what the original pipeline would have left.
SERIES = [
    # prefix, model, hw, fw, precision, isl, osl, tp, ep, dpa, spec, peak tok/s (whole node), tpot floor ms, concs
    ("dsr1", "deepseek-ai/DeepSeek-R1-0528", "h200", "sglang", "fp8", 1024, 1024, 8, 1, "false", "none", 21000, 18.0, [4, 8, 16, 32, 64]),
    ("dsr1", "deepseek-ai/DeepSeek-R1-0528", "b200", "sglang", "fp8", 1024, 1024, 8, 1, "false", "none", 42000, 11.0, [4, 8, 16, 32, 64]),
    ("dsr1", "amd/DeepSeek-R1-0528-MXFP4", "mi355x", "vllm", "fp4", 1024, 1024, 8, 1, "false", "none", 39000, 12.5, [4, 8, 16, 32, 64]),
    ("dsr1", "nvidia/DeepSeek-R1-0528-FP4", "b200", "trt", "fp4", 1024, 1024, 4, 4, "true", "none", 30000, 9.0, [16, 32, 64, 128]),
    ("dsr1", "nvidia/DeepSeek-R1-0528-FP4", "b200", "trt", "fp4", 1024, 1024, 8, 8, "true", "mtp", 52000, 6.0, [32, 64]),
    ("dsr1", "deepseek-ai/DeepSeek-R1-0528", "h200", "sglang", "fp8", 8192, 1024, 8, 1, "false", "none", 9000, 22.0, [4, 16, 64]),
    ("dsr1", "deepseek-ai/DeepSeek-R1-0528", "b200", "sglang", "fp8", 8192, 1024, 8, 1, "false", "none", 19000, 13.0, [4, 16, 64]),
    ("gptoss", "openai/gpt-oss-120b", "h100", "vllm", "fp4", 1024, 8192, 2, 1, "false", "none", 9000, 5.0, [4, 16, 64]),
    ("gptoss", "openai/gpt-oss-120b", "h100", "vllm", "fp4", 1024, 8192, 1, 1, "false", "none", 5200, 6.0, [4, 16]),
    ("gptoss", "openai/gpt-oss-120b", "mi300x", "vllm", "fp4", 1024, 8192, 1, 1, "false", "none", 4700, 6.5, [4, 16, 64]),
]
# disaggregated: prefix, model, hw, fw, precision, spec, prefill (workers, tp, ep, dpa, gpus), decode (...), peak, floor, concs
MULTI = [
    ("dsr1", "nvidia/DeepSeek-R1-0528-FP4", "gb200", "dynamo-trt", "fp4", "mtp", (5, 4, 4, "true", 20), (1, 8, 8, "true", 8),
     160000, 7.0, [64, 128, 256]),
    ("dsr1", "nvidia/DeepSeek-R1-0528-FP4", "gb200", "dynamo-trt", "fp4", "mtp", (2, 4, 4, "true", 8), (1, 16, 16, "true", 16),
     120000, 8.0, [512]),
]


def synth_raw(model, isl, osl, conc, peak, floor, gpus_scale=1.0, seed=0):
    """A benchmark_serving-shaped raw result from a saturating model: per-user
    decode speed falls as the batch grows, total throughput saturates."""
    tpot = floor * (1 + conc / 48.0) * (1 + 0.013 * seed)
    ttft = (40.0 + isl / 64.0) * (1 + conc / 24.0)
    per_user = 1000.0 / tpot
    out_tput = min(conc * per_user, peak * osl / (isl + osl) * gpus_scale)
    n = max(conc * 10, 40)
    duration = n * osl / out_tput
    tin, tout = n * isl, n * osl
    raw = {"date": "20260205-101500", "backend": "openai", "model_id": model, "tokenizer_id": model, "best_of": 1,
           "num_prompts": n, "request_rate": "inf", "burstiness": 1.0, "max_concurrency": conc, "duration": duration,
           "completed": n, "total_input_tokens": tin, "total_output_tokens": tout, "request_throughput": n / duration,
           "request_goodput:": None, "output_throughput": tout / duration,
           "total_token_throughput": (tin + tout) / duration}
    for name, v in (("ttft", ttft), ("tpot", tpot), ("itl", tpot * 0.995), ("e2el", ttft + tpot * (osl - 1))):
        raw[f"mean_{name}_ms"] = v * 1.02
        raw[f"median_{name}_ms"] = v
        raw[f"std_{name}_ms"] = v * 0.11
        raw[f"p99_{name}_ms"] = v * 1.9
    return raw


def run_process_result(ref, env, raw, dest):
    """Runs the original process_result.py on one raw result; returns the
    name of the processed file it wrote into dest."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, env["RESULT_FILENAME"] + ".json"), "w") as f:
            json.dump(raw, f)
        subprocess.run([sys.executable, str(ref / "utils/process_result.py")], cwd=tmp, check=True,
                       capture_output=True, env={"PATH": os.environ.get("PATH", "/usr/bin"), **env})
        name = "agg_" + env["RESULT_FILENAME"] + ".json"
        os.makedirs(dest, exist_ok=True)
        shutil.copy(os.path.join(tmp, name), dest)
        return name


def make_sweep(ref, out, variant):
    """Processed results of the made-up sweep under out/bmk_<name>/. variant
    "baseline" is an older run: b200 sglang was faster (the current run
    regresses), mi355x slower, one config it lacks and one it has alone."""
    shutil.rmtree(out, ignore_errors=True)
    for (prefix, model, hw, fw, prec, isl, osl, tp, ep, dpa, spec, peak, floor, concs) in SERIES:
        for conc in concs:
            p, f = peak, floor
            if variant == "baseline":
                if hw == "b200" and fw == "sglang":
                    p, f = peak * 1.12, floor * 0.9
                if hw == "mi355x":
                    p, f = peak * 0.93, floor * 1.04
                if hw == "b200" and fw == "trt" and spec == "mtp":
                    continue
            elif hw == "mi300x" and conc == 64:
                continue
            name = f"{prefix}_{isl}_{osl}_{prec}_{fw}_tp{tp}_ep{ep}_dpa_{dpa}_conc{conc}_specdecode_{spec}_{hw}-nv_0"
            env = {"RUNNER_TYPE": hw, "FRAMEWORK": fw, "PRECISION": prec, "SPEC_DECODING": spec, "RESULT_FILENAME": name,
                   "ISL": str(isl), "OSL": str(osl), "DISAGG": "false", "MODEL_PREFIX": prefix,
                   "IMAGE": f"registry.example/{fw}:{'2025.12' if variant == 'baseline' else '2026.02'}",
                   "TP": str(tp), "EP_SIZE": str(ep), "DP_ATTENTION": dpa}
            run_process_result(ref, env, synth_raw(model, isl, osl, conc, p, f), out / f"bmk_{name}")
    for (prefix, model, hw, fw, prec, spec, pre, dec, peak, floor, concs) in MULTI:
        for conc in concs:
            name = (f"{prefix}_1k1k_{prec}_ptp{pre[1]}pep{pre[2]}_dtp{dec[1]}dep{dec[2]}_{fw}_specdec-{spec}_conc{conc}"
                    f"_{hw}-nv_0_ctx_{pre[4]}_gen_{dec[4]}_gpus_{pre[4] + dec[4]}")
            env = {"RUNNER_TYPE": hw, "FRAMEWORK": fw, "PRECISION": prec, "SPEC_DECODING": spec, "RESULT_FILENAME": name,
                   "ISL": "1024", "OSL": "1024", "DISAGG": "true", "MODEL_PREFIX": prefix, "IMAGE": "nvcr.example/dynamo:0.7",
                   "IS_MULTINODE": "true", "PREFILL_GPUS": str(pre[4]), "DECODE_GPUS": str(dec[4]),
                   "PREFILL_NUM_WORKERS": str(pre[0]), "PREFILL_TP": str(pre[1]), "PREFILL_EP": str(pre[2]),
                   "PREFILL_DP_ATTN": pre[3], "DECODE_NUM_WORKERS": str(dec[0]), "DECODE_TP": str(dec[1]),
                   "DECODE_EP": str(dec[2]), "DECODE_DP_ATTN": dec[3]}
            run_process_result(ref, env, synth_raw(model, 1024, 1024, conc, peak, floor), out / f"bmk_{name}")


# A sweep of today's jobs: upstream main's process_result.py on raw results
# of loadgen (the synthetic ones above, with loadgen's request accounting).
# single-node: prefix, model, hw, fw, precision, isl, osl, tp, pp, dcp, pcp, ep, dpa, peak, floor, concs,
#   failures per conc (failed, canceled, kinds)
TODAY_SERIES = [
    ("dsr1", "deepseek-ai/DeepSeek-R1-0528", "h200", "sglang", "fp8", 1024, 1024, 8, 1, 1, 1, 1, "false", 21000, 18.0, [4, 16, 64],
     {64: (3, 0, {"timeout": (2, "request timeout after 3600s"), "http_status": (1, "HTTP 503 Service Unavailable")})}),
    ("dsr1", "deepseek-ai/DeepSeek-R1-0528", "b200", "vllm", "fp8", 1024, 1024, 4, 2, 1, 1, 1, "false", 40000, 12.0, [4, 16, 64], {}),
    ("dsr1", "deepseek-ai/DeepSeek-R1-0528", "b200", "vllm", "fp8", 8192, 1024, 4, 1, 2, 2, 1, "false", 30000, 14.0, [4, 16],
     {16: (0, 4, {})}),
    ("gptoss", "openai/gpt-oss-120b", "mi355x", "vllm", "fp4", 1024, 8192, 1, 1, 1, 1, 1, "false", 6000, 5.0, [4, 16], {}),
]
# multi-node: prefix, model, hw, fw, precision, spec, prefill (workers, tp, ep, dpa, gpus, pp), decode (...), hw pair,
#   router, kv transfer, peak, floor, concs
TODAY_MULTI = [
    ("dsr1", "nvidia/DeepSeek-R1-0528-FP4", "gb200", "dynamo-trt", "fp4", "mtp", (4, 4, 4, "true", 16, 1), (1, 8, 8, "true", 8, 2),
     ("gb200", "gb300"), '{"name": "dynamo-router", "version": "0.7.1"}', "nixl", 150000, 7.0, [64, 256]),
    ("dsr1", "deepseek-ai/DeepSeek-R1-0528", "gb200", "sglang", "fp8", "none", (2, 8, 8, "false", 16, 1), (0, 8, 1, "false", 0, 1),
     ("", ""), "", "", 60000, 12.0, [32]),
]


def with_accounting(raw, failed, canceled, kinds):
    """A synthetic raw result as loadgen writes it: requests that failed or
    were canceled did not complete, and its accounting keys follow."""
    raw = dict(raw)
    raw["completed"] = raw["num_prompts"] - failed - canceled
    raw.update({"simulated": False, "partial": canceled > 0, "stop_reason": "received interrupt" if canceled else None,
                "failed": failed, "canceled": canceled,
                "errors_by_kind": {k: {"count": n, "first_error": msg} for k, (n, msg) in sorted(kinds.items())}})
    return raw


def run_process_result_main(ref_main, env, raw, dest):
    """Upstream main's process_result.py (with its power step) on one raw
    result; then the request accounting resultproc
    appends after upstream's keys (process.AppendAccounting: the raw
    result's keys, as they are, last), which upstream does not write."""
    with tempfile.TemporaryDirectory() as scripts:
        copy_power_scripts(ref_main, scripts)
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, env["RESULT_FILENAME"] + ".json"), "w") as f:
                json.dump(raw, f)
            subprocess.run([PY_MAIN, os.path.join(scripts, "process_result.py")], cwd=tmp, check=True,
                           capture_output=True,
                           env={"PATH": os.environ.get("PATH", "/usr/bin"), "PYTHONDONTWRITEBYTECODE": "1", **env})
            name = "agg_" + env["RESULT_FILENAME"] + ".json"
            with open(os.path.join(tmp, name)) as f:
                doc = json.load(f)
    if "failed" in raw:
        for k in ("num_prompts", "completed", "failed", "canceled", "errors_by_kind"):
            doc[k] = raw[k]
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, name), "w") as f:
        json.dump(doc, f, indent=2)


def fingerprint(*parts):
    import hashlib
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def make_sweep_today(ref_main, out):
    shutil.rmtree(out, ignore_errors=True)
    for (prefix, model, hw, fw, prec, isl, osl, tp, pp, dcp, pcp, ep, dpa, peak, floor, concs, failures) in TODAY_SERIES:
        fp = fingerprint(prefix, hw, fw, prec, isl, osl, tp, pp, dcp, pcp, ep, dpa)
        for conc in concs:
            name = (f"{prefix}_{isl}_{osl}_{prec}_{fw}_tp{tp}-pp{pp}-dcp{dcp}-pcp{pcp}-ep{ep}-dpa{dpa}_disagg-false_spec-none"
                    f"_conc{conc}_{hw}-nv_0_recipe-{fp[:16]}")
            env = {"RUNNER_TYPE": hw, "FRAMEWORK": fw, "PRECISION": prec, "SPEC_DECODING": "none", "RESULT_FILENAME": name,
                   "ISL": str(isl), "OSL": str(osl), "DISAGG": "false", "MODEL_PREFIX": prefix, "IMAGE": f"registry.example/{fw}:2026.08",
                   "TP": str(tp), "EP_SIZE": str(ep), "DP_ATTENTION": dpa, "PP_SIZE": str(pp), "DCP_SIZE": str(dcp),
                   "PCP_SIZE": str(pcp), "RECIPE_FINGERPRINT": fp, "ROUTER_METADATA": "", "KV_P2P_TRANSFER": ""}
            failed, canceled, kinds = failures.get(conc, (0, 0, {}))
            raw = with_accounting(synth_raw(model, isl, osl, conc, peak, floor, gpus_scale=pp * pcp), failed, canceled, kinds)
            run_process_result_main(ref_main, env, raw, out / f"bmk_{name}")
    for (prefix, model, hw, fw, prec, spec, pre, dec, hws, router, kv, peak, floor, concs) in TODAY_MULTI:
        fp = fingerprint(prefix, hw, fw, prec, spec, pre, dec)
        for conc in concs:
            name = (f"{prefix}_1k1k_{prec}_{fw}_prefill-tp{pre[1]}-pp{pre[5]}-ep{pre[2]}-nw{pre[0]}_decode-tp{dec[1]}-pp{dec[5]}"
                    f"-ep{dec[2]}-nw{dec[0]}_conc{conc}_{hw}-nv_0_recipe-{fp[:16]}")
            env = {"RUNNER_TYPE": hw, "FRAMEWORK": fw, "PRECISION": prec, "SPEC_DECODING": spec, "RESULT_FILENAME": name,
                   "ISL": "1024", "OSL": "1024", "DISAGG": "true" if dec[4] else "false", "MODEL_PREFIX": prefix,
                   "IMAGE": "nvcr.example/dynamo:0.9", "IS_MULTINODE": "true", "PREFILL_GPUS": str(pre[4]), "DECODE_GPUS": str(dec[4]),
                   "PREFILL_NUM_WORKERS": str(pre[0]), "PREFILL_TP": str(pre[1]), "PREFILL_EP": str(pre[2]),
                   "PREFILL_DP_ATTN": pre[3], "DECODE_NUM_WORKERS": str(dec[0]), "DECODE_TP": str(dec[1]),
                   "DECODE_EP": str(dec[2]), "DECODE_DP_ATTN": dec[3], "RECIPE_FINGERPRINT": fp, "ROUTER_METADATA": router,
                   "KV_P2P_TRANSFER": kv, "PREFILL_PP_SIZE": str(pre[5]), "PREFILL_DCP_SIZE": "1", "PREFILL_PCP_SIZE": "1",
                   "DECODE_PP_SIZE": str(dec[5]), "DECODE_DCP_SIZE": "1", "DECODE_PCP_SIZE": "1",
                   "PREFILL_HARDWARE": hws[0], "DECODE_HARDWARE": hws[1]}
            raw = with_accounting(synth_raw(model, 1024, 1024, conc, peak, floor), 0, 0, {})
            run_process_result_main(ref_main, env, raw, out / f"bmk_{name}")


def sweep_today(ref, ref_main):
    """Today's sweep for summarize and collect; collect_results.py (the
    same at f0e131f2e and upstream main) aggregates it."""
    today = ROOT / "tools/summarize/testdata/sweep-today/results"
    make_sweep_today(ref_main, today)
    assert (ref / "utils/collect_results.py").read_text() == (ref_main / "utils/collect_results.py").read_text()
    code, out = run_script(ref_main, "collect_results.py", [str(today.relative_to(ROOT)), "bmk"], ROOT)
    agg = (ROOT / "agg_bmk.json").read_text()
    (ROOT / "agg_bmk.json").unlink()
    write_golden(ROOT / "tools/collect/testdata/original-results-today.json", {"exit": code, "stdout": out, "agg_bmk.json": agg})


@contextlib.contextmanager
def sorted_walks():
    """The original's directory walks, in sorted order (see the module doc)."""
    saved = pathlib.Path.glob, pathlib.Path.rglob, pathlib.Path.iterdir
    pathlib.Path.glob = lambda self, pat: iter(sorted(saved[0](self, pat)))
    pathlib.Path.rglob = lambda self, pat: iter(sorted(saved[1](self, pat)))
    pathlib.Path.iterdir = lambda self: iter(sorted(saved[2](self)))
    try:
        yield
    finally:
        pathlib.Path.glob, pathlib.Path.rglob, pathlib.Path.iterdir = saved


def run_script(ref, name, argv, cwd, patch=None):
    """Runs one of the original utils scripts in this process (so that the
    sorted walks apply); returns (exit code, stdout)."""
    out = io.StringIO()
    code = 0
    old_cwd, old_argv, old_path = os.getcwd(), sys.argv, list(sys.path)
    os.chdir(cwd)
    sys.argv = [str(ref / "utils" / name)] + argv
    sys.path.insert(0, str(ref / "utils"))
    try:
        with sorted_walks(), contextlib.redirect_stdout(out), (patch() if patch else contextlib.nullcontext()):
            try:
                runpy.run_path(str(ref / "utils" / name), run_name="__main__")
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        os.chdir(old_cwd)
        sys.argv = old_argv
        sys.path[:] = old_path
        sys.modules.pop("summarize", None)
    return code, out.getvalue()


@contextlib.contextmanager
def four_decimals():
    """summarize.py formats its numbers with :.4f, but tabulate reads them
    back as numbers and prints them with "g" (six significant digits,
    1234.5678 -> 1234.57, 1234567.1234 -> 1.23457e+06). The Go summarize keeps
    the four decimals, i.e. prints what tabulate prints with floatfmt=".4f"."""
    import tabulate
    orig = tabulate.tabulate
    tabulate.tabulate = lambda *a, **k: orig(*a, **{**k, "floatfmt": ".4f"})
    try:
        yield
    finally:
        tabulate.tabulate = orig


def sweep(ref):
    sweep_dir = ROOT / "tools/summarize/testdata/sweep"
    make_sweep(ref, sweep_dir / "results", "current")
    make_sweep(ref, ROOT / "tools/summarize/testdata/baseline-results", "baseline")
    with tempfile.TemporaryDirectory() as tmp:
        code, _ = run_script(ref, "collect_results.py", [str(ROOT / "tools/summarize/testdata/baseline-results"), "bmk"], tmp)
        assert code == 0
        shutil.copy(os.path.join(tmp, "agg_bmk.json"), sweep_dir / "baseline-agg_bmk.json")
    shutil.rmtree(ROOT / "tools/summarize/testdata/baseline-results")

    # summarize.py, as the collect-results workflow runs it.
    code, fixed = run_script(ref, "summarize.py", ["results/"], sweep_dir, patch=four_decimals)
    assert code == 0
    _, as_is = run_script(ref, "summarize.py", ["results/"], sweep_dir)
    write_golden(sweep_dir / "original.json", {"summary_four_decimals": fixed, "summary_as_printed": as_is})

    # collect_results.py on the same results.
    collect_dir = ROOT / "tools/collect/testdata/results"
    shutil.rmtree(collect_dir, ignore_errors=True)
    shutil.copytree(sweep_dir / "results", collect_dir)
    with tempfile.TemporaryDirectory() as tmp:
        code, out = run_script(ref, "collect_results.py", [str(collect_dir.relative_to(ROOT)), "bmk"], ROOT)
        agg = (ROOT / "agg_bmk.json").read_text()
        (ROOT / "agg_bmk.json").unlink()
    write_golden(ROOT / "tools/collect/testdata/original-results.json", {"exit": code, "stdout": out, "agg_bmk.json": agg})


def set_mtimes(root):
    """Modification times decide between two lm-eval results files: the
    fixtures name theirs in mtimes.json (the Go tests set the same)."""
    for rel, t in json.loads((root / "mtimes.json").read_text()).items():
        os.utime(root / rel, (t, t))


def evals(ref):
    """collect_eval_results.py, as the collect-evals workflow runs it: on
    eval_results/ (one folder per artifact), and on a lone artifact that
    download-artifact put straight into eval_results/."""
    testdata = ROOT / "tools/collect/testdata"
    out = {}
    for name in ("evals", "evals-flat"):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(testdata / name, pathlib.Path(tmp) / "eval_results")
            if (testdata / name / "mtimes.json").exists():
                set_mtimes(pathlib.Path(tmp) / "eval_results")
            code, stdout = run_script(ref, "collect_eval_results.py", ["eval_results/", "bmk"], tmp)
            out[name] = {"exit": code, "stdout": stdout,
                         "agg_eval_bmk.json": (pathlib.Path(tmp) / "agg_eval_bmk.json").read_text()}
    write_golden(testdata / "original-evals.json", out)


class _FakeGithub:
    """Stands in for PyGithub: serves the recorded API responses of
    testdata/github (the same ones the Go tests' HTTP server serves)."""

    def __init__(self, pages_dir):
        import types
        run = json.loads((pages_dir / "run.json").read_text())
        pages = sorted(pages_dir.glob("jobs-page*.json"), key=lambda p: int(p.stem.removeprefix("jobs-page")))
        jobs = [j for p in pages for j in json.loads(p.read_text())["jobs"]]
        ns = lambda **kw: types.SimpleNamespace(**kw)

        def get_workflow_run(run_id):
            assert run_id == run["id"], run_id

            def list_jobs(_filter):
                assert _filter == "all"
                return iter([ns(name=j["name"], conclusion=j["conclusion"]) for j in jobs])
            return ns(id=run["id"], name=run["name"], jobs=list_jobs)

        repo = ns(full_name=run["repository"]["full_name"], get_workflow_run=get_workflow_run)

        class Github:
            def __init__(self, auth=None):
                pass

            def get_user(self):
                return ns(login="octocat")

            def get_repo(self, name):
                assert name == repo.full_name, name
                return repo
        self.module = types.ModuleType("github")
        self.module.Github = Github
        self.module.Auth = ns(Token=lambda token: ("token", token))
        self.run = run


def success_rate(ref):
    """calc_success_rate.py with PyGithub replaced by the recorded responses
    and runners.yaml by the test pool. The stats file's key order is the
    order of a Python set (it changes from run to run), so the golden keeps
    the stats as data; the printed table is sorted and kept as printed."""
    testdata = ROOT / "tools/collect/testdata"
    fake = _FakeGithub(testdata / "github")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "utils").mkdir()
        (tmp / ".github/configs").mkdir(parents=True)
        shutil.copy(ref / "utils/calc_success_rate.py", tmp / "utils")
        shutil.copy(testdata / "runners.yaml", tmp / ".github/configs/runners.yaml")
        saved_env = dict(os.environ)
        os.environ.update({"GITHUB_TOKEN": "t", "GITHUB_RUN_ID": str(fake.run["id"]),
                           "GITHUB_REPOSITORY": fake.run["repository"]["full_name"]})
        sys.modules["github"] = fake.module
        try:
            code, stdout = run_script(tmp, "calc_success_rate.py", ["run_stats"], tmp)
        finally:
            del sys.modules["github"]
            os.environ.clear()
            os.environ.update(saved_env)
        stats = json.loads((tmp / "run_stats.json").read_text())
    write_golden(testdata / "original-success-rate.json", {"exit": code, "stdout": stdout, "stats": stats})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default=os.environ.get("INFERENCEX_REF", "/work/ref"),
                    help="checkout of the original InferenceX at f0e131f2e")
    ap.add_argument("--ref-main", default=os.environ.get("INFERENCEX_REF_MAIN", "/work/ref-main"),
                    help="checkout of upstream InferenceX main at 843c6254f")
    args = ap.parse_args()
    ref, ref_main = pathlib.Path(args.ref), pathlib.Path(args.ref_main)
    for r in (ref, ref_main):
        if not (r / "utils" / "process_result.py").exists():
            sys.exit(f"{r}: not a checkout of InferenceX (no utils/process_result.py)")
    if "recipe_fingerprint" not in (ref_main / "utils" / "process_result.py").read_text():
        sys.exit(f"{ref_main}: not upstream main (its process_result.py writes no recipe_fingerprint)")
    roundtrip()
    tables()
    resultproc(ref)
    resultproc_today(ref_main)
    sweep(ref)
    sweep_today(ref, ref_main)
    evals(ref)
    success_rate(ref)


if __name__ == "__main__":
    main()
