package result

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/golden"

	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
)

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// sample is a small run with known numbers: two completed requests, one
// failure, through the real Aggregator.
func sample(detailed bool) (Setup, Outcome, metrics.Metrics) {
	conc := 4
	start := time.Date(2026, 2, 5, 10, 15, 0, 0, time.UTC)
	s := Setup{
		Date: start.Add(3 * time.Second), Backend: "vllm", ModelID: "deepseek-ai/DeepSeek-R1", TokenizerID: "deepseek-ai/DeepSeek-R1",
		BestOf: 1, NumPrompts: 3, Metadata: []KV{{"tp", "8"}, {"exp_name", "dsr1_1k1k"}},
		RequestRate: math.Inf(1), Burstiness: 1, MaxConcurrency: &conc,
		SelectedMetrics: []string{"ttft", "tpot", "itl", "e2el"}, Percentiles: []float64{90, 99, 99.9},
		Detailed: detailed, NumWarmups: 8, RequestTimeout: time.Hour, StallTimeout: 300 * time.Second,
	}
	a := metrics.NewAggregator(metrics.Config{NumRequests: 3, Detailed: detailed, Lengths: true})
	ms := time.Millisecond
	a.Add(&metrics.Request{Index: 0, PromptLen: 1024, Sent: true, Success: true, OutputTokens: 3, ServerPromptTokens: 1024,
		Eligible: 0, SentAt: ms / 10, FirstToken: 100 * ms, LastToken: 140 * ms, ITL: []float64{0.02, 0.02}, Chunks: 3, Text: " a b c"})
	a.Add(&metrics.Request{Index: 1, PromptLen: 1000, Sent: true, Success: true, OutputTokens: 2, ServerPromptTokens: -1,
		Eligible: 140 * ms, SentAt: 141 * ms, FirstToken: 250 * ms, LastToken: 275 * ms, ITL: []float64{0.025}, Chunks: 2, Text: " d e"})
	a.Add(&metrics.Request{Index: 2, PromptLen: 1010, Sent: true, ErrKind: "http_status", Err: "HTTP 500 Internal Server Error", ServerPromptTokens: -1})
	o := Outcome{Duration: 2 * time.Second, Start: start, End: start.Add(2 * time.Second), ClientCPU: 50 * ms, ClientProcs: 2,
		Simulated: true}
	return s, o, a.Finish(s.Percentiles)
}

func validator(t *testing.T) *schemas.Validator {
	t.Helper()
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestResultDocument(t *testing.T) {
	for _, detailed := range []bool{false, true} {
		s, o, m := sample(detailed)
		data, err := Encode(validator(t), Build(s, o, m))
		if err != nil {
			t.Fatal(err)
		}
		name := "result.json"
		if detailed {
			name = "result-detailed.json"
		}
		checkGolden(t, name, data)
	}
}

// The original's keys, in its order, for this setup: written by reading
// benchmark_serving.py's main() and benchmark() of upstream main (which
// added the two wall-clock times to those of f0e131f2e).
var originalKeys = []string{"date", "backend", "model_id", "tokenizer_id", "best_of", "num_prompts", "tp", "exp_name",
	"request_rate", "burstiness", "max_concurrency", "duration", "benchmark_start_time_unix", "benchmark_end_time_unix",
	"completed", "total_input_tokens", "total_output_tokens", "request_throughput", "request_goodput:", "output_throughput",
	"total_token_throughput"}

func keysOf(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %v", err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestKeyOrderIsTheOriginals(t *testing.T) {
	for _, detailed := range []bool{false, true} {
		s, o, m := sample(detailed)
		data, err := Encode(validator(t), Build(s, o, m))
		if err != nil {
			t.Fatal(err)
		}
		keys := keysOf(t, data)
		want := append([]string{}, originalKeys...)
		// Upstream main keeps the lengths without --save-detailed too.
		want = append(want, "input_lens", "output_lens")
		if detailed {
			want = append(want, "ttfts", "itls", "generated_texts", "errors")
		}
		for _, n := range []string{"ttft", "tpot", "itl", "e2el"} {
			want = append(want, "mean_"+n+"_ms", "median_"+n+"_ms", "std_"+n+"_ms", "p90_"+n+"_ms", "p99_"+n+"_ms", "p99.9_"+n+"_ms")
		}
		if len(keys) < len(want) {
			t.Fatalf("only %d keys", len(keys))
		}
		for i, k := range want {
			if keys[i] != k {
				t.Fatalf("detailed %v: key %d is %q, the original has %q there\n got %v", detailed, i, keys[i], k, keys[:len(want)])
			}
		}
		if keys[len(want)] != "simulated" {
			t.Errorf("loadgen's keys should follow the original's, got %q next", keys[len(want)])
		}
	}
}

// TestWallClockBoundsAgreeWithDuration: upstream main's start and end
// times are the run's wall-clock bounds, and their difference is the
// duration (to well within a millisecond).
func TestWallClockBoundsAgreeWithDuration(t *testing.T) {
	s, o, m := sample(false)
	o.Duration = 1234567891 * time.Nanosecond
	o.End = o.Start.Add(time.Hour) // an End off the start's clock is not used
	r := Build(s, o, m)
	start, _ := r.Get("benchmark_start_time_unix")
	end, _ := r.Get("benchmark_end_time_unix")
	dur, _ := r.Get("duration")
	if start.(float64) != float64(o.Start.UnixNano())/1e9 {
		t.Errorf("start %v, want %v", start, float64(o.Start.UnixNano())/1e9)
	}
	if d := end.(float64) - start.(float64) - dur.(float64); math.Abs(d) > 1e-6 {
		t.Errorf("end - start - duration = %v s", d)
	}
}

// The original's process_result.py (and resultproc) turn every top-level
// key ending in "ms", and every one naming tpot, into a processed metric:
// loadgen's own keys must stay out of that.
func TestExtraKeysStayOutOfResultProcessing(t *testing.T) {
	s, o, m := sample(true)
	keys := Build(s, o, m).Keys()
	start := len(originalKeys) + 6 + 4*6 // the original's keys, detailed arrays, 4 metrics × 6 stats
	if keys[start] != "simulated" {
		t.Fatalf("extras start at %q", keys[start])
	}
	for _, k := range keys[start:] {
		if strings.HasSuffix(k, "ms") || strings.Contains(k, "tpot") {
			t.Errorf("extra key %q would be processed as a metric", k)
		}
	}
}

func TestMetadataOverridingAKeyKeepsItsPlace(t *testing.T) {
	// As in Python's dict: a key set again keeps its first position.
	s, o, m := sample(false)
	s.Metadata = []KV{{"backend", "custom"}, {"zz", "1"}}
	keys := Build(s, o, m).Keys()
	if keys[1] != "backend" || keys[6] != "zz" {
		t.Errorf("keys %v", keys[:8])
	}
}

func TestNoNaNWhenNothingCompleted(t *testing.T) {
	s, o, _ := sample(false)
	a := metrics.NewAggregator(metrics.Config{NumRequests: 1})
	a.Add(&metrics.Request{Index: 0, Sent: true, ErrKind: "connect", Err: "refused", ServerPromptTokens: -1})
	if _, err := Encode(validator(t), Build(s, o, a.Finish(s.Percentiles))); err != nil {
		t.Fatal(err)
	}
}

func TestSummaryBlock(t *testing.T) {
	s, o, m := sample(false)
	s.Goodput = true
	var b bytes.Buffer
	PrintSummary(&b, s, o, m)
	PrintHealth(&b, o, m)
	checkGolden(t, "summary.txt", b.Bytes())
	first := strings.SplitN(b.String(), "\n", 2)[0]
	if first != "============ Serving Benchmark Result ============" {
		t.Errorf("header %q", first)
	}
	if !strings.Contains(b.String(), "Successful requests:                     2         \n") {
		t.Errorf("left-aligned value columns are padded to 10 as Python's {:<10}")
	}
}

// format.json is written by testdata/gen_format_golden.py with Python's own
// str.format.
func TestFormattingMatchesPython(t *testing.T) {
	data, err := os.ReadFile("testdata/format.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Floats [][2]string `json:"floats"`
		Ints   [][2]any    `json:"ints"`
		Center [][3]string `json:"center"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Floats {
		x, err := strconv.ParseFloat(c[0], 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%-10.2f", x); got != c[1] {
			t.Errorf("%v: %q, Python %q", x, got, c[1])
		}
	}
	for _, c := range g.Ints {
		if got := fmt.Sprintf("%-10v", int64(c[0].(float64))); got != c[1] {
			t.Errorf("%v: %q, Python %q", c[0], got, c[1])
		}
	}
	for _, c := range g.Center {
		if got := center(c[0], 50, c[1][0]); got != c[2] {
			t.Errorf("%q: %q, Python %q", c[0], got, c[2])
		}
	}
}

func TestFileName(t *testing.T) {
	s, _, _ := sample(false)
	if got := FileName(s); got != "vllm-infqps-concurrency4-DeepSeek-R1-20260205-101503.json" {
		t.Errorf("got %s", got)
	}
	s.RequestRate, s.MaxConcurrency = 10, nil
	if got := FileName(s); got != "vllm-10.0qps-DeepSeek-R1-20260205-101503.json" {
		t.Errorf("got %s", got)
	}
}

func TestPercentileWord(t *testing.T) {
	for p, want := range map[float64]string{99: "99", 99.9: "99.9", 50: "50", 0.5: "0.5", 99.99: "99.99", 100: "100"} {
		if got := PercentileWord(p); got != want {
			t.Errorf("%v: %s, want %s", p, got, want)
		}
	}
}

func TestWriteIsAtomicAndValidated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	s, o, m := sample(false)
	if err := Write(validator(t), path, Build(s, o, m)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	// A document that breaks the schema is not written.
	doc := Build(s, o, m)
	doc.Set("completed", -1)
	bad := filepath.Join(dir, "bad.json")
	if err := Write(validator(t), bad, doc); err == nil || !strings.Contains(err.Error(), "/completed") {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("an invalid result was written")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestReservedKeys(t *testing.T) {
	for _, k := range []string{"date", "num_prompts", "duration", "p99_ttft_ms", "p99.9_itl_ms", "simulated", "queue_wait", "input_lens"} {
		if !Reserved(k) {
			t.Errorf("%s should be reserved", k)
		}
	}
	for _, k := range []string{"tp", "exp_name", "image", "framework"} {
		if Reserved(k) {
			t.Errorf("%s should be free for --metadata", k)
		}
	}
}
