// Command summarize turns a sweep's processed results into what people
// read: the original utils/summarize.py's Markdown tables (stdout, and the
// job summary in a workflow), optionally a self-contained HTML report with
// throughput-versus-interactivity charts, and optionally a regression check
// against an earlier aggregate.
//
//	summarize results/
//	summarize results/ --html report.html
//	summarize results/ --baseline agg_bmk.json --threshold 5%
//	summarize results/ --baseline baseline.json --compare   # a pull request against main
//
// Exit status: 0 success, 1 failure or (with --baseline) a regression, 2 bad
// command line or input. See docs/summarize.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/ghaction"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/summarize/baseline"
	"github.com/inferencex/inferencex-go/tools/summarize/report"
)

const (
	exitOK      = 0
	exitFailure = 1
	exitInvalid = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	var dir, htmlOut, baselinePath, title string
	var compare bool
	threshold := 0.05
	p := cliargs.New("summarize", "Summarize the processed results under DIR: Markdown tables on stdout (and the job summary in a workflow), optionally an HTML report and a regression check against an earlier aggregate.")
	p.Positional(&dir, "DIR", "directory with the processed results (searched recursively)")
	p.String(&htmlOut, "--html", "also write a self-contained HTML report with charts to FILE", cliargs.Metavar("FILE"))
	p.String(&title, "--title", "title of the HTML report", cliargs.DefaultHelp("InferenceX benchmark results"))
	p.String(&baselinePath, "--baseline", "compare with this aggregate (agg_PREFIX.json of an earlier run); exit 1 when a configuration regressed", cliargs.Metavar("FILE"))
	p.Func("--threshold", "how much worse throughput per GPU or median TPOT may get before it counts as a regression", func(s string) error {
		t, err := baseline.ParseThreshold(s)
		threshold = t
		return err
	}, cliargs.DefaultHelp("5%"), cliargs.Metavar("PERCENT"))
	p.Bool(&compare, "--compare", "with --baseline (collect baseline's, newest first): instead of the tables, each result next to its baseline "+
		"with the changes of throughput per GPU, TTFT, interactivity and E2EL (upstream's compare_results.py), then the regression check")
	if err := p.Parse(args, stdout); err != nil {
		if errors.Is(err, cliargs.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, err)
		return exitInvalid
	}
	if p.Seen("--threshold") && baselinePath == "" {
		fmt.Fprintln(stderr, "summarize: error: --threshold needs --baseline")
		return exitInvalid
	}
	if compare && baselinePath == "" {
		fmt.Fprintln(stderr, "summarize: error: --compare needs --baseline")
		return exitInvalid
	}
	gha := ghaction.New(getenv, stderr)
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "summarize: %v\n", err)
		if gha.InWorkflow() {
			var l diag.List
			if errors.As(err, &l) {
				_ = gha.ReportAll(l)
			} else {
				_ = gha.Error(diag.Diagnostic{Message: err.Error()})
			}
		}
		return code
	}

	v, err := schemas.New()
	if err != nil {
		return fail(exitFailure, err)
	}
	// An agentic result (resultproc agentic's aggregate) has is_multinode
	// too, but its own shape: it is read apart.
	fixed := func(doc any) bool { return results.IsProcessedCandidate(doc) && !report.IsAgentic(doc) }
	found, problems, skipped, err := results.LoadDir(v, dir, fixed)
	if err != nil {
		return fail(exitFailure, err)
	}
	agentic, agenticProblems, err := report.LoadAgentic(dir)
	if err != nil {
		return fail(exitFailure, err)
	}
	problems = append(problems, agenticProblems...)
	skipped -= len(agentic) + len(agenticProblems)
	for _, pr := range problems {
		for _, d := range pr.Diagnostics() {
			fmt.Fprintf(stderr, "summarize: left out %s\n", d)
			if gha.InWorkflow() {
				_ = gha.Warning(d)
			}
		}
	}
	if skipped > 0 {
		fmt.Fprintf(stderr, "summarize: %d JSON file(s) under %s are not processed results (no is_multinode key); not shown\n", skipped, dir)
	}
	for _, g := range results.Duplicates(found) {
		fmt.Fprintf(stderr, "summarize: %d results for one configuration (%s); all are shown\n", len(g), g[0].Label())
	}
	if len(found)+len(agentic) == 0 {
		return fail(exitFailure, fmt.Errorf("%s: %w", dir, results.ErrNoResults))
	}

	md := report.Markdown(found)
	if a := report.AgenticMarkdown(agentic); a != "" {
		if md != "" {
			md += "\n"
		}
		md += a
	}
	var cmp *baseline.Comparison
	if compare {
		base, err := results.ReadAggregate(v, baselinePath)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				return fail(exitFailure, fmt.Errorf("baseline: %w", err))
			}
			return fail(exitInvalid, fmt.Errorf("baseline: %w", err))
		}
		base = fixedBaseline(stderr, base)
		fmt.Fprintf(stderr, "summarize: %d benchmark results, %d baseline results\n", len(found), len(base))
		pairs := results.PairWithBaseline(found, base)
		cmp = baseline.ComparePairs(base, pairs, threshold)
		md = baseline.CompareTables(pairs) + "\n" + cmp.Markdown(filepath.Base(baselinePath)) + baseline.RecipeNotes(pairs)
	} else if baselinePath != "" {
		base, err := results.ReadAggregate(v, baselinePath)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				return fail(exitFailure, fmt.Errorf("baseline: %w", err))
			}
			return fail(exitInvalid, fmt.Errorf("baseline: %w", err))
		}
		base = fixedBaseline(stderr, base)
		single, multi := report.Split(found)
		cmp, err = baseline.Compare(base, append(single, multi...), threshold)
		if err != nil {
			return fail(exitInvalid, err)
		}
		md += "\n" + cmp.Markdown(filepath.Base(baselinePath))
	}

	if _, err := io.WriteString(stdout, md); err != nil {
		return fail(exitFailure, err)
	}
	if err := results.StepSummary(gha, getenv, stdout, md); err != nil {
		return fail(exitFailure, err)
	}
	if htmlOut != "" {
		page := report.HTML(found, report.HTMLOptions{Title: title, Source: dir, Comparison: cmp, BaselineName: filepath.Base(baselinePath), Agentic: agentic})
		if err := atomicfile.Write(htmlOut, page, 0o644); err != nil {
			return fail(exitFailure, fmt.Errorf("writing the HTML report: %w", err))
		}
		fmt.Fprintf(stderr, "summarize: wrote %s\n", htmlOut)
	}
	if cmp != nil && cmp.Regressions() > 0 {
		msg := fmt.Sprintf("%d configuration(s) regressed by more than the threshold against %s", cmp.Regressions(), baselinePath)
		for _, m := range cmp.Matches {
			if m.Regressed {
				fmt.Fprintf(stderr, "summarize: regressed: %s: %v\n", m.Cur.Label(), m.Why)
				if gha.InWorkflow() {
					_ = gha.Error(diag.Diagnostic{File: m.Cur.Path, Message: fmt.Sprintf("regressed against the baseline: %s: %v", m.Cur.Label(), m.Why)})
				}
			}
		}
		fmt.Fprintf(stderr, "summarize: %s\n", msg)
		return exitFailure
	}
	return exitOK
}

// fixedBaseline drops a baseline aggregate's agentic rows (collect puts
// them beside the fixed-seq-len ones, as upstream's collect_results.py
// does): the regression check and the comparison with main are of
// throughput at a sequence length, which an agentic result does not have.
func fixedBaseline(stderr io.Writer, base []*results.Processed) []*results.Processed {
	fixed, agentic := results.FixedSeqLen(base)
	if agentic > 0 {
		fmt.Fprintf(stderr, "summarize: %d agentic result(s) in the baseline not compared (fixed-seq-len results only)\n", agentic)
	}
	return fixed
}
