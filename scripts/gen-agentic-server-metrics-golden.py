#!/usr/bin/env python3
"""Runs upstream InferenceX's agentic server-metrics aggregation
(utils/agentic/aggregation/server_metrics.py and its backend adapters, at
upstream main 843c6254f) on the server_metrics_export.json files that
loadgen's promscrape tests write (tools/loadgen/promscrape/testdata/
*.server_metrics_export.json, themselves golden files), and records the
nested server_metrics block upstream makes of each, as the golden the Go
test checks: proof that upstream's adapters read loadgen's export.

Run from the repository root:

    python3 scripts/gen-agentic-server-metrics-golden.py [--ref DIR]

DIR is a checkout (or `git archive` extract) of upstream InferenceX at
843c6254f; by default it is extracted from the mirror at
$INFERENCEX_MIRROR (default /work/.mirror/SemiAnalysisAI+InferenceX/repo).
Only the Python standard library is needed.
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
TESTDATA = ROOT / "tools" / "loadgen" / "promscrape" / "testdata"
# The framework each export is read as, by file name prefix.
FRAMEWORKS = {"vllm": "vllm", "sglang": "sglang", "atom": "atom", "dynamo": "dynamo-vllm"}


def extract(mirror, dest):
    archive = subprocess.run(["git", "-C", mirror, "archive", UPSTREAM, "utils/agentic"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)


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
        from utils.agentic.aggregation.server_metrics import compute_server_metrics

        exports = sorted(TESTDATA.glob("*.server_metrics_export.json"))
        if not exports:
            sys.exit(f"no *.server_metrics_export.json in {TESTDATA}: run go test ./tools/loadgen/promscrape/ -update first")
        for path in exports:
            name = path.name.split(".")[0]
            framework = FRAMEWORKS.get(name.split("-")[0], name)
            server_metrics = json.loads(path.read_text())
            _, nested, warnings = compute_server_metrics(server_metrics, framework=framework, records=[])
            nested["warnings"] = warnings
            out = TESTDATA / f"{name}.upstream-server-metrics.json"
            out.write_text(json.dumps(nested, indent=1, sort_keys=True) + "\n")
            print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
