package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/resultproc/agentpower"
	"github.com/inferencex/inferencex-go/tools/resultproc/dcgmpower"
	"github.com/inferencex/inferencex-go/tools/resultproc/energy"
	"github.com/inferencex/inferencex-go/tools/resultproc/nodepower"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
	"github.com/inferencex/inferencex-go/tools/resultproc/process"
)

// The power subcommands are upstream's three power scripts as commands of
// their own, for workflows that call them directly: `resultproc power` is
// utils/aggregate_power.py, `resultproc power-multinode`
// utils/aggregate_power_multinode.py, `resultproc power-agentic`
// utils/agentic/aggregation/power_adapter.py (same flags, same
// environment, same files). `resultproc power-nodes` does the same for
// gpumon's per-node files.
var powerCommands = map[string]func(args []string, dir string, stdout, stderr io.Writer, lookup process.Lookup) int{
	"power":            powerSingle,
	"power-multinode":  powerMultinode,
	"power-nodes":      powerNodes,
	"power-agentic":    powerAgentic,
	"validate-agentic": validateAgentic,
	"agentic":          agenticCmd,
}

func powerIO(dir string, stdout, stderr io.Writer, prefix string) (power.IO, error) {
	v, err := schemas.New()
	if err != nil {
		return power.IO{}, err
	}
	return power.IO{Dir: dir, Stdout: stdout, Stderr: stderr, Prefix: prefix,
		Write:    func(p string, data []byte) error { return atomicfile.Write(p, data, 0o644) },
		Validate: func(doc any) error { return v.Validate(schemas.PowerValidation, doc) }}, nil
}

// parse parses a subcommand's flags; done is set when it should exit.
func parse(p *cliargs.Parser, args []string, stdout, stderr io.Writer) (code int, done bool) {
	if err := p.Parse(args, stdout); err != nil {
		if errors.Is(err, cliargs.ErrHelp) {
			return 0, true
		}
		fmt.Fprintln(stderr, err)
		return 2, true
	}
	return 0, false
}

func getenv(lookup process.Lookup, name, def string) string {
	if v, ok := lookup(name); ok && v != "" {
		return v
	}
	return def
}

func powerSingle(args []string, dir string, stdout, stderr io.Writer, lookup process.Lookup) int {
	a := power.SingleArgs{CSV: "/workspace/gpu_metrics.csv", RequirePower: energy.RequirePower(lookup), Opt: power.Options{Location: time.Local}}
	var expected int
	p := cliargs.New("resultproc power", "Validate and integrate single-node GPU power over the benchmark window; patch the power fields into the processed result and write the power validation sidecar (upstream's aggregate_power.py).")
	p.String(&a.CSV, "--csv", "the telemetry CSV: gpumon's, nvidia-smi's or amd-smi's", cliargs.DefaultHelp("/workspace/gpu_metrics.csv"))
	p.String(&a.BenchResult, "--bench-result", "the raw benchmark result (the window and token counts)", cliargs.Required())
	p.String(&a.AggResult, "--agg-result", "the processed result to patch in place", cliargs.Required())
	p.Int(&expected, "--expected-num-gpus", "the GPUs of the job: TP × PP × PCP", cliargs.Required())
	p.String(&a.ValidationResult, "--validation-result", "the sidecar", cliargs.DefaultHelp("power_validation_<bench-result stem>.json beside the bench result"))
	p.Bool(&a.RequirePower, "--require-power", "exit 1 when power is invalid (also REQUIRE_POWER=1)")
	if code, done := parse(p, args, stdout, stderr); done {
		return code
	}
	n := int64(expected)
	a.Expected = &n
	x, err := powerIO(dir, stdout, stderr, "[aggregate_power]")
	if err != nil {
		fmt.Fprintln(stderr, "resultproc power:", err)
		return 1
	}
	return power.RunSingle(a, x)
}

func powerMultinode(args []string, dir string, stdout, stderr io.Writer, lookup process.Lookup) int {
	a := dcgmpower.Args{PowerDir: getenv(lookup, "POWER_ARTIFACT_DIR", "LOGS/power"), LogsRoot: getenv(lookup, "POWER_RESULT_ROOT", "LOGS"),
		ExpectedSHA: getenv(lookup, "POWER_PRODUCER_SHA", ""), RequirePower: energy.RequirePower(lookup)}
	var prefill, decode int
	p := cliargs.New("resultproc power-multinode", "Validate an srt-slurm DCGM power package and patch whole-deployment and prefill/decode energy into the processed result (upstream's aggregate_power_multinode.py).")
	p.String(&a.PowerDir, "--power-dir", "the power package (manifest.json, samples.csv, windows/)", cliargs.DefaultHelp("POWER_ARTIFACT_DIR or LOGS/power"))
	p.String(&a.LogsRoot, "--logs-root", "where the windows' result_path values resolve", cliargs.DefaultHelp("POWER_RESULT_ROOT or LOGS"))
	p.String(&a.BenchResult, "--bench-result", "the raw benchmark result", cliargs.Required())
	p.String(&a.AggResult, "--agg-result", "the processed result to patch in place", cliargs.Required())
	p.Int(&prefill, "--prefill-gpus", "the workflow's PREFILL_GPUS", cliargs.Required())
	p.Int(&decode, "--decode-gpus", "the workflow's DECODE_GPUS", cliargs.Required())
	p.String(&a.ExpectedSHA, "--expected-producer-sha", "the srt-slurm commit the package must come from", cliargs.DefaultHelp("POWER_PRODUCER_SHA"))
	p.String(&a.ValidationResult, "--validation-result", "the sidecar", cliargs.DefaultHelp("power_validation_<bench-result stem>.json"))
	p.Bool(&a.RequirePower, "--require-power", "exit 1 when power is invalid (also REQUIRE_POWER=1)")
	if code, done := parse(p, args, stdout, stderr); done {
		return code
	}
	a.PrefillGPUs, a.DecodeGPUs = int64(prefill), int64(decode)
	x, err := powerIO(dir, stdout, stderr, "[aggregate_power_multinode]")
	if err != nil {
		fmt.Fprintln(stderr, "resultproc power-multinode:", err)
		return 1
	}
	return dcgmpower.Run(a, x)
}

func powerNodes(args []string, dir string, stdout, stderr io.Writer, lookup process.Lookup) int {
	var nodesDir, bench, agg, validation string
	var prefill, decode int
	require := energy.RequirePower(lookup)
	nodesDir = getenv(lookup, "GPU_METRICS_DIR", "gpu_metrics")
	p := cliargs.New("resultproc power-nodes", "Integrate gpumon's per-node telemetry (<role>_<hostname>.csv) over the benchmark window and patch whole-deployment and prefill/decode energy into the processed result.")
	p.String(&nodesDir, "--gpu-metrics-dir", "the node files", cliargs.DefaultHelp("GPU_METRICS_DIR or gpu_metrics"))
	p.String(&bench, "--bench-result", "the raw benchmark result", cliargs.Required())
	p.String(&agg, "--agg-result", "the processed result to patch in place", cliargs.Required())
	p.Int(&prefill, "--prefill-gpus", "the workflow's PREFILL_GPUS", cliargs.Required())
	p.Int(&decode, "--decode-gpus", "the workflow's DECODE_GPUS", cliargs.Required())
	p.String(&validation, "--validation-result", "the sidecar", cliargs.DefaultHelp("power_validation_<bench-result stem>.json"))
	p.Bool(&require, "--require-power", "exit 1 when power is invalid (also REQUIRE_POWER=1)")
	if code, done := parse(p, args, stdout, stderr); done {
		return code
	}
	if validation == "" {
		validation = power.DefaultValidationPath(bench)
	}
	x, err := powerIO(dir, stdout, stderr, "[gpumon_power_multinode]")
	if err != nil {
		fmt.Fprintln(stderr, "resultproc power-nodes:", err)
		return 1
	}
	raw, err := power.ReadJSON(x.Path(bench))
	if err != nil {
		fmt.Fprintf(stderr, "resultproc power-nodes: %s: %v\n", bench, err)
		return 2
	}
	r := nodepower.Evaluate(x.Path(nodesDir), raw, int64(prefill), int64(decode), power.Options{Location: time.Local})
	status, reason, perr := power.PatchFile(x, agg, r.Valid, r.Metrics, dcgmpower.AllMetricKeys)
	if reason != "" {
		r.Invalidate(reason, perr.Error())
	}
	if err := x.WriteSidecar(validation, r.Sidecar(nodesDir, bench)); err != nil {
		fmt.Fprintf(stderr, "%s Failed to write validation artifact %s: %v\n", x.Prefix, validation, err)
		return 1
	}
	if !r.Valid {
		fmt.Fprintf(stderr, "%s Power validation failed: %s (details: %s)\n", x.Prefix, strings.Join(r.Reasons, ", "), validation)
		if require {
			return max(status, 1)
		}
		return status
	}
	fmt.Fprintf(stdout, "%s total_gpu_energy_j=%.2f (n=%d) -> %s\n", x.Prefix, metricOf(r.Metrics, "total_gpu_energy_j"), prefill+decode, agg)
	return status
}

func metricOf(ms []power.Metric, key string) float64 {
	for _, m := range ms {
		if m.Key == key {
			return m.Value
		}
	}
	return 0
}

func powerAgentic(args []string, dir string, stdout, stderr io.Writer, lookup process.Lookup) int {
	a := agentpower.Args{RequirePower: energy.RequirePower(lookup), Opt: power.Options{Location: time.Local}}
	var expected *int
	p := cliargs.New("resultproc power-agentic", "Build the benchmark window of an agentic (AIPerf) run from its profiling phase and measure its GPU energy (upstream's agentic power_adapter.py).")
	p.String(&a.ResultDir, "--result-dir", "the run's result directory (aiperf_artifacts/, gpu_metrics.csv)", cliargs.Required())
	p.String(&a.AggResult, "--agg-result", "the agentic aggregate to patch in place", cliargs.Required())
	p.OptInt(&expected, "--expected-num-gpus", "the GPUs of the job: TP × PP × PCP")
	p.Bool(&a.RequirePower, "--require-power", "exit 1 when power is invalid (also REQUIRE_POWER=1)")
	if code, done := parse(p, args, stdout, stderr); done {
		return code
	}
	if expected != nil {
		n := int64(*expected)
		a.Expected = &n
	}
	x, err := powerIO(dir, stdout, stderr, "[agentx_power]")
	v, verr := schemas.New()
	if err != nil || verr != nil {
		fmt.Fprintln(stderr, "resultproc power-agentic:", errors.Join(err, verr))
		return 1
	}
	a.ValidateWindow = func(doc any) error { return v.Validate(schemas.PowerWindow, doc) }
	return agentpower.Run(a, x)
}

// powerStep is the processed result's power step (energy.Step) for run:
// status receives what the step asks the exit status to be.
func powerStep(dir string, v *schemas.Validator, stdout, stderr io.Writer, lookup process.Lookup, status *int) process.Step {
	return func(j *process.Job, raw any, out *pyjson.Object) error {
		e := energy.Env{Dir: dir, Lookup: lookup, Validator: v, Stdout: stdout, Stderr: stderr, Location: time.Local,
			Write: func(p string, data []byte) error { return atomicfile.Write(p, data, 0o644) }}
		ej := energy.Job{ResultFilename: j.ResultFilename, MultiNode: j.MultiNode, TP: j.TP, PrefillGPUs: j.PrefillGPUs, DecodeGPUs: j.DecodeGPUs}
		if !energy.Applies(e, ej, j.Format == process.Today) {
			return nil
		}
		s, err := energy.Step(e, ej, raw, out)
		if err != nil {
			return &process.InputError{Err: err}
		}
		*status = s
		return nil
	}
}
