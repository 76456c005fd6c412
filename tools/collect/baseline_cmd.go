package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/collect/baseline"
	"github.com/inferencex/inferencex-go/tools/collect/ghapi"
)

// baseline finds main's results of the configurations under DIR and
// writes them as an aggregate, for summarize --baseline --compare.
func (e *env) baseline(args []string) int {
	o := baseline.Defaults()
	var dir, out string
	maxWait := 5 * time.Minute
	p := cliargs.New("collect baseline", "Find, for each processed result under DIR (a pull request's sweep), the newest result of the same configuration "+
		"(of the same recipe fingerprint where there is one) in the artifacts of the sweep workflow's successful runs on the branch, newest run first, "+
		"and write them as one aggregate for summarize --baseline --compare. Reads GITHUB_TOKEN and GITHUB_REPOSITORY (and GITHUB_API_URL when set).")
	p.Positional(&dir, "DIR", "directory with this sweep's processed results")
	out = "baseline.json"
	p.String(&out, "--output", "the baseline aggregate to write", cliargs.DefaultHelp("baseline.json"), cliargs.Metavar("FILE"))
	p.String(&o.Workflow, "--workflow", "the sweep workflow's file name", cliargs.DefaultHelp(o.Workflow), cliargs.Metavar("FILE"))
	p.String(&o.Branch, "--branch", "the branch whose runs are the baseline", cliargs.DefaultHelp(o.Branch))
	p.String(&o.Artifact, "--artifact", "the artifact holding a run's aggregate", cliargs.DefaultHelp(o.Artifact), cliargs.Metavar("NAME"))
	p.Int(&o.MaxRuns, "--max-runs", "successful runs to read at most", cliargs.DefaultHelp(strconv.Itoa(o.MaxRuns)))
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
	if o.MaxRuns < 1 {
		return e.fail(exitInvalid, fmt.Errorf("--max-runs: expected at least 1, got %d", o.MaxRuns))
	}
	var missing []string
	for _, k := range []string{"GITHUB_TOKEN", "GITHUB_REPOSITORY"} {
		if e.getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return e.fail(exitInvalid, fmt.Errorf("missing required environment variables: %s", strings.Join(missing, ", ")))
	}
	var ok bool
	if o.Owner, o.Repo, ok = strings.Cut(e.getenv("GITHUB_REPOSITORY"), "/"); !ok || o.Owner == "" || o.Repo == "" || strings.Contains(o.Repo, "/") {
		return e.fail(exitInvalid, fmt.Errorf("GITHUB_REPOSITORY: expected OWNER/REPO, got %q", e.getenv("GITHUB_REPOSITORY")))
	}

	v, err := schemas.New()
	if err != nil {
		return e.fail(exitFailure, err)
	}
	current, problems, _, err := results.LoadDir(v, dir, results.IsProcessedCandidate)
	if err != nil {
		return e.fail(exitFailure, err)
	}
	e.problems(problems, false)
	current, agentic := results.FixedSeqLen(current)
	if agentic > 0 {
		// summarize compares throughput at a sequence length; an agentic
		// result has none, and main's agentic rows are not looked for.
		fmt.Fprintf(e.stderr, "collect: %d agentic result(s) under %s left out: the comparison with main is of fixed-seq-len results\n", agentic, dir)
	}
	if len(current) == 0 && agentic > 0 {
		// An agentic-only sweep has nothing to compare: an empty baseline,
		// which summarize --compare reads as "main has none".
		if err := e.write(out, []byte("[]")); err != nil {
			return e.fail(exitFailure, fmt.Errorf("writing %s: %w", out, err))
		}
		fmt.Fprintf(e.stderr, "collect: wrote %s: no fixed-seq-len result to find a baseline for\n", out)
		return exitOK
	}
	if len(current) == 0 {
		return e.fail(exitFailure, fmt.Errorf("%s: %w: nothing to find a baseline for", dir, results.ErrNoResults))
	}
	client, err := ghapi.NewClient(e.getenv("GITHUB_API_URL"), e.getenv("GITHUB_TOKEN"))
	if err != nil {
		return e.fail(exitInvalid, err)
	}
	client.MaxWait = maxWait
	client.Log = func(format string, args ...any) { fmt.Fprintf(e.stderr, "collect: "+format+"\n", args...) }
	found, err := baseline.Find(e.ctx, client, v, o, current)
	if err != nil {
		return e.fail(exitFailure, err)
	}
	list := make([]any, len(found.Baseline))
	for i, r := range found.Baseline {
		list[i] = r.Doc
	}
	data, err := results.MarshalIndent(list)
	if err != nil {
		return e.fail(exitFailure, err)
	}
	if err := v.ValidateJSON(schemas.ProcessedResults, data); err != nil {
		return e.fail(exitFailure, fmt.Errorf("the baseline does not match its schema: %w", err))
	}
	if err := e.write(out, data); err != nil {
		return e.fail(exitFailure, fmt.Errorf("writing %s: %w", out, err))
	}
	if err := results.StepSummary(e.gha, e.getenv, e.stdout, found.Markdown(len(current), o)); err != nil {
		return e.fail(exitFailure, err)
	}
	fmt.Fprintf(e.stderr, "collect: wrote %s: baselines for %d of %d result(s) from %d run(s) read\n", out, found.Matched, len(current), len(found.Runs))
	return exitOK
}
