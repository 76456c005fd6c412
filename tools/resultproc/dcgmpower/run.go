package dcgmpower

import (
	"fmt"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
)

// AllMetricKeys are the fields a multi-node patch replaces.
var AllMetricKeys = append(append([]string(nil), power.WholeMetricKeys...), power.RoleMetricKeys...)

// Args is upstream aggregate_power_multinode.py's command line.
type Args struct {
	PowerDir, LogsRoot, BenchResult, AggResult, ValidationResult string
	PrefillGPUs, DecodeGPUs                                      int64
	ExpectedSHA                                                  string
	RequirePower                                                 bool
}

// Evaluate loads the raw result's window and audits the package; the
// caller patches the aggregate and writes the sidecar.
func Evaluate(a Args, dir string) (*Audit, *power.Benchmark) {
	var b *power.Benchmark
	var breasons []string
	doc, err := power.ReadJSON(pathIn(dir, a.BenchResult))
	if err != nil {
		breasons = []string{"invalid_benchmark_result"}
	} else {
		b, breasons = power.LoadBenchmark(doc)
	}
	effective := b
	if len(breasons) > 0 {
		effective = nil
	}
	audit := ValidateAndIntegrate(Input{PowerDir: a.PowerDir, LogsRoot: a.LogsRoot, BenchResult: a.BenchResult, Dir: dir,
		Benchmark: effective, PrefillGPUs: a.PrefillGPUs, DecodeGPUs: a.DecodeGPUs, ExpectedSHA: a.ExpectedSHA})
	for _, r := range breasons {
		audit.add(r, "")
	}
	if b == nil || len(audit.Reasons) > 0 {
		audit.Invalidate()
	}
	return audit, b
}

func pathIn(dir, p string) string {
	return power.IO{Dir: dir}.Path(p)
}

// Invalidate withholds the metrics.
func (a *Audit) Invalidate() {
	a.Valid = false
	a.Metrics = nil
}

// Run is aggregate_power_multinode.py's run().
func Run(a Args, x power.IO) int {
	if a.ValidationResult == "" {
		a.ValidationResult = power.DefaultValidationPath(a.BenchResult)
	}
	audit, b := Evaluate(a, x.Dir)
	status, reason, err := power.PatchFile(x, a.AggResult, audit.Valid, audit.Metrics, AllMetricKeys)
	if reason != "" {
		audit.add(reason, err.Error())
		audit.Invalidate()
	}
	if err := x.WriteSidecar(a.ValidationResult, audit.Sidecar(a.PowerDir, a.BenchResult, b)); err != nil {
		fmt.Fprintf(x.Stderr, "%s Failed to write validation artifact %s: %v\n", x.Prefix, a.ValidationResult, err)
		return power.ExitFailure
	}
	if !audit.Valid {
		fmt.Fprintf(x.Stderr, "%s Power validation failed: %s (details: %s)\n", x.Prefix, strings.Join(audit.Reasons, ", "), a.ValidationResult)
		if a.RequirePower {
			status = max(status, power.ExitFailure)
		}
		return status
	}
	fmt.Fprintln(x.Stdout, audit.SummaryLine(x.Prefix, a.AggResult))
	return status
}

// SummaryLine is upstream's one-line report of a valid measurement.
func (a *Audit) SummaryLine(prefix, agg string) string {
	m := map[string]float64{}
	for _, x := range a.Metrics {
		m[x.Key] = x.Value
	}
	return fmt.Sprintf("%s avg_power_w=%.2f total_gpu_energy_j=%.2f prefill_gpu_energy_j=%.2f decode_gpu_energy_j=%.2f (n=%d) -> %s",
		prefix, m["avg_power_w"], m["total_gpu_energy_j"], m["prefill_gpu_energy_j"], m["decode_gpu_energy_j"], a.ExpectedCount, agg)
}

func optStr(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func optBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// Sidecar is upstream's _sidecar_payload.
func (a *Audit) Sidecar(powerDir, benchResult string, b *power.Benchmark) *pyjson.Object {
	o := &pyjson.Object{}
	o.Set("schema_version", int64(1))
	o.Set("power_valid", a.Valid)
	o.Set("reasons", strList(a.Reasons))
	o.Set("failures", strList(a.Failures))
	o.Set("telemetry_source", PyPath(powerDir))
	o.Set("benchmark_result", PyPath(benchResult))
	o.Set("benchmark_window", power.WindowObject(b))
	if a.Window == nil {
		o.Set("selected_window", nil)
	} else {
		o.Set("selected_window", a.Window)
	}
	o.Set("integration_method", power.MethodTrapezoid)
	p := &pyjson.Object{}
	p.Set("producer_git_commit", optStr(a.ProducerCommit))
	p.Set("expected_producer_git_commit", optStr(a.ExpectedCommit))
	p.Set("exporter_image_sha256", optStr(a.ExporterImageSHA256))
	p.Set("stored_publication_valid", optBool(a.StoredValid))
	p.Set("recomputed_publication_valid", optBool(a.RecomputedValid))
	o.Set("producer", p)
	o.Set("expected_gpu_count", a.ExpectedCount)
	o.Set("observed_gpu_count", a.ObservedCount)
	o.Set("per_gpu_role", a.Role)
	o.Set("per_gpu_max_sample_gap_s", a.MaxGap)
	o.Set("per_gpu_energy_j", a.EnergyJ)
	o.Set("metrics", power.MetricsObject(a.Metrics))
	return o
}
