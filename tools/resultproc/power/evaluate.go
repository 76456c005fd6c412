package power

import (
	"errors"
	"fmt"
	"math"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// MetricSchemaVersion is upstream's power_metric_schema_version: the
// unprefixed joules_per_* fields describe the whole deployment.
const MetricSchemaVersion = 2

// WholeMetricKeys are the whole-deployment fields, in the order they are
// written.
var WholeMetricKeys = []string{"avg_power_w", "avg_total_gpu_power_w", "total_gpu_energy_j",
	"joules_per_successful_query", "joules_per_input_token", "joules_per_output_token", "joules_per_total_token"}

// RoleMetricKeys are the prefill/decode fields of multi-node results.
var RoleMetricKeys = []string{"prefill_gpu_energy_j", "decode_gpu_energy_j", "prefill_avg_power_w", "decode_avg_power_w",
	"prefill_joules_per_input_token", "decode_joules_per_output_token"}

// Metric is one energy figure, unrounded.
type Metric struct {
	Key   string
	Value float64
}

// Evaluation is the verdict on one single-node run: what upstream's run()
// knows before it patches the aggregate.
type Evaluation struct {
	Valid       bool
	Reasons     []string
	Benchmark   *Benchmark
	Integration *Integration
	Metrics     []Metric
}

// Evaluate loads the window from the raw result (a decoded document) and
// integrates the telemetry over it.
func Evaluate(csvPath string, raw any, expected *int64, opt Options) *Evaluation {
	b, breasons := LoadBenchmark(raw)
	var in *Integration
	if b == nil {
		in = EmptyIntegration(expected, append([]string(nil), breasons...))
	} else {
		in = Integrate(csvPath, b.StartUnix, b.EndUnix, expected, opt)
	}
	ev := &Evaluation{Benchmark: b, Integration: in}
	ev.Reasons = append([]string(nil), breasons...)
	for _, r := range in.Reasons {
		appendReason(&ev.Reasons, r)
	}
	ev.Valid = len(ev.Reasons) == 0
	if ev.Valid && b != nil {
		ev.Metrics = derivedMetrics(in, b)
	}
	return ev
}

// Invalidate records a reason found after the evaluation (the aggregate
// missing or unwritable): no metrics are published.
func (ev *Evaluation) Invalidate(reason string) {
	appendReason(&ev.Reasons, reason)
	ev.Valid = false
	ev.Metrics = nil
}

func derivedMetrics(in *Integration, b *Benchmark) []Metric {
	if in.TotalEnergyJ == nil {
		return nil
	}
	e := *in.TotalEnergyJ
	return []Metric{
		{"avg_power_w", *in.AvgPowerW},
		{"avg_total_gpu_power_w", *in.AvgTotalPowerW},
		{"total_gpu_energy_j", e},
		{"joules_per_successful_query", e / float64(b.Completed)},
		{"joules_per_input_token", e / float64(b.InputTokens)},
		{"joules_per_output_token", e / float64(b.OutputTokens)},
		{"joules_per_total_token", e / float64(b.InputTokens+b.OutputTokens)},
	}
}

// ErrNonFinite is a metric that overflowed: upstream refuses to write it.
var ErrNonFinite = errors.New("non-finite power metric")

// Patch sets the power fields of an aggregate as upstream's
// _patch_power_result does: drop the old metric fields (drop), stamp the
// schema version and power_valid (1/0), and add the metrics rounded to
// three decimals (watts, joules) or six (per query, per token).
func Patch(obj *pyjson.Object, valid bool, metrics []Metric, drop []string) error {
	for _, m := range metrics {
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			return fmt.Errorf("%w: %s", ErrNonFinite, m.Key)
		}
	}
	for _, k := range drop {
		obj.Delete(k)
	}
	obj.Set("power_metric_schema_version", int64(MetricSchemaVersion))
	v := int64(0)
	if valid {
		v = 1
	}
	obj.Set("power_valid", v)
	obj.Delete("power_invalid_reasons")
	if valid {
		for _, m := range metrics {
			obj.Set(m.Key, pynum.Round(m.Value, precision(m.Key)))
		}
	}
	return nil
}

func precision(key string) int {
	if hasSuffix(key, "_w") || hasSuffix(key, "_j") {
		return 3
	}
	return 6
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// MetricsObject is the sidecar's metrics: every finite one, rounded to six
// decimals.
func MetricsObject(ms []Metric) *pyjson.Object {
	o := &pyjson.Object{}
	for _, m := range ms {
		if !math.IsNaN(m.Value) && !math.IsInf(m.Value, 0) {
			o.Set(m.Key, pynum.Round(m.Value, 6))
		}
	}
	return o
}

// WindowObject is the sidecar's benchmark_window.
func WindowObject(b *Benchmark) any {
	if b == nil {
		return nil
	}
	o := &pyjson.Object{}
	o.Set("start_time_unix", b.StartUnix)
	o.Set("end_time_unix", b.EndUnix)
	o.Set("reported_duration_s", b.ReportedDuration)
	o.Set("integration_duration_s", b.IntegrationDuration())
	o.Set("completed", b.Completed)
	o.Set("total_input_tokens", b.InputTokens)
	o.Set("total_output_tokens", b.OutputTokens)
	return o
}

// finiteOrNil keeps a sidecar strict JSON: an overflowed figure is null.
func finiteOrNil(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}

func perGPU[T any](ids []string, m map[string]T, conv func(T) any) *pyjson.Object {
	o := &pyjson.Object{}
	for _, id := range ids {
		if v, ok := m[id]; ok {
			o.Set(id, conv(v))
		}
	}
	return o
}

func anyOf[T any](v T) any { return v }

// Sidecar is the power_validation_<RESULT_FILENAME>.json document, as
// upstream's _validation_payload writes it; gpumon files add the energy
// counter's cross-check (energy_counter_check), the GPUs' UUIDs and
// whether a cut-off last row was left out.
func (ev *Evaluation) Sidecar(csvSource, benchSource string, acc *AccumulatorCheck) *pyjson.Object {
	in := ev.Integration
	o := &pyjson.Object{}
	o.Set("schema_version", int64(1))
	o.Set("power_valid", ev.Valid)
	o.Set("reasons", Strings(ev.Reasons))
	o.Set("telemetry_source", csvSource)
	o.Set("benchmark_result", benchSource)
	o.Set("benchmark_window", WindowObject(ev.Benchmark))
	o.Set("integration_method", in.Method)
	if in.Expected == nil {
		o.Set("expected_gpu_count", nil)
	} else {
		o.Set("expected_gpu_count", *in.Expected)
	}
	o.Set("observed_gpu_count", int64(len(in.ObservedIDs)))
	o.Set("observed_gpu_ids", Strings(in.ObservedIDs))
	o.Set("per_gpu_sample_counts", perGPU(in.ObservedIDs, in.SampleCount, func(n int) any { return int64(n) }))
	o.Set("per_gpu_max_sample_gap_s", perGPU(in.ObservedIDs, in.MaxGap, anyOf[float64]))
	o.Set("per_gpu_energy_j", perGPU(in.ObservedIDs, in.EnergyJ, finiteOrNil))
	o.Set("device_issues", perGPU(in.ObservedIDs, in.Issues, func(x []string) any { return Strings(x) }))
	if acc == nil {
		o.Set("accumulator_check", nil)
	} else {
		o.Set("accumulator_check", acc.object())
	}
	o.Set("metrics", MetricsObject(ev.Metrics))
	if in.Gpumon {
		o.Set("energy_counter_check", in.counterObject())
		o.Set("gpu_uuids", perGPU(in.ObservedIDs, in.UUIDs, func(x []string) any { return Strings(x) }))
		o.Set("telemetry_last_row_truncated", in.Truncated)
	}
	return o
}

func unavailable(reason string) *pyjson.Object {
	o := &pyjson.Object{}
	o.Set("available", false)
	o.Set("reason", reason)
	return o
}

func (c *AccumulatorCheck) object() *pyjson.Object {
	if !c.Available {
		return unavailable(c.Reason)
	}
	o := &pyjson.Object{}
	o.Set("available", true)
	o.Set("accumulator_delta_j", c.DeltaJ)
	o.Set("integrated_stream_j", c.IntegratedJ)
	if c.RelativeError == nil {
		o.Set("relative_error", nil)
	} else {
		o.Set("relative_error", *c.RelativeError)
	}
	o.Set("within_tolerance", c.WithinTolerance)
	o.Set("tolerance", AccumulatorTolerance)
	o.Set("per_gpu_delta_j", perGPU(c.deltaOrder, c.PerGPUDeltaJ, anyOf[float64]))
	o.Set("integrated_gpu_ids", Strings(c.IntegratedGPUIDs))
	o.Set("unmatched_gpus", Strings(c.UnmatchedGPUs))
	o.Set("negative_delta_gpus", Strings(c.NegativeDeltaGPUs))
	o.Set("stream_span_s", c.StreamSpanS)
	return o
}

// counterObject is energy_counter_check: the counter and the integrated
// power over the same window, and their relative difference
// (integrated − counter) / counter, negative when sampling under-reports.
func (in *Integration) counterObject() *pyjson.Object {
	o := &pyjson.Object{}
	c := in.Counter
	if c == nil {
		o.Set("available", false)
		o.Set("reason", "window_not_covered")
		return o
	}
	o.Set("available", c.Available)
	if c.Available {
		o.Set("reason", nil)
	} else {
		o.Set("reason", c.Reason)
	}
	if len(c.CounterJ) > 0 {
		o.Set("energy_counter_j", finiteOrNil(c.TotalCounterJ))
	} else {
		o.Set("energy_counter_j", nil)
	}
	o.Set("integrated_power_j", finiteOrNil(c.TotalIntegratedJ))
	if c.Available && c.TotalCounterJ > 0 {
		o.Set("relative_difference", finiteOrNil((c.TotalIntegratedJ-c.TotalCounterJ)/c.TotalCounterJ))
	} else {
		o.Set("relative_difference", nil)
	}
	o.Set("per_gpu_energy_counter_j", perGPU(in.ObservedIDs, c.CounterJ, finiteOrNil))
	o.Set("per_gpu_integrated_power_j", perGPU(in.ObservedIDs, c.IntegratedJ, finiteOrNil))
	o.Set("discontinuities", perGPU(c.discontinuityKeys, c.Discontinuities, func(ds []Discontinuity) any {
		out := make([]any, len(ds))
		for i, d := range ds {
			x := &pyjson.Object{}
			x.Set("from_time_unix", d.FromUnix)
			x.Set("to_time_unix", d.ToUnix)
			x.Set("from_j", d.FromJ)
			x.Set("to_j", d.ToJ)
			x.Set("kind", "reset_or_wrap")
			out[i] = x
		}
		return out
	}))
	return o
}
