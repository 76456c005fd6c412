// Command e2e runs the benchmark workflow on this machine: the matrix that
// matrixgen prints for its arguments, each entry through the benchmark
// template's steps (on the simulated runner: no GPU needed), eval-only
// jobs through the accuracy gate, then collect and summarize. `make demo`
// runs it on demo/.
//
//	e2e [-out DIR] [-env KEY=VALUE]... [-evals N] MATRIXGEN-ARGUMENTS...
//
// It prints the summary table, the eval table and the gate's, and where the
// aggregates and the HTML report are; progress goes to stderr. Exit status:
// 0 done, 1 a job or a tool failed (a score below its threshold too), 2 a
// bad command line.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/tools/e2e/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const simulated = "SIMULATED: these results come from loadgen's simulated server (runner \"sim\") and their energy from gpumon's fake GPUs; they measure no hardware."

type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, ",") }
func (e *envFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("expected KEY=VALUE, got %q", v)
	}
	*e = append(*e, v)
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "demo-out", "output directory (jobs/, results/, agg_bmk.json, report.html)")
	root := fs.String("root", ".", "repository root")
	timeout := fs.Duration("job-timeout", 10*time.Minute, "longest a job may run")
	evals := fs.Int("evals", 0, "also run an eval-only job for each of the first N configurations, at its highest concurrency")
	var env envFlag
	fs.Var(&env, "env", "KEY=VALUE for every job's environment (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: e2e [-out DIR] [-env KEY=VALUE]... [-evals N] MATRIXGEN-ARGUMENTS...")
		fmt.Fprintln(stderr, "Runs the benchmark workflow locally for the single-node matrix matrixgen prints.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 || *evals < 0 {
		fs.Usage()
		return 2
	}
	start := time.Now()
	res, err := pipeline.Run(ctx, pipeline.Options{
		Root: *root, Out: *out, MatrixArgs: fs.Args(), Env: env, JobTimeout: *timeout, Log: stderr, EvalJobs: *evals,
	})
	if err != nil {
		fmt.Fprintln(stderr, "e2e:", err)
		return 1
	}
	if res.Simulated() {
		fmt.Fprintln(stdout, simulated)
	}
	fmt.Fprint(stdout, res.Summary)
	if res.EvalSummary != "" {
		fmt.Fprintf(stdout, "\n%s\n%s", res.EvalSummary, res.Gate)
	}
	if res.Simulated() {
		fmt.Fprintln(stdout, simulated)
	}
	fmt.Fprintf(stdout, "\n%d jobs in %.0fs.", len(res.Jobs), time.Since(start).Seconds())
	if res.Aggregate != "" {
		fmt.Fprintf(stdout, " Aggregate: %s\nHTML report: %s", res.Aggregate, res.Report)
	}
	if res.EvalAggregate != "" {
		fmt.Fprintf(stdout, "\nEval aggregate: %s", res.EvalAggregate)
	}
	fmt.Fprintln(stdout)
	return 0
}
