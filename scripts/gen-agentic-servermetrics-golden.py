#!/usr/bin/env python3
"""Runs upstream InferenceX's agentic server-metrics aggregation
(utils/agentic/aggregation/server_metrics.py, its backend adapters and
server_log_metrics.py, at upstream main 843c6254f) on the cases under
tools/resultproc/servermetrics/testdata/, and records what upstream makes of
each as the golden file the Go package's tests compare with byte for byte.

A case is a directory under testdata/cases/ holding case.json (framework,
prompt/generation token totals from the request records, number of records),
server_metrics_export.json (absent for a run without one) and any server logs
(server.log, watchtower-*.out, and files that must be ignored). Its golden,
golden.json, holds the logs find_server_log_paths picks, each log's capacity
as the vLLM and SGLang parsers read it, and the nested server_metrics block
after round_floats (or the exception upstream raises), with the warnings.
loadgen's promscrape exports (tools/loadgen/promscrape/testdata/
*.server_metrics_export.json, themselves golden files) are run too: into
testdata/promscrape/<name>.golden.json here, and, for loadgen's own test that
upstream's adapters read its export, the unrounded nested block with its
warnings into tools/loadgen/promscrape/testdata/<name>.upstream-server-metrics.json.

Run from the repository root:

    python3 scripts/gen-agentic-servermetrics-golden.py [--ref DIR]

DIR is a checkout (or `git archive` extract) of upstream InferenceX at
843c6254f; by default it is extracted from the mirror at
$INFERENCEX_MIRROR (default /work/.mirror/SemiAnalysisAI+InferenceX/repo).
Upstream needs Python 3.12 (its exact mean and compensated sum) and only the
standard library.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
UPSTREAM = "843c6254f"
TESTDATA = ROOT / "tools" / "resultproc" / "servermetrics" / "testdata"
PROMSCRAPE = ROOT / "tools" / "loadgen" / "promscrape" / "testdata"
# The framework each promscrape export is read as, by file name prefix.
FRAMEWORKS = {"vllm": "vllm", "sglang": "sglang", "atom": "atom", "dynamo": "dynamo-vllm"}


def extract(mirror, dest):
    archive = subprocess.run(["git", "-C", mirror, "archive", UPSTREAM, "utils/agentic"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)


def records_for(case):
    """Request records whose sums are the case's totals (apply_profile_totals' input)."""
    records = [{"metrics": {}} for _ in range(case["requests"])]
    for key, metric in (("prompt", "input_sequence_length"), ("generation", "output_sequence_length")):
        if case[key] is not None:
            if not records:
                sys.exit(f"a case with a {key} total needs at least one request")
            records[0]["metrics"][metric] = {"value": case[key]}
    return records


def run(agg, export, framework, records, log_paths):
    out = {}
    try:
        _, nested, warnings = agg.compute_server_metrics(
            export, framework=framework, records=records, server_log_paths=log_paths)
        out["server_metrics"] = agg.round_floats(nested)
        out["warnings"] = warnings
    except Exception as e:  # noqa: BLE001 - the golden records what upstream raises
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def write(path, doc):
    path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", help="upstream InferenceX checkout at " + UPSTREAM)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ref = args.ref
        if ref is None:
            mirror = os.environ.get("INFERENCEX_MIRROR", "/work/.mirror/SemiAnalysisAI+InferenceX/repo")
            extract(mirror, tmp)
            ref = tmp
        sys.path.insert(0, str(ref))
        from utils.agentic.aggregation import aggregation_common, server_log_metrics, server_metrics
        from utils.agentic.aggregation.backends.sglang import SglangBackend
        from utils.agentic.aggregation.backends.vllm import VllmBackend

        class agg:
            compute_server_metrics = staticmethod(server_metrics.compute_server_metrics)
            round_floats = staticmethod(aggregation_common.round_floats)

        for case_dir in sorted(p for p in (TESTDATA / "cases").iterdir() if p.is_dir()):
            case = json.loads((case_dir / "case.json").read_text())
            export = server_metrics.load_server_metrics(case_dir / "server_metrics_export.json")
            log_paths = server_log_metrics.find_server_log_paths(case_dir)
            doc = {
                "log_paths": [str(p.relative_to(case_dir)) for p in log_paths],
                "log_capacities": {},
            }
            for p in sorted(case_dir.iterdir()):
                if p.name in ("case.json", "server_metrics_export.json", "golden.json"):
                    continue
                text = server_log_metrics.load_server_log_head(p)
                doc["log_capacities"][p.name] = {
                    "vllm": VllmBackend.kv_cache_pool_tokens_from_server_log(text),
                    "sglang": SglangBackend.kv_cache_pool_tokens_from_server_log(text),
                }
            doc.update(run(agg, export, case["framework"], records_for(case), log_paths))
            write(case_dir / "golden.json", doc)

        exports = sorted(PROMSCRAPE.glob("*.server_metrics_export.json"))
        if not exports:
            sys.exit(f"no *.server_metrics_export.json in {PROMSCRAPE}: "
                     "run go test ./tools/loadgen/promscrape/ -update first")
        (TESTDATA / "promscrape").mkdir(exist_ok=True)
        for path in exports:
            name = path.name.split(".")[0]
            framework = FRAMEWORKS.get(name.split("-")[0], name)
            export = server_metrics.load_server_metrics(path)
            write(TESTDATA / "promscrape" / f"{name}.golden.json", run(agg, export, framework, [], []))
            _, nested, warnings = agg.compute_server_metrics(export, framework=framework, records=[])
            nested["warnings"] = warnings
            out = PROMSCRAPE / f"{name}.upstream-server-metrics.json"
            out.write_text(json.dumps(nested, indent=1, sort_keys=True) + "\n")
            print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
