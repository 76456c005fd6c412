// Package energy is resultproc's power step: for a job of today's
// workflows it measures the GPUs' energy over the benchmark window, adds
// upstream main's power fields to the processed result and writes the
// power_validation_<RESULT_FILENAME>.json sidecar, choosing the source as
// upstream's process_result.py does:
//
//   - single-node: the telemetry file (GPU_METRICS_CSV, else
//     gpu_metrics.csv, else /workspace/gpu_metrics.csv), gpumon's or
//     nvidia-smi's or amd-smi's; TP·PP_SIZE·PCP_SIZE GPUs expected;
//   - multi-node: srt-slurm's DCGM power package (POWER_ARTIFACT_DIR,
//     default LOGS/power) when there is one, else gpumon's node files
//     (GPU_METRICS_DIR, default gpu_metrics); PREFILL_GPUS and DECODE_GPUS
//     expected.
//
// Invalid telemetry never fails the job (power_valid is 0 and the sidecar
// says why) unless REQUIRE_POWER is 1, true or yes.
package energy

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/resultproc/dcgmpower"
	"github.com/inferencex/inferencex-go/tools/resultproc/nodepower"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
)

// Env is where the step runs.
type Env struct {
	Dir       string
	Lookup    func(string) (string, bool)
	Validator *schemas.Validator
	Write     func(path string, data []byte) error
	Stdout    io.Writer
	Stderr    io.Writer
	Location  *time.Location // zone-less timestamps; time.Local when nil
}

func (e Env) get(name, def string) string {
	if v, ok := e.Lookup(name); ok && v != "" {
		return v
	}
	return def
}

// RequirePower is upstream's REQUIRE_POWER switch.
func RequirePower(lookup func(string) (string, bool)) bool {
	v, _ := lookup("REQUIRE_POWER")
	switch strings.ToLower(v) {
	case "1", "true", "yes":
		return true
	}
	return false
}

func (e Env) io(prefix string) power.IO {
	return power.IO{Dir: e.Dir, Write: e.Write, Stdout: e.Stdout, Stderr: e.Stderr, Prefix: prefix,
		Validate: func(doc any) error { return e.Validator.Validate(schemas.PowerValidation, doc) }}
}

func (e Env) opt() power.Options { return power.Options{Location: e.Location} }

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// TelemetryCSV is upstream's choice of single-node telemetry file: the
// first of GPU_METRICS_CSV, gpu_metrics.csv, /workspace/gpu_metrics.csv
// that exists, else the first given.
func (e Env) TelemetryCSV() string {
	var cands []string
	if v, ok := e.Lookup("GPU_METRICS_CSV"); ok && v != "" {
		cands = append(cands, v)
	}
	cands = append(cands, "gpu_metrics.csv", "/workspace/gpu_metrics.csv")
	for _, c := range cands {
		if isFile(e.io("").Path(c)) {
			return c
		}
	}
	return cands[0]
}

// Job is what the step needs to know of the job.
type Job struct {
	ResultFilename          string
	MultiNode               bool
	TP                      int64 // single-node
	PrefillGPUs, DecodeGPUs int64 // multi-node
}

// size reads an optional positive integer (PP_SIZE, PCP_SIZE: 1 unset).
func (e Env) size(name string) (int64, error) {
	v, ok := e.Lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		return 1, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: expected a positive integer, got %q", name, v)
	}
	return n, nil
}

// Step measures the job's energy and adds the power fields to out (the
// processed result, before anything only this tool writes). It returns
// the exit status the power step asks for (1 when power is required and
// invalid, or a file could not be written); an error is a bad
// environment.
func Step(e Env, j Job, raw any, out *pyjson.Object) (int, error) {
	bench := j.ResultFilename + ".json"
	sidecar := "power_validation_" + j.ResultFilename + ".json"
	require := RequirePower(e.Lookup)
	if !j.MultiNode {
		pp, err := e.size("PP_SIZE")
		if err != nil {
			return 0, err
		}
		pcp, err := e.size("PCP_SIZE")
		if err != nil {
			return 0, err
		}
		expected := j.TP * pp * pcp
		return single(e, e.TelemetryCSV(), bench, sidecar, &expected, require, raw, out), nil
	}
	powerDir := e.get("POWER_ARTIFACT_DIR", "LOGS/power")
	nodesDir := e.get("GPU_METRICS_DIR", "gpu_metrics")
	if !isDir(e.io("").Path(powerDir)) && isDir(e.io("").Path(nodesDir)) {
		return nodes(e, nodesDir, bench, sidecar, j, require, raw, out), nil
	}
	return dcgm(e, powerDir, bench, sidecar, j, require, out), nil
}

// single is aggregate_power.run on a processed result held in memory.
func single(e Env, csv, bench, sidecar string, expected *int64, require bool, raw any, out *pyjson.Object) int {
	x := e.io("[aggregate_power]")
	ev := power.Evaluate(x.Path(csv), raw, expected, e.opt())
	if err := power.Patch(out, ev.Valid, ev.Metrics, power.WholeMetricKeys); err != nil {
		// Upstream leaves the aggregate without power fields.
		fmt.Fprintf(e.Stderr, "[aggregate_power] Failed to patch agg: %v\n", err)
		ev.Invalidate("aggregate_result_unwritable")
	}
	acc := power.CrossCheckAccumulator(x.Path(csv), e.opt().Location)
	return finish(x, sidecar, ev.Sidecar(csv, bench, acc), ev.Valid, ev.Reasons, require,
		func() string {
			return power.SummaryLine(x.Prefix, ev, "agg_"+strings.TrimSuffix(bench, ".json")+".json")
		})
}

func dcgm(e Env, powerDir, bench, sidecar string, j Job, require bool, out *pyjson.Object) int {
	x := e.io("[aggregate_power_multinode]")
	a, b := dcgmpower.Evaluate(dcgmpower.Args{PowerDir: powerDir, LogsRoot: e.get("POWER_RESULT_ROOT", "LOGS"),
		BenchResult: bench, PrefillGPUs: j.PrefillGPUs, DecodeGPUs: j.DecodeGPUs,
		ExpectedSHA: e.get("POWER_PRODUCER_SHA", "")}, e.Dir)
	if err := power.Patch(out, a.Valid, a.Metrics, dcgmpower.AllMetricKeys); err != nil {
		fmt.Fprintf(e.Stderr, "[aggregate_power_multinode] Failed to patch agg: %v\n", err)
		a.Reasons = append(a.Reasons, "aggregate_result_unwritable")
		a.Failures = append(a.Failures, err.Error())
		a.Invalidate()
	}
	return finish(x, sidecar, a.Sidecar(powerDir, bench, b), a.Valid, a.Reasons, require,
		func() string { return a.SummaryLine(x.Prefix, "agg_"+j.ResultFilename+".json") })
}

func nodes(e Env, dir, bench, sidecar string, j Job, require bool, raw any, out *pyjson.Object) int {
	x := e.io("[gpumon_power_multinode]")
	r := nodepower.Evaluate(x.Path(dir), raw, j.PrefillGPUs, j.DecodeGPUs, e.opt())
	if err := power.Patch(out, r.Valid, r.Metrics, dcgmpower.AllMetricKeys); err != nil {
		fmt.Fprintf(e.Stderr, "%s Failed to patch agg: %v\n", x.Prefix, err)
		r.Invalidate("aggregate_result_unwritable", err.Error())
	}
	return finish(x, sidecar, r.Sidecar(dir, bench), r.Valid, r.Reasons, require, func() string {
		m := map[string]float64{}
		for _, k := range r.Metrics {
			m[k.Key] = k.Value
		}
		return fmt.Sprintf("%s avg_power_w=%.2f total_gpu_energy_j=%.2f prefill_gpu_energy_j=%.2f decode_gpu_energy_j=%.2f (n=%d) -> agg_%s.json",
			x.Prefix, m["avg_power_w"], m["total_gpu_energy_j"], m["prefill_gpu_energy_j"], m["decode_gpu_energy_j"],
			j.PrefillGPUs+j.DecodeGPUs, j.ResultFilename)
	})
}

// finish writes the sidecar and reports the verdict as upstream does.
func finish(x power.IO, sidecar string, doc *pyjson.Object, valid bool, reasons []string, require bool, summary func() string) int {
	if err := x.WriteSidecar(sidecar, doc); err != nil {
		fmt.Fprintf(x.Stderr, "%s Failed to write validation artifact %s: %v\n", x.Prefix, sidecar, err)
		return power.ExitFailure
	}
	if !valid {
		fmt.Fprintf(x.Stderr, "%s Power validation failed: %s (details: %s)\n", x.Prefix, strings.Join(reasons, ", "), sidecar)
		if require {
			return power.ExitFailure
		}
		return power.ExitOK
	}
	fmt.Fprintln(x.Stdout, summary())
	return power.ExitOK
}

// Applies tells whether a job gets the power step: a job of today's
// workflows does (upstream main measures every job); so does any job that
// left telemetry behind. A Feb-2026 job without telemetry keeps the
// Feb-2026 output, even when its raw result (loadgen's of today) carries
// the benchmark window.
func Applies(e Env, j Job, today bool) bool {
	if today {
		return true
	}
	if !j.MultiNode {
		return isFile(e.io("").Path(e.TelemetryCSV()))
	}
	return isDir(e.io("").Path(e.get("POWER_ARTIFACT_DIR", "LOGS/power"))) || isDir(e.io("").Path(e.get("GPU_METRICS_DIR", "gpu_metrics")))
}
