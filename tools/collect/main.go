// Command collect gathers what the jobs of a benchmark sweep produced into
// aggregate files. It replaces the original collect_results.py,
// collect_eval_results.py and calc_success_rate.py:
//
//	collect results results/ bmk            # processed results -> agg_bmk.json
//	collect evals eval_results/ bmk         # lm-eval outputs   -> agg_eval_bmk.json + table
//	collect success-rate run_stats          # the run's jobs    -> run_stats.json + table
//	collect baseline results/ --output baseline.json   # main's results of the same configurations
//
// See docs/collect.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/ghaction"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/collect/aggregate"
	"github.com/inferencex/inferencex-go/tools/collect/evals"
	"github.com/inferencex/inferencex-go/tools/collect/successrate"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // could not do the work: nothing to collect, an API or I/O failure
	exitInvalid = 2 // bad command line, environment or (with --strict) input files
)

const topHelp = `usage: collect {results,evals,success-rate,baseline} [options]

Gathers what the jobs of a benchmark sweep produced into aggregate files.

commands:
  results DIR PREFIX      every processed result under DIR -> agg_PREFIX.json
  evals DIR PREFIX        lm-eval-harness outputs under DIR -> agg_eval_PREFIX.json and a Markdown table
  success-rate NAME       jobs of this workflow run per GPU SKU -> NAME.json and a table
                          (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_RUN_ID)
  baseline DIR            main's newest results of the configurations under DIR, from the
                          sweep workflow's artifacts -> an aggregate for summarize --baseline
                          (GITHUB_TOKEN, GITHUB_REPOSITORY)

Run 'collect COMMAND -h' for a command's options. Exit status: 0 success, 1 failure,
2 bad command line, environment or (with --strict) input files.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// env is what a command needs from its surroundings.
type env struct {
	ctx            context.Context
	stdout, stderr io.Writer
	getenv         func(string) string
	gha            *ghaction.Action
	write          func(path string, data []byte) error
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr, getenv: getenv, gha: ghaction.New(getenv, stderr),
		write: func(path string, data []byte) error { return atomicfile.Write(path, data, 0o644) }}
	if len(args) == 0 {
		fmt.Fprint(stderr, topHelp)
		fmt.Fprintln(stderr, "collect: error: a command is required")
		return exitInvalid
	}
	switch args[0] {
	case "-h", "--help":
		fmt.Fprint(stdout, topHelp)
		return exitOK
	case "results":
		return e.results(args[1:])
	case "evals":
		return e.evals(args[1:])
	case "success-rate":
		return e.successRate(args[1:])
	case "baseline":
		return e.baseline(args[1:])
	}
	fmt.Fprint(stderr, topHelp)
	fmt.Fprintf(stderr, "collect: error: unknown command %q (choose from results, evals, success-rate, baseline)\n", args[0])
	return exitInvalid
}

// parse parses a subcommand's flags; ok false means return code.
func (e *env) parse(p *cliargs.Parser, args []string) (code int, ok bool) {
	if err := p.Parse(args, e.stdout); err != nil {
		if errors.Is(err, cliargs.ErrHelp) {
			return exitOK, false
		}
		fmt.Fprintln(e.stderr, err)
		return exitInvalid, false
	}
	return 0, true
}

// problems reports files that were left out, on stderr and, in a
// workflow, as annotations on the files.
func (e *env) problems(ps []results.Problem, fatal bool) {
	for _, p := range ps {
		for _, d := range p.Diagnostics() {
			fmt.Fprintf(e.stderr, "collect: %s\n", d)
			if e.gha.InWorkflow() {
				if fatal {
					_ = e.gha.Error(d)
				} else {
					_ = e.gha.Warning(d)
				}
			}
		}
	}
}

func (e *env) fail(code int, err error) int {
	fmt.Fprintf(e.stderr, "collect: %v\n", err)
	if e.gha.InWorkflow() {
		var l diag.List
		if errors.As(err, &l) {
			_ = e.gha.ReportAll(l)
		} else {
			_ = e.gha.Error(diag.Diagnostic{Message: err.Error()})
		}
	}
	return code
}

func (e *env) results(args []string) int {
	var o aggregate.Options
	p := cliargs.New("collect results", "Gather every processed result under DIR (recursively, in path order) into agg_PREFIX.json.")
	p.Positional(&o.Dir, "DIR", "directory with the processed results (the downloaded artifacts)")
	p.Positional(&o.Prefix, "PREFIX", "name of the aggregate: agg_PREFIX.json")
	p.String(&o.OutDir, "--output-dir", "directory to write the aggregate to", cliargs.DefaultHelp("."), cliargs.Metavar("DIR"))
	p.Bool(&o.Strict, "--strict", "stop, writing nothing, when a file is not a valid processed result or two results are for one configuration")
	if code, ok := e.parse(p, args); !ok {
		return code
	}
	v, err := schemas.New()
	if err != nil {
		return e.fail(exitFailure, err)
	}
	rep, err := aggregate.Collect(v, o, e.write)
	if rep != nil {
		e.problems(rep.Problems, o.Strict)
		for _, group := range rep.Duplicates {
			var paths []string
			for _, r := range group {
				paths = append(paths, r.Path)
			}
			msg := fmt.Sprintf("%d results for one configuration (%s): %s", len(group), group[0].Label(), strings.Join(paths, ", "))
			fmt.Fprintf(e.stderr, "collect: %s\n", msg)
			if e.gha.InWorkflow() {
				_ = e.gha.Warning(diag.Diagnostic{File: paths[0], Message: msg})
			}
		}
	}
	if err != nil {
		if aggregate.IsStrict(err) {
			return e.fail(exitInvalid, err)
		}
		return e.fail(exitFailure, err)
	}
	fmt.Fprintf(e.stderr, "collect: wrote %s: %d results", rep.OutPath, len(rep.Results))
	if n := len(rep.Problems); n > 0 {
		fmt.Fprintf(e.stderr, "; left out %d invalid file(s)", n)
	}
	if n := len(rep.Duplicates); n > 0 {
		fmt.Fprintf(e.stderr, "; %d configuration(s) with more than one result", n)
	}
	fmt.Fprintln(e.stderr)
	if e.gha.InWorkflow() && e.getenv("GITHUB_OUTPUT") != "" {
		if err := e.gha.SetOutput("results-file", rep.OutPath); err != nil {
			return e.fail(exitFailure, err)
		}
		if err := e.gha.SetOutput("results-count", strconv.Itoa(len(rep.Results))); err != nil {
			return e.fail(exitFailure, err)
		}
	}
	return exitOK
}

func (e *env) evals(args []string) int {
	var o evals.Options
	var sortBy, thresholdsPath, modelPrefix, metricPrefix, expected string
	minScore := 0.85
	p := cliargs.New("collect evals", "Gather the lm-eval-harness outputs under DIR (one folder per eval job with meta_env.json and results*.json, or one job's files directly in DIR) into agg_eval_PREFIX.json, and print them as a Markdown table. With --thresholds, also hold every job to its minimum scores (the accuracy gate): print the gate's table and exit 1 when a job fails it.")
	p.Positional(&o.Dir, "DIR", "directory with the eval artifacts")
	p.Positional(&o.Prefix, "PREFIX", "name of the aggregate: agg_eval_PREFIX.json")
	p.OptionalPositional(&sortBy, "SORT_BY", "order of today's tables: model_prefix (default) or hw")
	p.String(&o.OutDir, "--output-dir", "directory to write the aggregate to", cliargs.DefaultHelp("."), cliargs.Metavar("DIR"))
	p.Bool(&o.Strict, "--strict", "stop, writing nothing, when an eval file cannot be read or a job folder has no results")
	p.String(&thresholdsPath, "--thresholds", "gate the scores against this thresholds file (configs/eval-thresholds.yaml)", cliargs.Metavar("FILE"))
	p.Float(&minScore, "--min-score", "with --thresholds: the minimum for a task no threshold names", cliargs.DefaultHelp("0.85"))
	p.String(&modelPrefix, "--model-prefix", "with --thresholds: look thresholds up for this model prefix instead of each job's (meta_env.json, else $MODEL_PREFIX)", cliargs.Metavar("PREFIX"))
	p.String(&metricPrefix, "--metric-prefix", "with --thresholds: check the metrics whose name starts with this", cliargs.DefaultHelp("exact_match,"))
	p.String(&expected, "--expected-concs", "with --thresholds: the concurrencies the workflow asked the eval for, space-separated (\"16 64\")", cliargs.Metavar("CONCS"))
	if code, ok := e.parse(p, args); !ok {
		return code
	}
	switch evals.SortBy(sortBy) {
	case "", evals.SortByModelPrefix, evals.SortByHardware:
		o.SortBy = evals.SortBy(sortBy)
	default:
		fmt.Fprintln(e.stderr, p.Usage())
		fmt.Fprintf(e.stderr, "collect evals: error: SORT_BY: expected model_prefix or hw, got %q\n", sortBy)
		return exitInvalid
	}
	if thresholdsPath == "" {
		for _, f := range []string{"--min-score", "--model-prefix", "--metric-prefix", "--expected-concs"} {
			if p.Seen(f) {
				fmt.Fprintf(e.stderr, "collect evals: error: %s needs --thresholds\n", f)
				return exitInvalid
			}
		}
	}
	v, err := schemas.New()
	if err != nil {
		return e.fail(exitFailure, err)
	}
	var gate *evals.GateOptions
	if thresholdsPath != "" {
		if math.IsNaN(minScore) || minScore < 0 || minScore > 1 {
			fmt.Fprintf(e.stderr, "collect evals: error: --min-score: expected a fraction from 0 to 1, got %v\n", minScore)
			return exitInvalid
		}
		t, err := evals.LoadThresholds(v, thresholdsPath)
		if err != nil {
			return e.fail(exitInvalid, err)
		}
		gate = &evals.GateOptions{Thresholds: t, MinScore: evals.MinOf(minScore),
			ModelPrefix: modelPrefix, EnvPrefix: e.getenv("MODEL_PREFIX"), MetricPrefix: metricPrefix}
		if gate.MetricPrefix == "" {
			gate.MetricPrefix = "exact_match,"
		}
		if p.Seen("--expected-concs") {
			if gate.ExpectedConcs, err = evals.ParseExpectedConcs(expected); err != nil {
				fmt.Fprintf(e.stderr, "collect evals: error: --expected-concs: %v\n", err)
				return exitInvalid
			}
		}
	}
	rep, err := evals.Collect(v, o, e.write)
	if rep != nil {
		e.problems(rep.Problems, o.Strict)
	}
	if err != nil {
		var se *evals.StrictError
		if errors.As(err, &se) {
			return e.fail(exitInvalid, err)
		}
		return e.fail(exitFailure, err)
	}
	fmt.Fprintf(e.stderr, "collect: wrote %s: %d rows from %d eval job folder(s)\n", rep.OutPath, len(rep.Rows), rep.Sets)
	if gate != nil {
		return e.evalGate(o.Dir, *gate)
	}
	if _, err := fmt.Fprintln(e.stdout, rep.Markdown); err != nil {
		return e.fail(exitFailure, err)
	}
	// The original workflow wrote this heading before the table itself.
	if err := results.StepSummary(e.gha, e.getenv, e.stdout, "## Eval Summary\n\n"+rep.Markdown+"\n"); err != nil {
		return e.fail(exitFailure, err)
	}
	return exitOK
}

// evalGate holds every eval job under dir to its thresholds: the table on
// stdout and in the job summary, an annotation per failing job, exit 1 when
// one fails.
func (e *env) evalGate(dir string, o evals.GateOptions) int {
	g, err := evals.Gate(dir, o)
	if err != nil {
		return e.fail(exitFailure, err)
	}
	md := g.Markdown(o.Thresholds.File)
	if _, err := fmt.Fprint(e.stdout, md); err != nil {
		return e.fail(exitFailure, err)
	}
	if err := results.StepSummary(e.gha, e.getenv, e.stdout, md); err != nil {
		return e.fail(exitFailure, err)
	}
	for _, j := range g.Jobs {
		// The job log gets validate_scores.py's lines, one per check.
		prefix := j.Prefix
		if prefix == "" {
			prefix = "<unknown>"
		}
		fmt.Fprintf(e.stderr, "collect: %s: model prefix %s\n", j.Dir, prefix)
		for _, m := range j.ManifestErrors {
			fmt.Fprintf(e.stderr, "FAIL: %s\n", m)
		}
		for _, c := range j.Checks {
			fmt.Fprintln(e.stderr, c.UpstreamLine())
		}
		if !j.Failed() {
			continue
		}
		var why []string
		why = append(why, j.ManifestErrors...)
		for _, c := range j.Checks {
			if !c.Passed {
				why = append(why, c.UpstreamLine())
			}
		}
		for _, p := range j.Problems {
			why = append(why, p.String())
		}
		if len(j.Checks) == 0 && len(j.Problems) == 0 && len(j.ManifestErrors) == 0 {
			why = append(why, fmt.Sprintf("no metric named %s... to check", o.MetricPrefix))
		}
		msg := fmt.Sprintf("eval gate failed: %s", strings.Join(why, "; "))
		fmt.Fprintf(e.stderr, "collect: %s: %s\n", j.Dir, msg)
		if e.gha.InWorkflow() {
			_ = e.gha.Error(diag.Diagnostic{File: filepath.Join(j.Dir, evals.MetaFile), Message: msg})
		}
	}
	if n := g.Failed(); n > 0 {
		fmt.Fprintf(e.stderr, "collect: %d of %d eval job(s) failed the gate\n", n, len(g.Jobs))
		return exitFailure
	}
	if len(g.Jobs) == 0 {
		fmt.Fprintf(e.stderr, "collect: no eval job under %s to gate\n", dir)
		return exitFailure
	}
	fmt.Fprintf(e.stderr, "collect: %d eval job(s) passed the gate\n", len(g.Jobs))
	return exitOK
}

func (e *env) successRate(args []string) int {
	var name, runners string
	maxWait := 5 * time.Minute
	p := cliargs.New("collect success-rate", "Count, per GPU SKU of runners.yaml, how many jobs of this workflow run (all attempts) succeeded; write NAME.json and print the table. Reads GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_RUN_ID (and GITHUB_API_URL when set).")
	p.Positional(&name, "NAME", "name of the stats file: NAME.json")
	runners = "configs/runners.yaml"
	p.String(&runners, "--runner-config", "runner pool file whose runner types name the GPU SKUs", cliargs.DefaultHelp("configs/runners.yaml"), cliargs.Metavar("FILE"))
	p.Func("--max-wait", "longest wait for a GitHub API rate limit to reset before giving up", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return fmt.Errorf("expected a duration such as 90s or 5m, got %q", s)
		}
		maxWait = d
		return nil
	}, cliargs.DefaultHelp("5m"), cliargs.Metavar("DURATION"))
	if code, ok := e.parse(p, args); !ok {
		return code
	}

	var missing []string
	for _, k := range []string{"GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"} {
		if e.getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return e.fail(exitInvalid, fmt.Errorf("missing required environment variables: %s", strings.Join(missing, ", ")))
	}
	owner, repo, ok := strings.Cut(e.getenv("GITHUB_REPOSITORY"), "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return e.fail(exitInvalid, fmt.Errorf("GITHUB_REPOSITORY: expected OWNER/REPO, got %q", e.getenv("GITHUB_REPOSITORY")))
	}
	runID, err := strconv.ParseInt(e.getenv("GITHUB_RUN_ID"), 10, 64)
	if err != nil || runID <= 0 {
		return e.fail(exitInvalid, fmt.Errorf("GITHUB_RUN_ID: expected a positive integer, got %q", e.getenv("GITHUB_RUN_ID")))
	}

	v, err := schemas.New()
	if err != nil {
		return e.fail(exitFailure, err)
	}
	pool, err := config.LoadRunners(v, runners)
	if err != nil {
		return e.fail(exitInvalid, err)
	}
	skus := successrate.SKUs(pool.Types)

	client, err := successrate.NewClient(e.getenv("GITHUB_API_URL"), e.getenv("GITHUB_TOKEN"))
	if err != nil {
		return e.fail(exitInvalid, err)
	}
	client.MaxWait = maxWait
	client.Log = func(format string, args ...any) { fmt.Fprintf(e.stderr, "collect: "+format+"\n", args...) }
	_, jobs, err := client.Jobs(e.ctx, owner, repo, runID)
	if err != nil {
		return e.fail(exitFailure, err)
	}
	stats := successrate.Count(skus, jobs)
	data, err := stats.JSON()
	if err != nil {
		return e.fail(exitFailure, err)
	}
	if err := v.ValidateJSON(schemas.RunStats, data); err != nil {
		return e.fail(exitFailure, fmt.Errorf("the stats do not match their schema: %w", err))
	}
	out := name + ".json"
	if err := e.write(out, data); err != nil {
		return e.fail(exitFailure, fmt.Errorf("writing %s: %w", out, err))
	}
	if _, err := fmt.Fprint(e.stdout, stats.Table()); err != nil {
		return e.fail(exitFailure, err)
	}
	if err := results.StepSummary(e.gha, e.getenv, e.stdout, stats.Markdown()); err != nil {
		return e.fail(exitFailure, err)
	}
	fmt.Fprintf(e.stderr, "collect: wrote %s\n", out)
	return exitOK
}
