// Package pipeline runs the benchmark workflow on this machine: matrixgen's
// matrix, then for each entry the steps of .github/workflows/benchmark-tmpl.yml
// that launch the job and process its result — their own run: scripts, with
// the env: the workflow would give them — then collect and summarize, as
// collect-results.yml does. With the simulated runner (runners/launch_sim.sh)
// this is the whole pipeline without a GPU: `make demo` and the end-to-end
// test run it.
package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The steps of the benchmark template the local runner runs, by name.
const (
	stepLaunch  = "Launch the benchmark"
	stepProcess = "Process the result"
	stepUpload  = "Upload the result"
)

// Options say what to run and where.
type Options struct {
	Root       string        // repository root: bin/, benchmarks/, runners/, .github/workflows/
	Out        string        // output directory; jobs/, results/, agg_bmk.json and report.html go here
	MatrixArgs []string      // matrixgen's command line (full-sweep --single-node --config-files ...)
	Env        []string      // KEY=VALUE added to every job's environment (TOKENIZER, SIM_*)
	JobTimeout time.Duration // per job; 0 means 10 minutes
	Log        io.Writer     // progress
}

// Job is one matrix entry's run.
type Job struct {
	Entry          map[string]any
	ResultFilename string
	Dir            string
	Duration       time.Duration
}

// Result is what a run produced.
type Result struct {
	Jobs      []Job
	Aggregate string // agg_bmk.json
	Report    string // report.html
	Summary   string // the Markdown tables
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
	tmpl, err := LoadTemplate(filepath.Join(root, ".github", "workflows", "benchmark-tmpl.yml"), "benchmark")
	if err != nil {
		return nil, err
	}
	with, err := CallerWith(filepath.Join(root, ".github", "workflows", "e2e-tests.yml"), "test-sweep-single-node")
	if err != nil {
		return nil, err
	}

	res := &Result{}
	for i, entry := range entries {
		start := time.Now()
		job, err := runJob(ctx, o, root, out, i, tmpl, with, entry)
		if err != nil {
			return nil, fmt.Errorf("job %d/%d (%s): %w", i+1, len(entries), describe(entry), err)
		}
		job.Duration = time.Since(start)
		fmt.Fprintf(o.Log, "[%d/%d] %s: %.1fs\n", i+1, len(entries), describe(entry), job.Duration.Seconds())
		res.Jobs = append(res.Jobs, *job)
	}

	results := filepath.Join(out, "results")
	// The tools run outside any workflow, whatever this process runs in.
	clean := map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "TMPDIR": os.TempDir()}
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
	return res, nil
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

// runJob runs one entry through the template's launch, process and upload
// steps in its own workspace, Out/jobs/NNN.
func runJob(ctx context.Context, o Options, root, out string, i int, tmpl *Template, with map[string]string, entry map[string]any) (*Job, error) {
	ctx, cancel := context.WithTimeout(ctx, o.JobTimeout)
	defer cancel()
	dir := filepath.Join(out, "jobs", fmt.Sprintf("%03d", i+1))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// The workspace is a checkout for the scripts: link what they use.
	for _, name := range []string{"benchmarks", "runners", "bin"} {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
			return nil, err
		}
	}

	inputs, err := tmpl.InputsFor(with, entry)
	if err != nil {
		return nil, err
	}
	label := fmt.Sprint(entry["runner"])
	node := label
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
	base := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "TMPDIR": os.TempDir(),
		"GITHUB_WORKSPACE": dir, "RUNNER_NAME": node, "GITHUB_ENV": ghEnvFile,
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

	for _, name := range []string{stepLaunch, stepProcess} {
		step, err := tmpl.Step(name)
		if err != nil {
			return nil, err
		}
		stepEnv, err := ExpandEnv(step.Env, ctxs)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", name, err)
		}
		ghEnv, err := readGitHubEnv(ghEnvFile)
		if err != nil {
			return nil, err
		}
		env := merge(base, wfEnv, ghEnv, stepEnv)
		fmt.Fprintf(logFile, "==> %s\n", name)
		if err := runScript(ctx, dir, step.Run, env, logFile); err != nil {
			return nil, fmt.Errorf("step %q: %w (log: %s)%s", name, err, logPath, tail(logPath, 15))
		}
	}

	// The upload: the processed result into results/<artifact name>/, as
	// download-artifact lays artifacts out for collect-results.yml.
	ghEnv, err := readGitHubEnv(ghEnvFile)
	if err != nil {
		return nil, err
	}
	ctxs["env"] = toAny(merge(wfEnv, ghEnv))
	up, err := tmpl.Step(stepUpload)
	if err != nil {
		return nil, err
	}
	name, err := Expand(up.With["name"], ctxs)
	if err != nil {
		return nil, err
	}
	path, err := Expand(up.With["path"], ctxs)
	if err != nil {
		return nil, err
	}
	if name == "" || strings.ContainsAny(name, "/\\") || strings.Contains(path, "..") {
		return nil, fmt.Errorf("artifact %q with path %q", name, path)
	}
	data, err := os.ReadFile(filepath.Join(dir, path))
	if err != nil {
		return nil, fmt.Errorf("the processed result: %w", err)
	}
	artifact := filepath.Join(out, "results", name)
	if err := os.MkdirAll(artifact, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(artifact, filepath.Base(path)), data, 0o644); err != nil {
		return nil, err
	}
	return &Job{Entry: entry, ResultFilename: ghEnv["RESULT_FILENAME"], Dir: dir}, nil
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
	return fmt.Sprintf("%v %v %v %v tp=%v conc=%v", e["exp-name"], e["runner"], e["framework"], e["precision"], format(e["tp"]), format(e["conc"]))
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
