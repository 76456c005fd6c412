// Package result writes a run's outcome: the result file with the keys, key
// order and number formatting of vLLM's benchmark_serving.py (so that
// everything that read those files reads these), followed by loadgen's own
// keys, and the console summary block the original printed.
package result

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
)

// MetricNames are the metrics --percentile-metrics may select, in the
// order the original reports them.
var MetricNames = []string{"ttft", "tpot", "itl", "e2el"}

// KV is one --metadata pair.
type KV struct{ Key, Value string }

// Setup is what the run was asked to do.
type Setup struct {
	Date           time.Time // when the result is saved
	Backend        string
	ModelID        string
	TokenizerID    string
	BestOf         int
	NumPrompts     int
	Metadata       []KV
	RequestRate    float64 // +Inf for "inf"
	Burstiness     float64
	MaxConcurrency *int

	// SelectedMetrics are the --percentile-metrics names; Percentiles the
	// --metric-percentiles values.
	SelectedMetrics []string
	Percentiles     []float64
	Goodput         bool // --goodput was given
	Detailed        bool // --save-detailed

	NumWarmups     int
	RequestTimeout time.Duration
	StallTimeout   time.Duration
}

// Outcome is how the run went, beyond its metrics.
type Outcome struct {
	Duration      time.Duration
	Start, End    time.Time
	ClientCPU     time.Duration
	ClientProcs   int // cores the client could use (GOMAXPROCS)
	Simulated     bool
	Partial       bool
	StopReason    string // "" when the run completed
	WarmupFailed  int
	Headroom      string // the client-bottleneck warning, "" when none
	DatasetChecks *DatasetCheck
}

// DatasetCheck is the dataset's own verification of prompt lengths.
type DatasetCheck struct {
	Checked    int // prompts whose token count was verified
	Mismatched int // prompts whose count was off its target
}

// DateFormat is the original's result date format, strftime %Y%m%d-%H%M%S.
const DateFormat = "20060102-150405"

// PercentileWord names a percentile as the original's keys do: p99, p99.9.
func PercentileWord(p float64) string {
	if p == math.Trunc(p) && math.Abs(p) < 1e15 {
		return fmt.Sprintf("%d", int64(p))
	}
	s, err := pyjson.FormatFloat(p, 64)
	if err != nil {
		return fmt.Sprint(p)
	}
	return s
}

// PyFloat writes a float as Python's str() does.
func PyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s, _ := pyjson.FormatFloat(f, 64)
	return s
}

// FileName is the original's default result file name:
// {backend}-{rate}qps[-concurrency{N}]-{model basename}-{date}.json.
func FileName(s Setup) string {
	conc := ""
	if s.MaxConcurrency != nil {
		conc = fmt.Sprintf("-concurrency%d", *s.MaxConcurrency)
	}
	base := s.ModelID[strings.LastIndex(s.ModelID, "/")+1:]
	return fmt.Sprintf("%s-%sqps%s-%s-%s.json", s.Backend, PyFloat(s.RequestRate), conc, base, s.Date.Format(DateFormat))
}

func throughput(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

func summaryOf(m *metrics.Metrics, name string) metrics.Summary {
	switch name {
	case "ttft":
		return m.TTFT
	case "tpot":
		return m.TPOT
	case "itl":
		return m.ITL
	}
	return m.E2EL
}

func ms(x float64) float64 { return x * 1000 }

// Build assembles the result document.
func Build(s Setup, o Outcome, m metrics.Metrics) *pyjson.Object {
	r := &pyjson.Object{}
	r.Set("date", s.Date.Format(DateFormat))
	r.Set("backend", s.Backend)
	r.Set("model_id", s.ModelID)
	r.Set("tokenizer_id", s.TokenizerID)
	r.Set("best_of", s.BestOf)
	r.Set("num_prompts", s.NumPrompts)
	for _, kv := range s.Metadata {
		r.Set(kv.Key, kv.Value)
	}
	if math.IsInf(s.RequestRate, 1) {
		r.Set("request_rate", "inf")
	} else {
		r.Set("request_rate", s.RequestRate)
	}
	r.Set("burstiness", s.Burstiness)
	if s.MaxConcurrency != nil {
		r.Set("max_concurrency", *s.MaxConcurrency)
	} else {
		r.Set("max_concurrency", nil)
	}

	d := o.Duration
	r.Set("duration", d.Seconds())
	// Upstream main's wall-clock bounds of the run (power measurements
	// window their samples with them): the end is the start plus the
	// duration, so the two agree with it.
	r.Set("benchmark_start_time_unix", unixSeconds(o.Start))
	r.Set("benchmark_end_time_unix", unixSeconds(o.Start)+d.Seconds())
	r.Set("completed", m.Completed)
	r.Set("total_input_tokens", m.TotalInput)
	r.Set("total_output_tokens", m.TotalOutput)
	r.Set("request_throughput", throughput(m.Completed, d))
	// The original's key has a stray colon; readers of its files expect it.
	if s.Goodput {
		r.Set("request_goodput:", throughput(m.GoodCompleted, d))
	} else {
		r.Set("request_goodput:", nil)
	}
	r.Set("output_throughput", throughput(m.TotalOutput, d))
	r.Set("total_token_throughput", throughput(m.TotalInput+m.TotalOutput, d))
	// Upstream main saves the lengths in every result, the rest only with
	// --save-detailed.
	if m.Detail != nil && m.Detail.InputLens != nil {
		r.Set("input_lens", m.Detail.InputLens)
		r.Set("output_lens", m.Detail.OutputLens)
	}
	if s.Detailed && m.Detail != nil && m.Detail.TTFTs != nil {
		r.Set("ttfts", m.Detail.TTFTs)
		r.Set("itls", m.Detail.ITLs)
		r.Set("generated_texts", m.Detail.Texts)
		r.Set("errors", m.Detail.Errors)
	}
	for _, name := range MetricNames {
		if !contains(s.SelectedMetrics, name) {
			continue
		}
		sum := summaryOf(&m, name)
		r.Set("mean_"+name+"_ms", ms(sum.Mean))
		r.Set("median_"+name+"_ms", ms(sum.Median))
		r.Set("std_"+name+"_ms", ms(sum.Std))
		for i, p := range s.Percentiles {
			r.Set("p"+PercentileWord(p)+"_"+name+"_ms", ms(sum.Percentiles[i]))
		}
	}
	addExtras(r, s, o, m)
	return r
}

// addExtras appends loadgen's own keys after the original's.
func addExtras(r *pyjson.Object, s Setup, o Outcome, m metrics.Metrics) {
	r.Set("simulated", o.Simulated)
	r.Set("partial", o.Partial)
	r.Set("stop_reason", nullIfEmpty(o.StopReason))
	r.Set("failed", m.Failed)
	r.Set("canceled", m.Canceled)
	kinds := &pyjson.Object{}
	for _, e := range m.Errors {
		k := &pyjson.Object{}
		k.Set("count", e.Count)
		k.Set("first_error", e.First)
		kinds.Set(e.Kind, k)
	}
	r.Set("errors_by_kind", kinds)
	r.Set("num_warmups", s.NumWarmups)
	r.Set("warmup_failed", o.WarmupFailed)
	r.Set("request_timeout_s", secondsOrNull(s.RequestTimeout))
	r.Set("stream_stall_timeout_s", secondsOrNull(s.StallTimeout))
	r.Set("start_time", unixSeconds(o.Start))
	r.Set("end_time", unixSeconds(o.End))

	r.Set("client_cpu_seconds", o.ClientCPU.Seconds())
	util := 0.0
	if o.Duration > 0 && o.ClientProcs > 0 {
		util = o.ClientCPU.Seconds() / (o.Duration.Seconds() * float64(o.ClientProcs))
	}
	r.Set("client_cpu_utilization", util)
	r.Set("client_headroom_warning", nullIfEmpty(o.Headroom))

	// Latency summaries are objects, not flat *_ms keys: the original's
	// process_result.py (and resultproc) turn every top-level key ending
	// in "ms" into a processed metric, and these are not the original's.
	r.Set("ttft_from_scheduled", summaryObject(m.TTFTFromScheduled))
	r.Set("e2el_from_scheduled", summaryObject(m.E2ELFromScheduled))
	r.Set("queue_wait", summaryObject(m.QueueWait))
	r.Set("schedule_lag", summaryObject(m.ScheduleLag))

	r.Set("output_tokens_per_chunk", m.OutputTokensPerChunk)
	r.Set("token_chunks_known", m.TokenChunks)
	r.Set("multi_token_chunks", m.MultiTokenChunks)
	if m.TokenITL.Count > 0 {
		r.Set("token_itl", summaryObject(m.TokenITL))
	} else {
		r.Set("token_itl", nil)
	}
	r.Set("output_tokens_from_usage", m.TokensFromUsage)
	r.Set("output_tokens_from_tokenizer", m.TokensFromTokenizer)

	pc := &pyjson.Object{}
	if o.DatasetChecks != nil {
		pc.Set("dataset_checked", o.DatasetChecks.Checked)
		pc.Set("dataset_mismatched", o.DatasetChecks.Mismatched)
	} else {
		pc.Set("dataset_checked", nil)
		pc.Set("dataset_mismatched", nil)
	}
	pc.Set("server_reported", m.ServerPromptReported)
	pc.Set("server_mismatched", m.ServerPromptMismatched)
	pc.Set("server_max_abs_diff", m.ServerPromptMaxDiff)
	r.Set("prompt_len_check", pc)

	approx := []string{}
	for _, x := range []struct {
		name string
		sum  metrics.Summary
	}{{"ttft", m.TTFT}, {"tpot", m.TPOT}, {"itl", m.ITL}, {"e2el", m.E2EL}, {"token_itl", m.TokenITL}} {
		if !x.sum.Exact {
			approx = append(approx, x.name)
		}
	}
	r.Set("approximate_percentiles", approx)
}

// summaryObject is mean, median, p99 and max of one of loadgen's own
// metrics, in milliseconds.
func summaryObject(sum metrics.Summary) *pyjson.Object {
	o := &pyjson.Object{}
	o.Set("mean_ms", ms(sum.Mean))
	o.Set("median_ms", ms(sum.Median))
	o.Set("p99_ms", ms(p99(sum)))
	o.Set("max_ms", ms(sum.Max))
	return o
}

// p99 is the 99th percentile of a summary of loadgen's own metrics, which
// metrics.Aggregator computes with metrics.ExtraPercentiles.
func p99(s metrics.Summary) float64 {
	if len(s.Percentiles) == 0 {
		return 0
	}
	return s.Percentiles[0]
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func secondsOrNull(d time.Duration) any {
	if d <= 0 {
		return nil
	}
	return d.Seconds()
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Encode returns the document as Python's json.dump writes it (no trailing
// newline), after validating it against the raw-result schema.
func Encode(v *schemas.Validator, doc *pyjson.Object) ([]byte, error) {
	data, err := pyjson.Marshal(*doc)
	if err != nil {
		return nil, fmt.Errorf("encoding the result: %w", err)
	}
	if err := v.ValidateJSON(schemas.RawResult, data); err != nil {
		return nil, fmt.Errorf("the result breaks its schema (a loadgen bug): %w", err)
	}
	return data, nil
}

// Write validates and writes the document atomically to path.
func Write(v *schemas.Validator, path string, doc *pyjson.Object) error {
	data, err := Encode(v, doc)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Clean(path), data, 0o644)
}

// PrintSummary prints the original's "Serving Benchmark Result" block.
func PrintSummary(w io.Writer, s Setup, o Outcome, m metrics.Metrics) {
	d := o.Duration
	fmt.Fprintln(w, center(" Serving Benchmark Result ", 50, '='))
	line := func(label string, v any) {
		switch x := v.(type) {
		case float64:
			fmt.Fprintf(w, "%-40s %-10.2f\n", label, x)
		default:
			fmt.Fprintf(w, "%-40s %-10v\n", label, x)
		}
	}
	line("Successful requests:", m.Completed)
	line("Benchmark duration (s):", d.Seconds())
	line("Total input tokens:", m.TotalInput)
	line("Total generated tokens:", m.TotalOutput)
	line("Request throughput (req/s):", throughput(m.Completed, d))
	if s.Goodput {
		line("Request goodput (req/s):", throughput(m.GoodCompleted, d))
	}
	line("Output token throughput (tok/s):", throughput(m.TotalOutput, d))
	line("Total Token throughput (tok/s):", throughput(m.TotalInput+m.TotalOutput, d))
	headers := map[string][2]string{
		"ttft": {"TTFT", "Time to First Token"},
		"tpot": {"TPOT", "Time per Output Token (excl. 1st token)"},
		"itl":  {"ITL", "Inter-token Latency"},
		"e2el": {"E2EL", "End-to-end Latency"},
	}
	for _, name := range MetricNames {
		if !contains(s.SelectedMetrics, name) {
			continue
		}
		h := headers[name]
		sum := summaryOf(&m, name)
		fmt.Fprintln(w, center(h[1], 50, '-'))
		line("Mean "+h[0]+" (ms):", ms(sum.Mean))
		line("Median "+h[0]+" (ms):", ms(sum.Median))
		for i, p := range s.Percentiles {
			line("P"+PercentileWord(p)+" "+h[0]+" (ms):", ms(sum.Percentiles[i]))
		}
	}
	fmt.Fprintln(w, strings.Repeat("=", 50))
}

// PrintHealth prints loadgen's own block: failures, the client's view of
// its own timing, and warnings.
func PrintHealth(w io.Writer, o Outcome, m metrics.Metrics) {
	fmt.Fprintln(w, center(" Client and Run Health ", 50, '='))
	fmt.Fprintf(w, "%-40s %-10d\n", "Failed requests:", m.Failed)
	for _, e := range m.Errors {
		fmt.Fprintf(w, "  %-38s %-10d\n", e.Kind+":", e.Count)
		fmt.Fprintf(w, "    first: %s\n", oneLine(e.First, 120))
	}
	if m.Canceled > 0 {
		fmt.Fprintf(w, "%-40s %-10d\n", "Canceled requests:", m.Canceled)
	}
	row := func(label string, s metrics.Summary) {
		fmt.Fprintf(w, "%-40s %.2f / %.2f\n", label, ms(s.Median), ms(p99(s)))
	}
	row("Queue wait p50/p99 (ms):", m.QueueWait)
	row("Schedule lag p50/p99 (ms):", m.ScheduleLag)
	row("TTFT from schedule p50/p99 (ms):", m.TTFTFromScheduled)
	row("E2EL from schedule p50/p99 (ms):", m.E2ELFromScheduled)
	fmt.Fprintf(w, "%-40s %.2f\n", "Output tokens per chunk:", m.OutputTokensPerChunk)
	if m.TokenITL.Count > 0 {
		row("Token-level ITL p50/p99 (ms):", m.TokenITL)
	}
	fmt.Fprintf(w, "%-40s %.2f\n", "Client CPU (s):", o.ClientCPU.Seconds())
	if o.Simulated {
		fmt.Fprintln(w, "SIMULATED: the server is loadgen's simulated server; these numbers measure nothing real.")
	}
	if o.Headroom != "" {
		fmt.Fprintln(w, "WARNING: "+o.Headroom)
	}
	if o.Partial {
		fmt.Fprintln(w, "PARTIAL: the run stopped early: "+o.StopReason)
	}
	fmt.Fprintln(w, strings.Repeat("=", 50))
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// center pads s with c on both sides to width n, as Python's format
// alignment "^" does: the odd character of padding goes on the right.
func center(s string, n int, c byte) string {
	pad := n - len(s)
	if pad <= 0 {
		return s
	}
	left := pad / 2
	return strings.Repeat(string(c), left) + s + strings.Repeat(string(c), pad-left)
}

var (
	reservedOnce sync.Once
	reserved     map[string]bool
	metricKey    = regexp.MustCompile(`^(mean|median|std|max|p[0-9.e+-]+)_[a-z_]+_ms$`)
)

// Reserved tells whether loadgen writes key itself, so that --metadata
// must not use it: the original let metadata overwrite result keys (or be
// overwritten by them), which silently corrupted either.
func Reserved(key string) bool {
	reservedOnce.Do(func() {
		reserved = map[string]bool{}
		conc := 1
		s := Setup{ModelID: "m", MaxConcurrency: &conc, SelectedMetrics: MetricNames, Percentiles: []float64{99},
			Goodput: true, Detailed: true, RequestRate: 1, Burstiness: 1}
		m := metrics.NewAggregator(metrics.Config{NumRequests: 1, Detailed: true}).Finish(s.Percentiles)
		for _, k := range Build(s, Outcome{}, m).Keys() {
			reserved[k] = true
		}
	})
	return reserved[key] || metricKey.MatchString(key)
}
