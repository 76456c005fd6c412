package power

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
)

// Exit statuses of the power commands. Invalid telemetry is not a
// failure (the benchmark's result stands, power_valid is 0) unless power
// is required; a bad input file or a failed write is.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitInvalid = 2
)

// IO is how the power commands touch the world.
type IO struct {
	Dir      string                               // relative paths are relative to it
	Write    func(path string, data []byte) error // atomic
	Validate func(doc any) error                  // the sidecar's schema check
	Stdout   io.Writer
	Stderr   io.Writer
	Prefix   string // message prefix, upstream's "[aggregate_power]"
}

func (x IO) Path(p string) string {
	if filepath.IsAbs(p) || x.Dir == "" {
		return p
	}
	return filepath.Join(x.Dir, p)
}

// DefaultValidationPath is upstream's default sidecar name: beside the
// benchmark result, power_validation_<its stem>.json.
func DefaultValidationPath(benchResult string) string {
	dir, base := filepath.Split(benchResult)
	return dir + "power_validation_" + strings.TrimSuffix(base, filepath.Ext(base)) + ".json"
}

// ReadJSON reads and decodes a JSON file as Python's json module would.
func ReadJSON(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return results.DecodeOrdered(data)
}

// WriteSidecar validates and writes a sidecar document.
func (x IO) WriteSidecar(path string, doc *pyjson.Object) error {
	if x.Validate != nil {
		if err := x.Validate(results.Generic(doc)); err != nil {
			return fmt.Errorf("the power validation sidecar does not match its schema (a bug): %w", err)
		}
	}
	data, err := results.MarshalIndent(doc)
	if err != nil {
		return err
	}
	return x.Write(x.Path(path), data)
}

// SingleArgs is upstream aggregate_power.py's command line.
type SingleArgs struct {
	CSV, BenchResult, AggResult, ValidationResult string
	Expected                                      *int64
	RequirePower                                  bool
	Opt                                           Options
}

// RunSingle is aggregate_power.py's run(): integrate, patch the aggregate
// in place, write the sidecar, report.
func RunSingle(a SingleArgs, x IO) int {
	if a.ValidationResult == "" {
		a.ValidationResult = DefaultValidationPath(a.BenchResult)
	}
	raw, err := ReadJSON(x.Path(a.BenchResult))
	var ev *Evaluation
	if err != nil {
		ev = &Evaluation{Reasons: []string{"invalid_benchmark_result"}, Integration: EmptyIntegration(a.Expected, []string{"invalid_benchmark_result"})}
	} else {
		ev = Evaluate(x.Path(a.CSV), raw, a.Expected, a.Opt)
	}
	status, reason, _ := PatchFile(x, a.AggResult, ev.Valid, ev.Metrics, WholeMetricKeys)
	if reason != "" {
		ev.Invalidate(reason)
	}
	acc := CrossCheckAccumulator(x.Path(a.CSV), a.Opt.loc())
	if err := x.WriteSidecar(a.ValidationResult, ev.Sidecar(a.CSV, a.BenchResult, acc)); err != nil {
		fmt.Fprintf(x.Stderr, "%s Failed to write validation artifact %s: %v\n", x.Prefix, a.ValidationResult, err)
		return ExitFailure
	}
	if !ev.Valid {
		fmt.Fprintf(x.Stderr, "%s Power validation failed: %s (details: %s)\n", x.Prefix, strings.Join(ev.Reasons, ", "), a.ValidationResult)
		if a.RequirePower {
			status = max(status, ExitFailure)
		}
		return status
	}
	fmt.Fprintln(x.Stdout, SummaryLine(x.Prefix, ev, a.AggResult))
	return status
}

// SummaryLine is upstream's one-line report of a valid measurement.
func SummaryLine(prefix string, ev *Evaluation, agg string) string {
	m := map[string]float64{}
	for _, x := range ev.Metrics {
		m[x.Key] = x.Value
	}
	return fmt.Sprintf("%s avg_power_w=%.2f avg_total_gpu_power_w=%.2f total_gpu_energy_j=%.2f (n=%d) -> %s",
		prefix, m["avg_power_w"], m["avg_total_gpu_power_w"], m["total_gpu_energy_j"], len(ev.Integration.ObservedIDs), agg)
}

// PatchFile patches the aggregate file in place (drop: the metric keys to
// remove first). When it cannot, reason is what upstream records
// (aggregate_result_missing or aggregate_result_unwritable) and err says
// why; a missing or unusable aggregate is an input error, a failed write a
// runtime failure.
func PatchFile(x IO, agg string, valid bool, metrics []Metric, drop []string) (status int, reason string, err error) {
	p := x.Path(agg)
	st, serr := os.Stat(p)
	if serr != nil || !st.Mode().IsRegular() {
		fmt.Fprintf(x.Stderr, "%s The aggregate %s does not exist: run resultproc first\n", x.Prefix, agg)
		return ExitInvalid, "aggregate_result_missing", fmt.Errorf("aggregate missing: %s", agg)
	}
	doc, err := ReadJSON(p)
	obj, ok := doc.(*pyjson.Object)
	if err == nil && !ok {
		err = errors.New("expected a JSON object")
	}
	if err == nil {
		err = Patch(obj, valid, metrics, drop)
	}
	if err != nil {
		fmt.Fprintf(x.Stderr, "%s Failed to patch %s: %v\n", x.Prefix, agg, err)
		if errors.Is(err, ErrNonFinite) {
			return ExitOK, "aggregate_result_unwritable", err
		}
		return ExitInvalid, "aggregate_result_unwritable", err
	}
	data, err := results.MarshalIndent(obj)
	if err == nil {
		err = x.Write(p, data)
	}
	if err != nil {
		fmt.Fprintf(x.Stderr, "%s Failed to patch %s: %v\n", x.Prefix, agg, err)
		return ExitFailure, "aggregate_result_unwritable", err
	}
	return ExitOK, "", nil
}
