package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/tools/resultproc/agenticvalid"
	"github.com/inferencex/inferencex-go/tools/resultproc/process"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// validateAgentic is upstream's
// `python3 -m utils.agentic.validation.validate_agentic_result ARTIFACT_DIR
// --failed-request-threshold X`: same arguments, messages and exit status
// (0 valid, 1 not, 2 bad command line). When the run fails the gate it
// also prints, after upstream's ERROR line, the failed requests of
// profile_export.jsonl by kind with the first message of each.
func validateAgentic(args []string, dir string, stdout, stderr io.Writer, _ process.Lookup) int {
	var artifactDir string
	threshold := math.NaN()
	p := cliargs.New("resultproc validate-agentic", "Fail an agentic run whose AIPerf error rate (error_request_count / completed_request_count in profile_export_aiperf.json) is above the threshold (upstream's validate_agentic_result.py).")
	p.Positional(&artifactDir, "artifact_dir", "the aiperf_artifacts directory (profile_export_aiperf.json directly in it or in a per-run subdirectory)")
	p.Func("--failed-request-threshold", "maximum accepted error fraction, inclusive", func(s string) error {
		f, ok := pynum.Float(s)
		if !ok {
			return fmt.Errorf("invalid float value: '%s'", s)
		}
		threshold = f
		return nil
	}, cliargs.Required())
	if code, done := parse(p, args, stdout, stderr); done {
		return code
	}
	if !(threshold >= 0 && threshold <= 1) {
		fmt.Fprintf(stderr, "%s\n%s: error: --failed-request-threshold must be between 0 and 1\n", p.Usage(), p.Prog)
		return 2
	}
	if dir != "." && dir != "" && !isAbs(artifactDir) {
		artifactDir = dir + "/" + artifactDir
	}
	r := agenticvalid.Validate(artifactDir, threshold)
	if len(r.Errors) == 0 {
		if _, err := fmt.Fprintln(stdout, r.OK); err != nil {
			fmt.Fprintf(stderr, "resultproc validate-agentic: %v\n", err)
			return 1
		}
		return 0
	}
	for _, e := range r.Errors {
		fmt.Fprintf(stderr, "ERROR: %s\n", e)
	}
	breakdown(r.AggregatePath, stderr)
	return 1
}

func isAbs(p string) bool { return len(p) > 0 && p[0] == '/' }

// breakdown prints the failed requests by kind, when the records are there.
func breakdown(aggregatePath string, stderr io.Writer) {
	records := aggregatePath[:len(aggregatePath)-len(agenticvalid.AggregateName)] + agenticvalid.RecordsName
	if !fileExists(records) {
		return
	}
	kinds, err := agenticvalid.Breakdown(records)
	if err != nil {
		fmt.Fprintf(stderr, "failed requests: cannot read them: %v\n", err)
		return
	}
	if len(kinds) == 0 {
		fmt.Fprintf(stderr, "failed requests: none in %s\n", records)
		return
	}
	fmt.Fprintf(stderr, "failed requests in %s, by kind:\n", records)
	for _, k := range kinds {
		fmt.Fprintf(stderr, "  %s: %d (%d in warmup); first at line %d: %s\n", k.Name, k.Count, k.Warmups, k.Line, agenticvalid.FirstLine(k.First))
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
