#!/usr/bin/env python3
"""Records upstream InferenceX main's (843c6254f) sweep decisions, as the
goldens `changelog sweep-policy` and `changelog canary` are tested against:

- pkg/changelog/testdata/upstream-sweep-policy.json: for every combination
  of event, action, draft, labels, changed label, head repository and
  [skip-sweep] in the head commit, what upstream's run-sweep.yml decides.
  The decisions are upstream's own `if:` and `env:` expressions
  (check-changelog, setup, TRIM_CONC, ALL_EVALS, EVALS_ONLY, canary-select,
  strategy.fail-fast), read from its run-sweep.yml and evaluated with the
  expression engine of its gating test (utils/changelog_gate_tests/
  test_run_sweep_gating.py), with the artifact-reuse gate skipped: reuse is
  not ported. Labels are ours (the five sweep labels, all-evals,
  evals-only, an unrelated one).
- pkg/changelog/testdata/upstream-canary.json: upstream's canary-select jq
  program, read from the same workflow, run with jq on the matrices of
  pkg/changelog/testdata/canary/*.json.

Run from the repository root with a python3 that has PyYAML, and jq:

    python3 scripts/gen-sweep-policy-golden.py [--upstream DIR]

DIR is upstream at 843c6254f (a checkout or `git archive`); without it
.github and utils are extracted from the mirror at
/work/.mirror/SemiAnalysisAI+InferenceX/repo.
"""
import argparse
import importlib.util
import itertools
import json
import pathlib
import subprocess
import sys
import tempfile
import types

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "pkg/changelog/testdata"
MIRROR = pathlib.Path("/work/.mirror/SemiAnalysisAI+InferenceX/repo")
UPSTREAM_REV = "843c6254f"
REPO = "SemiAnalysisAI/InferenceX"

SWEEP_LABELS = ["sweep-enabled", "full-sweep-enabled", "non-canary-full-sweep-enabled",
                "full-sweep-fail-fast", "full-sweep-fail-fast-no-canary"]
LABEL_SETS = [[]] + [[l] for l in SWEEP_LABELS] + [
    ["all-evals"], ["evals-only"], ["all-evals", "evals-only"], ["documentation"],
    ["sweep-enabled", "full-sweep-enabled"], ["full-sweep-enabled", "full-sweep-fail-fast"],
    ["non-canary-full-sweep-enabled", "full-sweep-fail-fast-no-canary"],
    ["sweep-enabled", "all-evals"], ["sweep-enabled", "evals-only"],
    ["full-sweep-enabled", "all-evals"], ["full-sweep-enabled", "evals-only"],
    ["full-sweep-fail-fast", "all-evals", "evals-only"], ["full-sweep-fail-fast-no-canary", "documentation"],
]
CHANGED = ["sweep-enabled", "full-sweep-enabled", "full-sweep-fail-fast-no-canary", "all-evals", "evals-only",
           "documentation", None]


def load_engine(upstream):
    """Upstream's gating test, imported for its expression engine (pytest
    is not needed for that: a stand-in takes its decorators)."""
    fake = types.ModuleType("pytest")
    fake.mark = types.SimpleNamespace(parametrize=lambda *a, **k: (lambda f: f))
    sys.modules.setdefault("pytest", fake)
    path = upstream / "utils/changelog_gate_tests/test_run_sweep_gating.py"
    spec = importlib.util.spec_from_file_location("upstream_gating", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def strip(expr):
    expr = expr.strip()
    if expr.startswith("${{") and expr.endswith("}}"):
        expr = expr[3:-2]
    return expr


def policy(upstream):
    eng = load_engine(upstream)
    wf = yaml.load((upstream / ".github/workflows/run-sweep.yml").read_text(), Loader=yaml.BaseLoader)
    jobs = wf["jobs"]
    setup_env = next(s for s in jobs["setup"]["steps"] if s.get("id") == "setup")["env"]
    exprs = {
        "check": jobs["check-changelog"]["if"],
        "setup": jobs["setup"]["if"],
        "trim-conc": strip(setup_env["TRIM_CONC"]),
        "all-evals": strip(setup_env["ALL_EVALS"]),
        "evals-only": strip(setup_env["EVALS_ONLY"]),
        "canary": jobs["canary-select"]["if"],
        "fail-fast": strip(jobs["sweep-single-node-1k1k"]["strategy"]["fail-fast"]),
    }
    scenarios = [
        {"event": "pull_request", "action": a, "draft": d, "labels": labs, "label_name": ln, "head_repo": hr, "msg": msg}
        for a, d, labs, ln, hr, msg in itertools.product(
            ["ready_for_review", "synchronize", "labeled", "unlabeled"], [False, True], LABEL_SETS, CHANGED,
            [REPO, "someone/InferenceX"], ["feat: add model", "fix: docs [skip-sweep]"])
        if (a in ("labeled", "unlabeled")) == (ln is not None)
    ]
    scenarios += [{"event": "push", "msg": m} for m in ("feat: add model", "fix: x [skip-sweep]")]
    out = []
    for sc in scenarios:
        ctx = eng._ctx(sc)
        ctx["github.event.pull_request.head.repo.full_name"] = sc.get("head_repo", REPO)
        check = "skipped"
        if eng._eval(exprs["check"], ctx):
            check = "failure" if len(set(sc.get("labels", [])) & set(SWEEP_LABELS)) > 1 else "success"
        ctx["needs.check-changelog.result"] = check
        ctx["needs.check-changelog.outputs.skip-pr-sweep"] = "true" if "[skip-sweep]" in sc.get("msg", "") else "false"
        ctx["needs.reuse-sweep-gate.result"] = "skipped"
        ctx["needs.reuse-sweep-gate.outputs.skip-pr-sweep"] = ""
        ctx["needs.setup.outputs.reuse-enabled"] = "false"
        decision = {"check": check, "run": eng._eval(exprs["setup"], ctx)}
        for k in ("trim-conc", "all-evals", "evals-only", "canary", "fail-fast"):
            decision[k] = eng._eval(exprs[k], ctx)
        out.append({"scenario": sc, "upstream": decision})
    (TESTDATA).mkdir(parents=True, exist_ok=True)
    # One line per scenario: event, action, draft, labels, changed label,
    # fork, [skip-sweep] in the head commit; then check-changelog's result
    # and the decisions run, trim-conc, all-evals, evals-only, canary,
    # fail-fast.
    lines = []
    for o in out:
        sc, up = o["scenario"], o["upstream"]
        row = [sc["event"], sc.get("action"), sc.get("draft", False), sc.get("labels", []), sc.get("label_name"),
               sc.get("head_repo", REPO) != REPO, "[skip-sweep]" in sc["msg"],
               up["check"], up["run"], up["trim-conc"], up["all-evals"], up["evals-only"], up["canary"], up["fail-fast"]]
        lines.append(json.dumps(row, separators=(",", ":")))
    (TESTDATA / "upstream-sweep-policy.json").write_text("[\n" + ",\n".join(lines) + "\n]\n")
    print(f"wrote {len(out)} decisions to {(TESTDATA / 'upstream-sweep-policy.json').relative_to(ROOT)}")


def canary(upstream):
    wf = yaml.load((upstream / ".github/workflows/run-sweep.yml").read_text(), Loader=yaml.BaseLoader)
    script = wf["jobs"]["canary-select"]["steps"][0]["run"]
    # The program is the single-quoted argument of `jq -c '...'`.
    start = script.index("jq -c '") + len("jq -c '")
    program = script[start:script.index("' <<<", start)]
    out = {}
    for case in sorted((TESTDATA / "canary").glob("*.json")):
        got = subprocess.run(["jq", "-c", program], input=case.read_text(), capture_output=True, text=True, check=True)
        out[case.name] = json.loads(got.stdout)
    (TESTDATA / "upstream-canary.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out)} canary selections to {(TESTDATA / 'upstream-canary.json').relative_to(ROOT)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", help=f"upstream InferenceX at {UPSTREAM_REV} (default: extracted from the mirror)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        upstream = pathlib.Path(args.upstream) if args.upstream else pathlib.Path(tmp)
        if not args.upstream:
            archive = subprocess.run(["git", "-C", str(MIRROR), "archive", UPSTREAM_REV, ".github/workflows/run-sweep.yml",
                                      "utils/changelog_gate_tests"], check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        policy(upstream)
        canary(upstream)


if __name__ == "__main__":
    main()
