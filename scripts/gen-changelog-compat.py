#!/usr/bin/env python3
"""Writes tools/changelog/testdata/compat/<case>.json: what the original
process_changelog.py prints for each case of tools/changelog/testdata/cases/.

    git -C <mirror of SemiAnalysisAI/InferenceX> archive f0e131f2e | tar -x -C /tmp/inferencex-orig
    python3 scripts/gen-changelog-compat.py /tmp/inferencex-orig

Run it from the repository root; it needs git and python3 with pydantic 2 and PyYAML.

Each case is a throw-away repository built the same way as the Go test
builds it (tools/changelog/main_test.go, buildRepo): the master configs of
configs/ (copied to .github/configs, where that script reads them, plus the case's extra-master.yaml appended to
nvidia-master.yaml), a commit with base.yaml as perf-changelog.yaml, a commit
with head.yaml. The original runs in it with --base-ref HEAD~1 --head-ref HEAD.
Cases on which the original fails, or whose command is not `matrix`, get no
file. The original's output is normalised in one documented way: a
multi-node worker without additional-settings gets an empty list (matrixgen
always writes every field).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.getcwd()
CASES = os.path.join(ROOT, "tools/changelog/testdata/cases")
OUT = os.path.join(ROOT, "tools/changelog/testdata/compat")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_AUTHOR_DATE": "2026-02-05T10:00:00Z",
    "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com", "GIT_COMMITTER_DATE": "2026-02-05T10:00:00Z",
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo, *args):
    env = dict(os.environ, **GIT_ENV)
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def build_repo(case_dir, repo):
    configs = os.path.join(repo, ".github/configs")
    os.makedirs(configs)
    for name in ("amd-master.yaml", "nvidia-master.yaml", "runners.yaml"):
        shutil.copy(os.path.join(ROOT, "configs", name), configs)
    extra = os.path.join(case_dir, "extra-master.yaml")
    if os.path.exists(extra):
        with open(os.path.join(configs, "nvidia-master.yaml"), "a") as f, open(extra) as e:
            f.write("\n" + e.read())
    git(repo, "init", "-q", "-b", "main")
    changelog = os.path.join(repo, "perf-changelog.yaml")
    for version in ("base", "head"):
        src = os.path.join(case_dir, version + ".yaml")
        if os.path.exists(src):
            shutil.copy(src, changelog)
        elif os.path.exists(changelog):
            os.remove(changelog)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", version)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen-changelog-compat.py ORIGINAL_CHECKOUT")
    orig = os.path.abspath(sys.argv[1])
    script = os.path.join(orig, "utils/process_changelog.py")
    if not os.path.exists(script):
        sys.exit(f"{script} does not exist")
    skip = set()
    with open(os.path.join(OUT, "skip.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                skip.add(line.split()[0])
    written = set()
    for case in sorted(os.listdir(CASES)):
        case_dir = os.path.join(CASES, case)
        args_file = os.path.join(case_dir, "args")
        args = open(args_file).read().split() if os.path.exists(args_file) else ["matrix", "--base-ref", "HEAD~1", "--head-ref", "HEAD"]
        if args[0] == "matrix":
            args = args[1:]
        if args[0] != "--base-ref" or case in skip:
            continue
        with tempfile.TemporaryDirectory() as repo:
            build_repo(case_dir, repo)
            # The original runs its helper scripts by paths relative to the repository root.
            os.symlink(os.path.join(orig, "utils"), os.path.join(repo, "utils"))
            env = dict(os.environ, PYTHONPATH=os.path.join(orig, "utils"))
            proc = subprocess.run([sys.executable, script, "--changelog-file", os.path.join(repo, "perf-changelog.yaml"), *args],
                                  cwd=repo, env=env, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{case}: the original fails: {last}")
            continue
        out = json.loads(proc.stdout)
        for bucket in out["multi_node"].values():
            for entry in bucket:
                for side in ("prefill", "decode"):
                    entry[side].setdefault("additional-settings", [])
        with open(os.path.join(OUT, case + ".json"), "w") as f:
            f.write(json.dumps(out, indent=1, sort_keys=True) + "\n")
        written.add(case)
        print(f"{case}: written")
    for name in sorted(os.listdir(OUT)):
        if name.endswith(".json") and name[:-5] not in written:
            os.remove(os.path.join(OUT, name))
            print(f"removed stale {name}")


if __name__ == "__main__":
    main()
