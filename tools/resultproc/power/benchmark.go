package power

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
)

// Benchmark is what energy normalisation takes from the raw result: the
// load generator's window and its counts (upstream's BenchmarkData).
type Benchmark struct {
	StartUnix, EndUnix, ReportedDuration float64
	Completed, InputTokens, OutputTokens int64
}

// IntegrationDuration is end − start, what the energy is divided by.
func (b *Benchmark) IntegrationDuration() float64 { return b.EndUnix - b.StartUnix }

// HasWindow tells whether a raw result carries the benchmark window at all
// (benchmark_start_time_unix): results of the Feb-2026 load generator do
// not, and get no power fields.
func HasWindow(raw *pyjson.Object) bool {
	_, ok := raw.Get("benchmark_start_time_unix")
	return ok
}

// LoadBenchmark is upstream's _load_benchmark_data on a decoded raw result:
// the window and counts, and the reasons they cannot be used. A nil
// Benchmark means the window itself is unusable.
func LoadBenchmark(doc any) (*Benchmark, []string) {
	raw, ok := doc.(*pyjson.Object)
	if !ok {
		return nil, []string{"invalid_benchmark_result"}
	}
	get := func(k string) any { v, _ := raw.Get(k); return v }
	start, ok1 := number(get("benchmark_start_time_unix"))
	end, ok2 := number(get("benchmark_end_time_unix"))
	dur, ok3 := number(get("duration"))
	if !ok1 || !ok2 || !ok3 {
		return nil, []string{"invalid_benchmark_window"}
	}
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	if !finite(start) || !finite(end) || !finite(dur) || end <= start || dur <= 0 {
		return nil, []string{"invalid_benchmark_window"}
	}
	var reasons []string
	span := end - start
	if math.Abs(dur-span) > math.Max(0.5, span*0.01) {
		appendReason(&reasons, "benchmark_duration_mismatch")
	}
	b := &Benchmark{StartUnix: start, EndUnix: end, ReportedDuration: dur}
	count := func(key, reason string) int64 {
		n, ok := integer(get(key))
		if !ok || n <= 0 {
			appendReason(&reasons, reason)
			return 0
		}
		return n
	}
	b.Completed = count("completed", "invalid_successful_query_count")
	b.InputTokens = count("total_input_tokens", "invalid_input_token_count")
	b.OutputTokens = count("total_output_tokens", "invalid_output_token_count")
	return b, reasons
}

// number is a JSON number as Python's isinstance(v, (int, float)) sees it
// (booleans excluded), as a float.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number, float64:
		return results.Float(x)
	}
	return 0, false
}

// integer is a JSON integer literal (Python int; 5.0 is a float and does
// not count).
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(n.String(), ".eE") {
		return 0, false
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	return i, err == nil
}
