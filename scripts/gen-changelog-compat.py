#!/usr/bin/env python3
"""Writes tools/changelog/testdata/compat/<case>.json: what upstream's process_changelog.py prints for each case of
tools/changelog/testdata/cases/, the Feb-2026 original for cases whose configs file says feb2026, upstream main for
the others (today's configs).

    git -C <mirror of SemiAnalysisAI/InferenceX> archive f0e131f2e | tar -x -C /tmp/upstream-feb
    git -C <mirror of SemiAnalysisAI/InferenceX> archive 843c6254f | tar -x -C /tmp/upstream-main
    python3 scripts/gen-changelog-compat.py --feb /tmp/upstream-feb --main /tmp/upstream-main

Either flag alone regenerates those cases only. Run it from the repository root; it needs git and python3 with
pydantic 2 and PyYAML.

Each case is a throw-away repository built the same way as the Go test builds it (tools/changelog/main_test.go,
buildRepo): the master configs (this repository's configs/ for today's cases, their Feb-2026 copy for the others),
the case's extra-master.yaml appended to nvidia-master.yaml and extra-runners.yaml to runners.yaml, a commit with
base.yaml as perf-changelog.yaml and a commit with head.yaml (where head-master.yaml, if the case has one, takes
extra-master.yaml's place). The Feb-2026 original reads its configs from .github/configs, upstream main from
configs/; upstream main also needs its generator committed in the repository (append-only entries run the base
revision's generator), so its utils/ files are copied in. Upstream runs with --base-ref HEAD~1 --head-ref HEAD and
the case's flags (less those upstream does not have: --allow-unlisted-runners). Cases on which upstream fails, or whose command is not `matrix`, get no file. The Feb-2026
original's output is normalised in two documented ways: a multi-node worker without additional-settings gets an
empty list (matrixgen always writes every field; upstream main's pydantic dump already does), and each bucket's
jobs are sorted (the original's order came from iterating a Python set). Upstream main's output is kept byte for
byte.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.getcwd()
CASES = os.path.join(ROOT, "tools/changelog/testdata/cases")
OUT = os.path.join(ROOT, "tools/changelog/testdata/compat")
SOURCES = {"today": os.path.join(ROOT, "configs"), "feb2026": os.path.join(ROOT, "tools/matrixgen/testdata/feb2026")}

GIT_ENV = {
    "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_AUTHOR_DATE": "2026-02-05T10:00:00Z",
    "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com", "GIT_COMMITTER_DATE": "2026-02-05T10:00:00Z",
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
}

# Flags of changelog that upstream's script does not have: left out of its command line.
OURS_ONLY = {"--allow-unlisted-runners"}


def git(repo, *args):
    env = dict(os.environ, **GIT_ENV)
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def case_configs(case_dir):
    path = os.path.join(case_dir, "configs")
    return open(path).read().strip() if os.path.exists(path) else "today"


def append(src, dst):
    if os.path.exists(src):
        with open(dst, "a") as f, open(src) as e:
            f.write("\n" + e.read())


def write_configs(case_dir, configs, extra):
    for name in ("amd-master.yaml", "nvidia-master.yaml", "runners.yaml"):
        shutil.copy(os.path.join(SOURCES[case_configs(case_dir)], name), configs)
    append(os.path.join(case_dir, extra), os.path.join(configs, "nvidia-master.yaml"))
    append(os.path.join(case_dir, "extra-runners.yaml"), os.path.join(configs, "runners.yaml"))


def build_repo(case_dir, repo, upstream, feb):
    configs = os.path.join(repo, ".github/configs" if feb else "configs")
    os.makedirs(configs)
    write_configs(case_dir, configs, "extra-master.yaml")
    if not feb:
        utils = os.path.join(repo, "utils")
        shutil.copytree(os.path.join(upstream, "utils/matrix_logic"), os.path.join(utils, "matrix_logic"))
        for name in ("constants.py", "process_changelog.py"):
            shutil.copy(os.path.join(upstream, "utils", name), utils)
    git(repo, "init", "-q", "-b", "main")
    changelog = os.path.join(repo, "perf-changelog.yaml")
    for version in ("base", "head"):
        src = os.path.join(case_dir, version + ".yaml")
        if os.path.exists(src):
            shutil.copy(src, changelog)
        elif os.path.exists(changelog):
            os.remove(changelog)
        if version == "head" and os.path.exists(os.path.join(case_dir, "head-master.yaml")):
            write_configs(case_dir, configs, "head-master.yaml")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", version)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--feb", metavar="CHECKOUT", help="upstream at f0e131f2e")
    p.add_argument("--main", metavar="CHECKOUT", help="upstream at 843c6254f")
    args = p.parse_args()
    if not args.feb and not args.main:
        p.error("give --feb, --main or both")
    skip = set()
    with open(os.path.join(OUT, "skip.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                skip.add(line.split()[0])
    done = set()
    for case in sorted(os.listdir(CASES)):
        case_dir = os.path.join(CASES, case)
        feb = case_configs(case_dir) == "feb2026"
        upstream = args.feb if feb else args.main
        if not upstream:
            if os.path.exists(os.path.join(OUT, case + ".json")):
                done.add(case)  # kept: that suite is not regenerated
            continue
        upstream = os.path.abspath(upstream)
        script = os.path.join(upstream, "utils/process_changelog.py")
        if not os.path.exists(script):
            sys.exit(f"{script} does not exist")
        args_file = os.path.join(case_dir, "args")
        cmd = open(args_file).read().split() if os.path.exists(args_file) else ["matrix", "--base-ref", "HEAD~1", "--head-ref", "HEAD"]
        if cmd[0] == "matrix":
            cmd = cmd[1:]
        cmd = [a for a in cmd if a not in OURS_ONLY]
        if cmd[0] != "--base-ref" or case in skip:
            continue
        with tempfile.TemporaryDirectory() as repo:
            build_repo(case_dir, repo, upstream, feb)
            if feb:
                # The original runs its helper scripts by paths relative to the repository root.
                os.symlink(os.path.join(upstream, "utils"), os.path.join(repo, "utils"))
                script_path, pythonpath = script, os.path.join(upstream, "utils")
            else:
                script_path, pythonpath = os.path.join(repo, "utils/process_changelog.py"), os.path.join(repo, "utils")
            env = dict(os.environ, PYTHONPATH=pythonpath, **GIT_ENV)
            proc = subprocess.run([sys.executable, script_path, "--changelog-file", os.path.join(repo, "perf-changelog.yaml"), *cmd],
                                  cwd=repo, env=env, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{case}: upstream fails: {last}")
            continue
        out = json.loads(proc.stdout)
        if feb:
            for bucket in out["multi_node"].values():
                for entry in bucket:
                    for side in ("prefill", "decode"):
                        entry[side].setdefault("additional-settings", [])
            # The original ordered jobs by iterating a Python set, which
            # differs from run to run: sorted, the file is the same every
            # time (the Go test sorts both sides).
            for kind in ("single_node", "multi_node"):
                for bucket in out[kind].values():
                    bucket.sort(key=lambda e: json.dumps(e, sort_keys=True))
        with open(os.path.join(OUT, case + ".json"), "w") as f:
            if feb:
                f.write(json.dumps(out, indent=1, sort_keys=True) + "\n")
            else:
                # Upstream main's bytes as they are: matrixgen's must be the same.
                f.write(proc.stdout.strip() + "\n")
        done.add(case)
        print(f"{case}: written")
    for name in sorted(os.listdir(OUT)):
        if name.endswith(".json") and name[:-5] not in done:
            os.remove(os.path.join(OUT, name))
            print(f"removed stale {name}")


if __name__ == "__main__":
    main()
