// Package repocheck checks that the repository's shell fits its configs, the
// way a benchmark job would find out on a GPU node, but in seconds: every
// search-space point of every master config resolves, through the naming
// rule in runners/lib.sh (benchmark_script), to a script in benchmarks/;
// every runner node has its launcher in runners/; no script or launcher is
// left that nothing uses; and the shell passes bash -n and shellcheck.
//
// The naming rule is evaluated by bash itself, from runners/lib.sh, so the
// check cannot drift from what the launchers do.
package repocheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
)

// Problem is one thing wrong, about a file of the repository.
type Problem struct {
	File string // the file the problem is about, relative to the repository root where possible
	Line int    // 0 when it is about the whole file
	Key  string // the master config key it concerns, if any
	Msg  string
}

func (p Problem) String() string {
	pos := p.File
	if p.Line > 0 {
		pos = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Key != "" {
		return fmt.Sprintf("%s: %s: %s", pos, p.Key, p.Msg)
	}
	return fmt.Sprintf("%s: %s", pos, p.Msg)
}

// Job is what decides which benchmark script runs a job.
type Job struct {
	ModelPrefix  string
	Precision    string
	Framework    string
	Runner       string // runner type
	SpecDecoding string
	Multinode    bool
	Agentic      bool // an agentic-coding point (benchmarks/agentic/)
}

func (j Job) String() string {
	kind := "single-node"
	if j.Multinode {
		kind = "multi-node"
	}
	if j.Agentic {
		kind += " agentic-coding"
	}
	return fmt.Sprintf("model-prefix=%s precision=%s runner=%s framework=%s spec-decoding=%s %s",
		j.ModelPrefix, j.Precision, j.Runner, j.Framework, j.SpecDecoding, kind)
}

// Use is a job and where a master config asks for it.
type Use struct {
	Job
	Key  string // config key
	File string // master config file
	Line int    // line of the config key
}

// Uses lists, per config key, the distinct jobs its search-space points
// (fixed-seq-len and agentic-coding) ask for, in config order.
func Uses(m *config.Master) []Use {
	var out []Use
	for _, e := range m.Entries {
		seen := map[Job]bool{}
		add := func(j Job) {
			if !seen[j] {
				seen[j] = true
				out = append(out, Use{Job: j, Key: e.Key, File: e.File, Line: e.Line})
			}
		}
		for _, slc := range e.Scenarios.FixedSeqLen {
			for _, s := range slc.SearchSpace {
				add(Job{ModelPrefix: e.ModelPrefix, Precision: e.Precision, Framework: e.Framework,
					Runner: e.Runner, SpecDecoding: s.Spec(), Multinode: e.Multinode})
			}
		}
		for _, a := range e.Scenarios.AgenticCoding {
			for _, s := range a.SearchSpace {
				add(Job{ModelPrefix: e.ModelPrefix, Precision: e.Precision, Framework: e.Framework,
					Runner: e.Runner, SpecDecoding: s.Spec(), Multinode: e.Multinode, Agentic: true})
			}
		}
	}
	return out
}

// CheckScenarios reports the scenarios no benchmark script can run yet:
// benchmarks/agentic/ has single-node trace-replay scripts only, so a
// multi-node agentic-coding config would fail at its launch.
func CheckScenarios(root string, m *config.Master) []Problem {
	var out []Problem
	for _, e := range m.Entries {
		if e.Multinode && len(e.Scenarios.AgenticCoding) > 0 {
			out = append(out, Problem{File: rel(root, e.File), Line: e.Line, Key: e.Key,
				Msg: "a multi-node agentic-coding scenario: benchmarks/agentic/ has no multi-node trace-replay script yet"})
		}
	}
	return out
}

// Resolution is benchmark_script's answer for one job: the script path
// relative to the repository root, or why there is none.
type Resolution struct {
	Script string
	Err    string
}

// fieldSep separates the fields of a job on benchmark_script's input: a
// character no config value can hold, and not whitespace (read would merge
// empty fields).
const fieldSep = "\x1f"

// ResolveScripts runs runners/lib.sh's benchmark_script for each job, in one
// bash process with nothing of the caller's environment but PATH.
func ResolveScripts(ctx context.Context, root string, jobs []Job) ([]Resolution, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	lib := filepath.Join(root, "runners", "lib.sh")
	if _, err := os.Stat(lib); err != nil {
		return nil, fmt.Errorf("the naming rule lives in runners/lib.sh: %w", err)
	}
	const prog = `source "$1" || exit 3
while IFS=$'\x1f' read -r MODEL_PREFIX PRECISION FRAMEWORK RUNNER_TYPE SPEC_DECODING IS_MULTINODE SCENARIO_TYPE; do
    export MODEL_PREFIX PRECISION FRAMEWORK RUNNER_TYPE SPEC_DECODING IS_MULTINODE SCENARIO_TYPE
    if out=$(benchmark_script 2>&1); then
        printf 'ok\x1f%s\n' "$out"
    else
        printf 'error\x1f%s\n' "${out//$'\n'/ }"
    fi
done
`
	var in bytes.Buffer
	for _, j := range jobs {
		scenario := "fixed-seq-len"
		if j.Agentic {
			scenario = "agentic-coding"
		}
		fields := []string{j.ModelPrefix, j.Precision, j.Framework, j.Runner, j.SpecDecoding, fmt.Sprint(j.Multinode), scenario}
		for _, f := range fields {
			if strings.ContainsAny(f, fieldSep+"\n") {
				return nil, fmt.Errorf("job %s: a field holds a control character", j)
			}
		}
		fmt.Fprintf(&in, "%s\n", strings.Join(fields, fieldSep))
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", prog, "resolve", lib)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.Stdin = &in
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("running benchmark_script from %s: %w: %s", lib, err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != len(jobs) {
		return nil, fmt.Errorf("benchmark_script answered %d lines for %d jobs: %q", len(lines), len(jobs), stdout.String())
	}
	out := make([]Resolution, len(jobs))
	for i, l := range lines {
		status, val, _ := strings.Cut(l, fieldSep)
		switch status {
		case "ok":
			out[i].Script = val
		case "error":
			out[i].Err = val
		default:
			return nil, fmt.Errorf("benchmark_script: unexpected output line %q", l)
		}
	}
	return out, nil
}

// CheckScripts reports every use whose job has no benchmark script, and
// returns the scripts that are used.
func CheckScripts(ctx context.Context, root string, uses []Use) (used map[string]bool, problems []Problem, err error) {
	jobs := make([]Job, len(uses))
	for i, u := range uses {
		jobs[i] = u.Job
	}
	res, err := ResolveScripts(ctx, root, jobs)
	if err != nil {
		return nil, nil, err
	}
	used = map[string]bool{}
	for i, u := range uses {
		r := res[i]
		switch {
		case r.Err != "":
			problems = append(problems, Problem{File: rel(root, u.File), Line: u.Line, Key: u.Key,
				Msg: fmt.Sprintf("no benchmark script for %s: %s", u.Job, r.Err)})
		case !isFile(filepath.Join(root, r.Script)):
			problems = append(problems, Problem{File: rel(root, u.File), Line: u.Line, Key: u.Key,
				Msg: fmt.Sprintf("%s does not exist (needed for %s; docs/adding-a-config.md explains the naming)", r.Script, u.Job)})
		default:
			used[r.Script] = true
		}
	}
	return used, problems, nil
}

// NodePrefix is the launcher name of a runner node: its name up to the first
// "_" (h200-nb_3 runs runners/launch_h200-nb.sh).
func NodePrefix(node string) string {
	prefix, _, _ := strings.Cut(node, "_")
	return prefix
}

// LauncherPath is the launcher of a node prefix, relative to the root.
func LauncherPath(prefix string) string {
	return "runners/launch_" + prefix + ".sh"
}

// CheckLaunchers reports runner nodes without a launcher, and launchers that
// do not start their job through require_benchmark_script (and so would not
// follow the naming rule). It returns the launchers that are used.
func CheckLaunchers(root string, pools ...*config.Runners) (used map[string]bool, problems []Problem) {
	used = map[string]bool{}
	for _, pool := range pools {
		for _, typ := range pool.Types {
			for _, node := range pool.Nodes[typ] {
				path := LauncherPath(NodePrefix(node))
				if used[path] {
					continue
				}
				data, err := os.ReadFile(filepath.Join(root, path))
				if err != nil {
					problems = append(problems, Problem{File: rel(root, pool.File),
						Msg: fmt.Sprintf("runner %s (type %s) has no launcher %s", node, typ, path)})
					continue
				}
				used[path] = true
				if !bytes.Contains(data, []byte("require_benchmark_script")) {
					problems = append(problems, Problem{File: path,
						Msg: "does not find its benchmark script with require_benchmark_script (runners/lib.sh)"})
				}
			}
		}
	}
	return used, problems
}

// IsLibrary tells the shell files that are sourced, not run by a job.
func IsLibrary(path string) bool {
	base := filepath.Base(path)
	return base == "lib.sh" || strings.HasSuffix(base, "_lib.sh")
}

// ShellFiles lists the shell files of benchmarks/, benchmarks/agentic/ and
// runners/ (relative to root, sorted).
func ShellFiles(root string) ([]string, error) {
	var out []string
	for _, dir := range []string{"benchmarks", "benchmarks/agentic", "runners"} {
		matches, err := filepath.Glob(filepath.Join(root, dir, "*.sh"))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			out = append(out, rel(root, m))
		}
	}
	slices.Sort(out)
	return out, nil
}

// AwaitingConfig are the agentic recipes (one per framework family) that
// no master config runs yet: configs/runners.yaml is only now getting the
// cluster:<name> fleets and their hardware an agentic config needs. Unused
// lets them be; TestRepository fails once a config runs one, so that it
// leaves this list.
var AwaitingConfig = []string{
	"benchmarks/agentic/dsv4_fp4_b200_vllm.sh",
	"benchmarks/agentic/glm5.2_fp4_mi355x_atom.sh",
	"benchmarks/agentic/minimaxm3_fp4_b200_trt.sh",
	"benchmarks/agentic/qwen3.5_fp8_b200_sglang.sh",
}

// Unused reports the benchmark scripts and launchers that no config point and
// no runner node uses (but the AwaitingConfig recipes).
func Unused(root string, usedScripts, usedLaunchers map[string]bool) ([]Problem, error) {
	files, err := ShellFiles(root)
	if err != nil {
		return nil, err
	}
	var problems []Problem
	for _, f := range files {
		if IsLibrary(f) {
			continue
		}
		switch {
		case strings.HasPrefix(f, "benchmarks/") && !usedScripts[f] && !slices.Contains(AwaitingConfig, f):
			problems = append(problems, Problem{File: f, Msg: "no config point runs this benchmark script"})
		case strings.HasPrefix(f, "runners/launch_") && !usedLaunchers[f]:
			problems = append(problems, Problem{File: f, Msg: "no runner node uses this launcher"})
		case strings.HasPrefix(f, "runners/") && !strings.HasPrefix(f, "runners/launch_"):
			problems = append(problems, Problem{File: f, Msg: "runners/ holds launch_<node>.sh launchers and lib.sh only"})
		}
	}
	return problems, nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}
