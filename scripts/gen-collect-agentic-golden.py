#!/usr/bin/env python3
"""Makes collect's mixed-sweep fixture and its golden: a results directory
laid out as collect-results.yml downloads it (bmk_<job>/agg_<job>.json for
fixed-seq-len jobs, bmk_agentic_<job>/<job>.json for agentic-coding ones),
filled from results upstream's own scripts made (summarize's sweep-today
results, the agentic-result schema's test data), and what upstream's
utils/collect_results.py (the same at f0e131f2e and 843c6254f) writes for it.

collect_results.py walks with Path.rglob, whose order is the file system's;
here rglob returns sorted paths, the order collect uses.

Run from the repository root:

    /root/.pyenv/versions/3.12.1/bin/python3 scripts/gen-collect-agentic-golden.py [--ref DIR]

DIR is an upstream checkout (default: utils/collect_results.py extracted
from the mirror at $INFERENCEX_MIRROR, default
/work/.mirror/SemiAnalysisAI+InferenceX/repo). Writes
tools/collect/testdata/results-agentic/ and
tools/collect/testdata/original-results-agentic.json.
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
UPSTREAM = "843c6254f"
DEST = ROOT / "tools" / "collect" / "testdata" / "results-agentic"
GOLDEN = ROOT / "tools" / "collect" / "testdata" / "original-results-agentic.json"
FIXED = ROOT / "tools" / "summarize" / "testdata" / "sweep-today" / "results"
AGENTIC = ROOT / "schemas" / "testdata" / "agentic-result"

# The fixed-seq-len jobs taken from sweep-today (by directory name prefix)
# and the agentic ones (by case name), each under the job name a workflow
# would give it.
FIXED_JOBS = ["bmk_dsr1_1024_1024_fp8_sglang_tp8-pp1-dcp1-pcp1-ep1-dpafalse_disagg-false_spec-none_conc4_",
              "bmk_dsr1_1024_1024_fp8_vllm_tp4-pp2-dcp1-pcp1-ep1-dpafalse_disagg-false_spec-none_conc64_"]
AGENTIC_JOBS = {
    "single-vllm": "dsr1_tp8_conc32_kvnone_fp8_vllm_ep1_dpa_false",
    "single-vllm-dram-traces": "dsr1_tp8_conc32_kvdram-vllm-simple_fp8_vllm_ep1_dpa_false",
    "multi-dynamo-router": "dsr1_p2x4_d1x8_conc32_kvnone_fp8_dynamo-vllm",
    "single-errors-only": "dsr1_tp8_conc64_kvnone_fp8_vllm_ep1_dpa_false",
}


def build():
    shutil.rmtree(DEST, ignore_errors=True)
    DEST.mkdir(parents=True)
    for prefix in FIXED_JOBS:
        (job,) = [d for d in FIXED.iterdir() if d.name.startswith(prefix)]
        shutil.copytree(job, DEST / job.name)
    for case, job in AGENTIC_JOBS.items():
        d = DEST / f"bmk_agentic_{job}"
        d.mkdir()
        shutil.copy(AGENTIC / f"{case}.json", d / f"{job}.json")


@contextlib.contextmanager
def sorted_rglob():
    saved = pathlib.Path.rglob
    pathlib.Path.rglob = lambda self, pat: iter(sorted(saved(self, pat)))
    try:
        yield
    finally:
        pathlib.Path.rglob = saved


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", help="upstream InferenceX checkout")
    args = ap.parse_args()
    build()
    with tempfile.TemporaryDirectory() as tmp:
        ref = pathlib.Path(args.ref) if args.ref else pathlib.Path(tmp) / "upstream"
        if not args.ref:
            ref.mkdir()
            mirror = os.environ.get("INFERENCEX_MIRROR", "/work/.mirror/SemiAnalysisAI+InferenceX/repo")
            archive = subprocess.run(["git", "-C", mirror, "archive", UPSTREAM, "utils/collect_results.py"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(ref)], input=archive, check=True)
        work = pathlib.Path(tmp) / "work"
        work.mkdir()
        out = io.StringIO()
        old_cwd, old_argv = os.getcwd(), sys.argv
        os.chdir(work)
        sys.argv = ["collect_results.py", str(DEST), "bmk"]
        try:
            with sorted_rglob(), contextlib.redirect_stdout(out):
                runpy.run_path(str(ref / "utils" / "collect_results.py"), run_name="__main__")
        finally:
            os.chdir(old_cwd)
            sys.argv = old_argv
        golden = {"agg_bmk.json": (work / "agg_bmk.json").read_text(), "exit": 0, "stdout": out.getvalue()}
    GOLDEN.write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN.relative_to(ROOT)} and {DEST.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
