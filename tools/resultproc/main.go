// Command resultproc turns the raw result of one benchmark job into its
// processed result. It replaces the original utils/process_result.py: it
// reads the job from the environment (RUNNER_TYPE, FRAMEWORK, PRECISION,
// SPEC_DECODING, RESULT_FILENAME, ISL, OSL, DISAGG, MODEL_PREFIX, IMAGE, then
// TP, EP_SIZE, DP_ATTENTION, or with IS_MULTINODE=true the PREFILL_* and
// DECODE_* set), reads <RESULT_FILENAME>.json, prints the processed result
// and writes it to agg_<RESULT_FILENAME>.json. A job of today's workflows
// (RECIPE_FINGERPRINT, PP_SIZE, ... set) gets upstream main's fields, any
// other the Feb-2026 ones; both get the power fields of upstream main
// (package energy) and their sidecar when the job measured GPU power.
// `resultproc power`, `power-multinode`, `power-nodes` and `power-agentic`
// run that step alone (powercmd.go).
//
// Exit status: 0 done, 1 the raw result could not be read or the output
// written, 2 a bad command line, environment or raw result.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/ghaction"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/resultproc/process"
)

func main() {
	os.Exit(run(os.Args[1:], ".", os.Stdout, os.Stderr, os.LookupEnv))
}

func run(args []string, dir string, stdout, stderr io.Writer, lookup process.Lookup) int {
	if len(args) > 0 {
		if sub, ok := powerCommands[args[0]]; ok {
			return sub(args[1:], dir, stdout, stderr, lookup)
		}
	}
	p := cliargs.New("resultproc", "Turn one raw benchmark result (<RESULT_FILENAME>.json) and the job's environment into its processed result (agg_<RESULT_FILENAME>.json).")
	p.Epilog = "Environment: RUNNER_TYPE FRAMEWORK PRECISION SPEC_DECODING RESULT_FILENAME ISL OSL DISAGG MODEL_PREFIX IMAGE, " +
		"then TP EP_SIZE DP_ATTENTION, or with IS_MULTINODE=true PREFILL_GPUS DECODE_GPUS PREFILL_NUM_WORKERS PREFILL_TP " +
		"PREFILL_EP PREFILL_DP_ATTN DECODE_NUM_WORKERS DECODE_TP DECODE_EP DECODE_DP_ATTN. " +
		"Today's jobs (any of " + strings.Join(process.TodayVars, " ") + " set, even empty) get upstream main's output: " +
		"recipe_fingerprint, router, kv_p2p_transfer, PP/DCP/PCP sizes, prefill_hw/decode_hw, aggregated multi-node (DECODE_GPUS=0); " +
		"other jobs get the Feb-2026 output."
	if err := p.Parse(args, stdout); err != nil {
		if errors.Is(err, cliargs.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	getenv := func(k string) string { v, _ := lookup(k); return v }
	gha := ghaction.New(getenv, stderr)

	v, err := schemas.New()
	if err != nil {
		fmt.Fprintf(stderr, "resultproc: %v\n", err)
		return 1
	}
	powerStatus := 0
	res, err := process.RunWith(v, dir, lookup, func(path string, data []byte) error {
		return atomicfile.Write(path, data, 0o644)
	}, powerStep(dir, v, stdout, stderr, lookup, &powerStatus))
	if err != nil {
		fmt.Fprintf(stderr, "resultproc: %v\n", err)
		if gha.InWorkflow() {
			annotate(gha, err)
		}
		var ie *process.InputError
		if errors.As(err, &ie) {
			return 2
		}
		return 1
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", res.Document); err != nil {
		fmt.Fprintf(stderr, "resultproc: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "resultproc: wrote %s\n", res.Job.OutPath())
	return powerStatus
}

// annotate shows the failure on the workflow run's summary page.
func annotate(gha *ghaction.Action, err error) {
	var l diag.List
	if errors.As(err, &l) {
		_ = gha.ReportAll(l)
		return
	}
	_ = gha.Error(diag.Diagnostic{Message: err.Error()})
}
