package main

import (
	"fmt"
	"io"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/resultproc/agentic"
	"github.com/inferencex/inferencex-go/tools/resultproc/process"
)

// agenticCmd is `resultproc agentic`, upstream's
// utils/agentic/aggregation/process_agentic_result.py: everything comes
// from the environment, as the benchmark scripts call it.
func agenticCmd(args []string, dir string, stdout, stderr io.Writer, lookup process.Lookup) int {
	p := cliargs.New("resultproc agentic", "Aggregate one agentic-coding replay's AIPerf artifacts "+
		"($RESULT_DIR/aiperf_artifacts) and the job's environment into $AGENTIC_OUTPUT_DIR/$RESULT_FILENAME.json "+
		"(upstream's process_agentic_result.py).")
	p.Epilog = "Environment: RESULT_FILENAME (required), RESULT_DIR (results), AGENTIC_OUTPUT_DIR (.), KV_OFFLOADING (required), " +
		"KV_OFFLOAD_BACKEND, KV_OFFLOAD_BACKEND_METADATA, RUNNER_TYPE, CONC, IMAGE, RECIPE_FINGERPRINT, MODEL, MODEL_PREFIX, " +
		"FRAMEWORK, PRECISION, SPEC_DECODING, DISAGG, IS_MULTINODE, TP, EP_SIZE, DP_ATTENTION, PP_SIZE, DCP_SIZE, PCP_SIZE, " +
		"the PREFILL_*/DECODE_* set of multi-node jobs, TOTAL_CPU_DRAM_GB, ROUTER_METADATA, KV_P2P_TRANSFER, and " +
		"HF_HUB_CACHE/HUGGINGFACE_HUB_CACHE/HF_HOME for the traces' expected output lengths. See docs/resultproc.md."
	if code, done := parse(p, args, stdout, stderr); done {
		return code
	}
	if dir == "." {
		dir = ""
	}
	v, err := schemas.New()
	if err != nil {
		fmt.Fprintf(stderr, "resultproc agentic: %v\n", err)
		return 1
	}
	return agentic.Run(agentic.Options{Lookup: agentic.Lookup(lookup), Dir: dir, Stdout: stdout, Stderr: stderr,
		Validate: func(data []byte) error { return v.ValidateJSON(schemas.AgenticResult, data) }})
}
