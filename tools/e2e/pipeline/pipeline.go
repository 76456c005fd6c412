// Package pipeline runs the benchmark workflow on this machine: matrixgen's
// matrix, then for each entry the steps of .github/workflows/benchmark-tmpl.yml
// that launch the job, process its result, upload its files and, for an
// eval-only job, gate its scores — their own run: scripts, with the env:
// the workflow would give them and their if: conditions — then collect and
// summarize, as collect-results.yml and collect-evals.yml do. With the
// simulated runner (runners/launch_sim.sh) this is the whole pipeline
// without a GPU: `make demo` and the end-to-end test run it.
package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The run: steps of the benchmark template the local runner runs, by name
// (each only when its if: says so); the others start or clean up containers
// and Slurm jobs on a GPU node. Every actions/upload-artifact step is
// followed: its files go where the collection workflows download them.
var localSteps = []string{"Launch the benchmark", "Process the result", "Verify eval scores", "Remove the eval outputs"}

// The callers of the template in e2e-tests.yml whose with: maps an entry
// to its inputs: throughput jobs, eval-only jobs and agentic-coding jobs.
const (
	callerThroughput = "test-sweep-single-node"
	callerEval       = "test-sweep-evals"
	callerAgentic    = "test-sweep-agentic"
)

// Kinds of job, by the caller that maps their entries.
const (
	kindThroughput = iota
	kindEval
	kindAgentic
)

// jobKind tells which caller of the template an entry goes through.
func jobKind(entry map[string]any) int {
	switch {
	case isTrue(entry["eval-only"]):
		return kindEval
	case entry["scenario-type"] == "agentic-coding":
		return kindAgentic
	}
	return kindThroughput
}

// Options say what to run and where.
type Options struct {
	Root       string        // repository root: bin/, benchmarks/, runners/, .github/workflows/
	Out        string        // output directory; jobs/, results/, agg_bmk.json and report.html go here
	MatrixArgs []string      // matrixgen's command line (full-sweep --single-node --config-files ...)
	Env        []string      // KEY=VALUE added to every job's environment (TOKENIZER, SIM_*)
	JobTimeout time.Duration // per job; 0 means 10 minutes
	Log        io.Writer     // progress
	// EvalJobs adds, for the first EvalJobs configurations of the matrix,
	// an eval-only job at the configuration's highest concurrency (as an
	// eval row of matrixgen --evals-only would be). Entries the matrix
	// already marks eval-only run as eval jobs in any case.
	EvalJobs int
}

// Job is one matrix entry's run.
type Job struct {
	Entry          map[string]any
	Eval           bool // an eval-only job
	ResultFilename string
	Dir            string
	Duration       time.Duration
}

// Result is what a run produced.
type Result struct {
	Jobs      []Job
	Aggregate string // agg_bmk.json ("" without throughput jobs)
	Report    string // report.html
	Summary   string // the Markdown tables
	// EvalAggregate (agg_eval_all.json), EvalSummary (collect evals'
	// table) and Gate (the accuracy gate's table) when eval jobs ran.
	EvalAggregate, EvalSummary, Gate string
}

// Simulated tells whether every job ran on the simulated runner.
func (r *Result) Simulated() bool {
	for _, j := range r.Jobs {
		if fmt.Sprint(j.Entry["runner"]) != SimRunner {
			return false
		}
	}
	return len(r.Jobs) > 0
}

// SimRunner is the runner type of the simulated node (runners/launch_sim.sh).
const SimRunner = "sim"

// outMarker marks a directory as this runner's output, so that a rerun may
// clear it.
const outMarker = ".inferencex-local-run"

// Run runs the whole pipeline. It stops at the first job that fails.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.JobTimeout == 0 {
		o.JobTimeout = 10 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, err
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return nil, err
	}
	if err := prepareOut(out); err != nil {
		return nil, err
	}
	for _, tool := range []string{"matrixgen", "loadgen", "resultproc", "collect", "summarize"} {
		if _, err := os.Stat(filepath.Join(root, "bin", tool)); err != nil {
			return nil, fmt.Errorf("bin/%s is missing: run make build first", tool)
		}
	}

	entries, err := matrix(ctx, root, o.MatrixArgs, map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME")})
	if err != nil {
		return nil, err
	}
	entries = append(entries, evalJobs(entries, o.EvalJobs)...)
	tmpl, err := LoadTemplate(filepath.Join(root, ".github", "workflows", "benchmark-tmpl.yml"), "benchmark")
	if err != nil {
		return nil, err
	}
	callers := map[int]map[string]string{}
	for kind, job := range map[int]string{kindThroughput: callerThroughput, kindEval: callerEval, kindAgentic: callerAgentic} {
		if callers[kind], err = CallerWith(filepath.Join(root, ".github", "workflows", "e2e-tests.yml"), job); err != nil {
			return nil, err
		}
	}

	res := &Result{}
	for i, entry := range entries {
		start := time.Now()
		eval := isTrue(entry["eval-only"])
		job, err := runJob(ctx, o, root, out, i, tmpl, callers[jobKind(entry)], entry)
		if err != nil {
			return nil, fmt.Errorf("job %d/%d (%s): %w", i+1, len(entries), describe(entry), err)
		}
		job.Eval = eval
		job.Duration = time.Since(start)
		fmt.Fprintf(o.Log, "[%d/%d] %s: %.1fs\n", i+1, len(entries), describe(entry), job.Duration.Seconds())
		res.Jobs = append(res.Jobs, *job)
	}

	// The tools run outside any workflow, whatever this process runs in.
	clean := map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "TMPDIR": os.TempDir()}
	results := filepath.Join(out, "results")
	if hasEntries(results) {
		if _, err := tool(ctx, root, out, clean, "collect", "results", results, "bmk", "--output-dir", out); err != nil {
			return nil, err
		}
		res.Aggregate = filepath.Join(out, "agg_bmk.json")
		res.Report = filepath.Join(out, "report.html")
		summary, err := tool(ctx, root, out, clean, "summarize", results, "--html", res.Report)
		if err != nil {
			return nil, err
		}
		res.Summary = summary
	}
	// As collect-evals.yml: the table and aggregate, then the gate over
	// every eval job.
	evals := filepath.Join(out, "eval_results")
	if hasEntries(evals) {
		summary, err := tool(ctx, root, out, clean, "collect", "evals", evals, "all", "--output-dir", out)
		if err != nil {
			return nil, err
		}
		res.EvalAggregate, res.EvalSummary = filepath.Join(out, "agg_eval_all.json"), summary
		// The gate writes the aggregate again: out of the way, as the
		// workflow's step writes it into $RUNNER_TEMP.
		if err := os.MkdirAll(filepath.Join(out, "gate"), 0o755); err != nil {
			return nil, err
		}
		gate, err := tool(ctx, root, out, clean, "collect", "evals", evals, "all", "--output-dir", filepath.Join(out, "gate"),
			"--thresholds", filepath.Join(root, "configs", "eval-thresholds.yaml"))
		if err != nil {
			return nil, err
		}
		res.Gate = gate
	}
	return res, nil
}

func hasEntries(dir string) bool {
	ents, err := os.ReadDir(dir)
	return err == nil && len(ents) > 0
}

func isTrue(v any) bool {
	b, ok := v.(bool)
	return ok && b
}

// evalJobs makes eval-only entries for the first n configurations: a
// configuration is an entry but for its concurrency and experiment name,
// and its eval runs at its highest concurrency.
func evalJobs(entries []map[string]any, n int) []map[string]any {
	if n <= 0 {
		return nil
	}
	var order []string
	best := map[string]map[string]any{}
	for _, e := range entries {
		if isTrue(e["eval-only"]) {
			continue
		}
		key := configKey(e)
		cur, seen := best[key]
		if !seen {
			order = append(order, key)
		}
		if c, ok := e["conc"].(float64); ok {
			if cc, _ := cur["conc"].(float64); !seen || c > cc {
				best[key] = e
			}
		} else if !seen {
			best[key] = e
		}
	}
	var out []map[string]any
	for _, key := range order[:min(n, len(order))] {
		e := map[string]any{}
		for k, v := range best[key] {
			e[k] = v
		}
		e["run-eval"], e["eval-only"] = true, true
		out = append(out, e)
	}
	return out
}

func configKey(e map[string]any) string {
	keys := make([]string, 0, len(e))
	for k := range e {
		if k != "conc" && k != "exp-name" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%v;", k, e[k])
	}
	return b.String()
}

func prepareOut(out string) error {
	ents, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(ents) > 0:
		if _, err := os.Stat(filepath.Join(out, outMarker)); err != nil {
			return fmt.Errorf("%s is not empty and not the output of an earlier run: choose another directory", out)
		}
		if err := os.RemoveAll(out); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(out, "results"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, outMarker), nil, 0o644)
}

// matrix runs matrixgen and returns the single-node entries.
func matrix(ctx context.Context, root string, args []string, env map[string]string) ([]map[string]any, error) {
	stdout, err := tool(ctx, root, root, env, "matrixgen", args...)
	if err != nil {
		return nil, err
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(stdout), &entries); err != nil {
		return nil, fmt.Errorf("matrixgen printed no matrix: %w", err)
	}
	if len(entries) == 0 {
		return nil, errors.New("the matrix is empty: nothing to run")
	}
	for _, e := range entries {
		if _, multi := e["prefill"]; multi {
			return nil, errors.New("the local runner runs single-node entries (matrixgen --single-node)")
		}
	}
	return entries, nil
}

// runJob runs one entry through the template's steps in its own
// workspace, Out/jobs/NNN: the local ones (localSteps) and the uploads,
// each when its if: says so, as GitHub would after a failed step too.
func runJob(ctx context.Context, o Options, root, out string, i int, tmpl *Template, with map[string]string, entry map[string]any) (*Job, error) {
	ctx, cancel := context.WithTimeout(ctx, o.JobTimeout)
	defer cancel()
	dir := filepath.Join(out, "jobs", fmt.Sprintf("%03d", i+1))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// The workspace is a checkout for the scripts: link what they use.
	for _, name := range []string{"benchmarks", "runners", "bin", "configs"} {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
			return nil, err
		}
	}

	inputs, err := tmpl.InputsFor(with, entry)
	if err != nil {
		return nil, err
	}
	label := fmt.Sprint(entry["runner"])
	// An agentic config names its fleet (cluster:sim); the job runs on
	// one of its nodes, named after the runner type.
	node := strings.TrimPrefix(label, "cluster:")
	if !strings.Contains(node, "_") {
		node += "_0" // the first node of the runner type
	}
	ctxs := Contexts{
		"inputs":  inputs,
		"runner":  map[string]any{"name": node, "arch": "X64"},
		"secrets": map[string]any{},
	}
	wfEnv, err := ExpandEnv(tmpl.Env, ctxs)
	if err != nil {
		return nil, err
	}
	ctxs["env"] = toAny(wfEnv)

	ghEnvFile := filepath.Join(dir, ".github_env")
	runnerTemp := filepath.Join(dir, ".runner_temp")
	if err := os.MkdirAll(runnerTemp, 0o755); err != nil {
		return nil, err
	}
	base := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "TMPDIR": os.TempDir(),
		"GITHUB_WORKSPACE": dir, "RUNNER_NAME": node, "GITHUB_ENV": ghEnvFile, "RUNNER_TEMP": runnerTemp,
		"GITHUB_OUTPUT": filepath.Join(dir, ".github_output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, ".github_step_summary"),
	}
	for _, kv := range o.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--env %q: expected KEY=VALUE", kv)
		}
		base[k] = v
	}
	for _, f := range []string{ghEnvFile, base["GITHUB_OUTPUT"], base["GITHUB_STEP_SUMMARY"]} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			return nil, err
		}
	}
	logPath := filepath.Join(dir, "job.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	var status Status
	var failures []string
	for _, step := range tmpl.Steps {
		ghEnv, err := readGitHubEnv(ghEnvFile)
		if err != nil {
			return nil, err
		}
		ctxs["env"] = toAny(merge(wfEnv, ghEnv))
		upload := strings.HasPrefix(step.Uses, "actions/upload-artifact@")
		if !upload && (step.Run == "" || !slices.Contains(localSteps, step.Name)) {
			continue
		}
		run, err := If(step.If, ctxs, status)
		if err != nil {
			return nil, fmt.Errorf("step %q: if: %w", step.Name, err)
		}
		if !run {
			fmt.Fprintf(logFile, "==> %s: skipped (if: %s)\n", stepName(step), strings.TrimSpace(step.If))
			continue
		}
		if upload {
			if err := uploadArtifact(out, dir, step, ctxs, logFile); err != nil {
				status.Failed = true
				failures = append(failures, fmt.Sprintf("step %q: %v", stepName(step), err))
			}
			continue
		}
		stepEnv, err := ExpandEnv(step.Env, ctxs)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", step.Name, err)
		}
		env := merge(base, wfEnv, ghEnv, stepEnv)
		fmt.Fprintf(logFile, "==> %s\n", step.Name)
		if err := runScript(ctx, dir, step.Run, env, logFile); err != nil {
			status.Failed = true
			failures = append(failures, fmt.Sprintf("step %q: %v", step.Name, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	if len(failures) > 0 {
		return nil, fmt.Errorf("%s (log: %s)%s", strings.Join(failures, "; "), logPath, tail(logPath, 15))
	}
	ghEnv, err := readGitHubEnv(ghEnvFile)
	if err != nil {
		return nil, err
	}
	return &Job{Entry: entry, ResultFilename: ghEnv["RESULT_FILENAME"], Dir: dir}, nil
}

func stepName(s Step) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Uses
}

// uploadArtifact does what actions/upload-artifact would, where the
// collection workflows download it: bmk_* into Out/results/, eval_* into
// Out/eval_results/ (collect-results.yml's and collect-evals.yml's
// patterns), anything else into Out/artifacts/, each in a folder named after
// the artifact. path: lines are globs relative to the workspace, !glob
// excludes; if-no-files-found says what no file means (warn by default).
func uploadArtifact(out, dir string, step Step, ctxs Contexts, log io.Writer) error {
	name, err := Expand(step.With["name"], ctxs)
	if err != nil {
		return err
	}
	paths, err := Expand(step.With["path"], ctxs)
	if err != nil {
		return err
	}
	ifNone, err := Expand(step.With["if-no-files-found"], ctxs)
	if err != nil {
		return err
	}
	if name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		return fmt.Errorf("artifact name %q", name)
	}
	var include, exclude []string
	for _, line := range strings.Split(paths, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "!"):
			exclude = append(exclude, strings.TrimPrefix(line, "!"))
		default:
			if filepath.IsAbs(line) || strings.Contains(line, "..") {
				return fmt.Errorf("artifact %s: path %q leaves the workspace", name, line)
			}
			include = append(include, line)
		}
	}
	var files []string
	for _, pat := range include {
		matches, err := globArtifact(dir, pat)
		if err != nil {
			return fmt.Errorf("artifact %s: %w", name, err)
		}
		for _, m := range matches {
			rel, _ := filepath.Rel(dir, m)
			if st, err := os.Stat(m); err != nil || !st.Mode().IsRegular() || slices.Contains(files, rel) {
				continue
			}
			excluded := false
			for _, ex := range exclude {
				if ok, _ := filepath.Match(ex, rel); ok {
					excluded = true
				}
			}
			if !excluded {
				files = append(files, rel)
			}
		}
	}
	if len(files) == 0 {
		switch ifNone {
		case "error":
			return fmt.Errorf("artifact %s: no file matches %q", name, strings.Join(include, ", "))
		case "ignore":
		default:
			fmt.Fprintf(log, "==> upload %s: no file matches %q\n", name, strings.Join(include, ", "))
		}
		return nil
	}
	dest := filepath.Join(out, "artifacts", name)
	switch {
	case strings.HasPrefix(name, "bmk_"):
		dest = filepath.Join(out, "results", name)
	case strings.HasPrefix(name, "eval_"):
		dest = filepath.Join(out, "eval_results", name)
	}
	// upload-artifact (v4 on) refuses a name already used in the run, so
	// two jobs that share a RESULT_FILENAME (a throughput job and the eval-only
	// job of the same point) must name their artifacts apart.
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("artifact %s: a job of this run already uploaded an artifact of this name", name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("artifact %s: %w", name, err)
	}
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			return err
		}
		target := filepath.Join(dest, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "==> upload %s: %s\n", name, strings.Join(files, ", "))
	return nil
}

// globArtifact expands one path: line of upload-artifact. A trailing /**
// is every file below the folder, at any depth, as @actions/glob reads it;
// anything else is a filepath.Glob pattern.
func globArtifact(dir, pat string) ([]string, error) {
	base, recursive := strings.CutSuffix(pat, "/**")
	if !recursive {
		return filepath.Glob(filepath.Join(dir, pat))
	}
	roots, err := filepath.Glob(filepath.Join(dir, base))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// runScript runs a step's script as GitHub runs a bash step.
func runScript(ctx context.Context, dir, script string, env map[string]string, log io.Writer) error {
	f := filepath.Join(dir, ".step.sh")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", f)
	cmd.Dir = dir
	cmd.Env = envList(env)
	cmd.Stdout, cmd.Stderr = log, log
	// Kill the whole process group on timeout: the step starts servers.
	cmd.WaitDelay = 10 * time.Second
	setProcessGroup(cmd)
	return cmd.Run()
}

// tool runs bin/<name> with env (and nothing else of this process's
// environment) and returns its standard output.
func tool(ctx context.Context, root, dir string, env map[string]string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(root, "bin", name), args...)
	cmd.Dir = dir
	cmd.Env = envList(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// readGitHubEnv reads what steps appended to $GITHUB_ENV: NAME=value lines
// and NAME<<DELIMITER blocks.
func readGitHubEnv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if name, val, ok := strings.Cut(line, "="); ok {
			out[name] = val
		}
	}
	return out, sc.Err()
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func describe(e map[string]any) string {
	kind := ""
	if isTrue(e["eval-only"]) {
		kind = " eval-only"
	}
	return fmt.Sprintf("%v %v %v %v tp=%v conc=%v%s", e["exp-name"], e["runner"], e["framework"], e["precision"], format(e["tp"]), format(e["conc"]), kind)
}

// tail returns the last n lines of a file, indented, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\n    " + strings.Join(lines, "\n    ")
}
