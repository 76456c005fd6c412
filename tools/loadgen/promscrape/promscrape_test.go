package promscrape

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/golden"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/aiperf"
)

// vllmText is /metrics as vLLM (prometheus_client) writes it, with the
// counter's _total name, its _created companion, a histogram, a gauge, an
// untyped metric and a summary.
func vllmText(hits, queries, prompt float64, usage float64, ttftCount int) string {
	return fmt.Sprintf(`# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="m"} %v
# HELP vllm:prefix_cache_hits_created Prefix cache hits, in terms of number of cached tokens.
# TYPE vllm:prefix_cache_hits_created gauge
vllm:prefix_cache_hits_created{engine="0",model_name="m"} 1.7e+09
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="m"} %v
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="m"} %v
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m"} %v
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="m"} %d
vllm:time_to_first_token_seconds_bucket{le="1.0",model_name="m"} %d
vllm:time_to_first_token_seconds_bucket{le="+Inf",model_name="m"} %d
vllm:time_to_first_token_seconds_count{model_name="m"} %d
vllm:time_to_first_token_seconds_sum{model_name="m"} %v
# TYPE process_open_fds untyped
process_open_fds 12
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4
rpc_duration_seconds_sum 10
rpc_duration_seconds_count 3
`, hits, queries, prompt, usage, ttftCount/2, ttftCount, ttftCount, ttftCount, float64(ttftCount)*0.3)
}

func ingestText(t testing.TB, e *endpoint, at time.Time, text string) {
	t.Helper()
	fams, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	e.record(at, time.Millisecond, []byte(text), fams, "", nil)
}

func scraperWith(t testing.TB, urls ...string) *Scraper {
	t.Helper()
	s, err := New(Config{URLs: urls, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var t0 = time.Unix(1_760_000_000, 0)

func TestMain(m *testing.M) {
	// The exports write local wall-clock times, as AIPerf does; the golden
	// files are in UTC.
	time.Local = time.UTC
	os.Exit(m.Run())
}

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// exportOf scrapes a scripted series of /metrics answers at the given
// seconds and exports the window [start, end] with 1 s slices.
func exportOf(t testing.TB, start, end float64, texts map[float64]string) *aiperf.ServerMetrics {
	t.Helper()
	s := scraperWith(t, "http://server:8000/metrics")
	e := s.endpoints[0]
	var secs []float64
	for sec := range texts {
		secs = append(secs, sec)
	}
	for i := range secs {
		for j := i + 1; j < len(secs); j++ {
			if secs[j] < secs[i] {
				secs[i], secs[j] = secs[j], secs[i]
			}
		}
	}
	for _, sec := range secs {
		ingestText(t, e, at(sec), texts[sec])
	}
	return s.Export(Window{Start: at(start), End: at(end), Slice: time.Second}, "bench-1")
}

func validate(t testing.TB, doc any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ValidateJSON(schemas.AIPerfServerMetrics, b); err != nil {
		t.Fatalf("export breaks its schema: %v", err)
	}
	return b
}

func TestExportNamesAndStats(t *testing.T) {
	// Warmup before 10 s moved the counters to 100/200/1000; the profiling
	// window [10, 13] adds 800 hits of 1000 queries, with a server restart
	// (the counters drop) at 12 s.
	out := exportOf(t, 10, 13, map[float64]string{
		9:    vllmText(100, 200, 1000, 0.1, 10),
		10:   vllmText(300, 450, 2000, 0.2, 20),
		11:   vllmText(600, 800, 4000, 0.4, 40),
		12:   vllmText(50, 100, 500, 0.6, 4),
		13:   vllmText(400, 550, 1500, 0.8, 10),
		20.5: vllmText(9000, 9000, 9000, 1, 99), // after the window
	})
	names := map[string]string{}
	for n, f := range out.Metrics {
		names[n] = f.Type
	}
	want := map[string]string{"vllm:prefix_cache_hits": "counter", "vllm:prefix_cache_queries": "counter", "vllm:prompt_tokens": "counter",
		"vllm:kv_cache_usage_perc": "gauge", "vllm:time_to_first_token_seconds": "histogram", "process_open_fds": "unknown"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("families %v\nwant %v", names, want)
	}
	series := func(name string) aiperf.Series {
		f := out.Metrics[name]
		if f == nil || len(f.Series) != 1 {
			t.Fatalf("%s: %+v", name, f)
		}
		return f.Series[0]
	}
	hits := series("vllm:prefix_cache_hits")
	// 100 → 300 → 600, restart to 50, → 400: 200 + 300 + 50 + 350.
	if hits.Stats["total"] != 900 || hits.Stats["rate"] != 900.0/4 {
		t.Errorf("hits stats %v", hits.Stats)
	}
	if hits.EndpointURL != "http://server:8000/metrics" || hits.Labels["engine"] != "0" {
		t.Errorf("series identity %q %v", hits.EndpointURL, hits.Labels)
	}
	// Whole 1 s slices from 10 s: [10,11) holds the 10 s scrape (200 since 9 s), [11,12) 300, [12,13) 50; the
	// last, [13,13], is empty and left out.
	if got := len(hits.Timeslices); got != 3 || *hits.Timeslices[1].Total != 300 || *hits.Timeslices[2].Rate != 50 {
		t.Errorf("hit timeslices %+v", hits.Timeslices)
	}
	if hits.Stats["rate_avg"] != (200.0+300+50)/3 || hits.Stats["rate_max"] != 300 {
		t.Errorf("rate stats %v", hits.Stats)
	}
	usage := series("vllm:kv_cache_usage_perc")
	if usage.Stats["avg"] != 0.5 || usage.Stats["min"] != 0.2 || usage.Stats["max"] != 0.8 || math.Abs(usage.Stats["p50"]-0.5) > 1e-12 {
		t.Errorf("gauge stats %v", usage.Stats)
	}
	if out.Metrics["vllm:kv_cache_usage_perc"].Unit != "ratio" || out.Metrics["vllm:prompt_tokens"].Unit != "tokens" {
		t.Error("units not inferred")
	}
	ttft := series("vllm:time_to_first_token_seconds")
	// count 10 → 20 → 40 → 4 → 10: 10 + 20 + 4 + 6 = 40.
	if ttft.Stats["count"] != 40 || math.Abs(ttft.Stats["sum"]-12) > 1e-9 || math.Abs(ttft.Stats["avg"]-0.3) > 1e-9 {
		t.Errorf("histogram stats %v", ttft.Stats)
	}
	if ttft.Buckets["+Inf"] != 40 || ttft.Buckets["0.1"] != 20 || ttft.Buckets["1.0"] != 40 {
		t.Errorf("buckets %v", ttft.Buckets)
	}
	// Half the observations are under 0.1 s: the median estimate is 0.1.
	if math.Abs(ttft.Stats["p50_estimate"]-0.1) > 1e-9 {
		t.Errorf("p50 estimate %v", ttft.Stats["p50_estimate"])
	}
	info := out.Summary.EndpointInfo["http://server:8000/metrics"]
	if info.TotalFetches != 6 || info.FailedFetches != 0 || info.UniqueUpdates != 6 || *info.MedianUpdateIntervalMS != 1000 {
		t.Errorf("endpoint info %+v", info)
	}
	golden.Check(t, filepath.Join("testdata", "vllm.server_metrics_export.json"), validate(t, out))
}

func TestQuantile(t *testing.T) {
	bounds := []float64{1, 2, 4, math.Inf(1)}
	cases := []struct {
		q    float64
		cum  []float64
		want float64
	}{
		{0.5, []float64{0, 10, 10, 10}, 1.5},
		{0.25, []float64{4, 8, 8, 8}, 0.5},
		{0.99, []float64{0, 0, 5, 10}, 4}, // falls in +Inf: the last finite bound
		{0.5, []float64{0, 0, 0, 0}, math.NaN()},
	}
	for _, c := range cases {
		got := quantile(c.q, bounds, c.cum)
		if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("q=%v %v: %v, want %v", c.q, c.cum, got, c.want)
		}
	}
	if leLabel(1) != "1.0" || leLabel(0.25) != "0.25" || leLabel(math.Inf(1)) != "+Inf" || leLabel(1e20) != "1e+20" {
		t.Error("le labels")
	}
}

// TestScrapeFailuresAreCounted serves /metrics that is missing, garbage,
// JSON, empty and unreachable: each is a failure of its kind, with its
// first message, and the good endpoint is still collected.
func TestScrapeFailuresAreCounted(t *testing.T) {
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, vllmText(float64(10*n.Add(1)), 100, 100, 0.5, 2))
	})
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>this is not prometheus{{{\n") })
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"iter": 1}]`)
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "# nothing here\n") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/metrics"
	dead.Close()
	s, err := New(Config{URLs: []string{srv.URL + "/good", srv.URL + "/missing", srv.URL + "/garbage", srv.URL + "/json",
		srv.URL + "/empty", deadURL}, Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	s.Run(ctx)
	cancel()
	failed, total := s.Failures()
	if total < 12 || failed != total-total/6 {
		t.Errorf("%d of %d scrapes failed; want all but the good endpoint's", failed, total)
	}
	errs := strings.Join(s.Errors(), "\n")
	for _, want := range []string{"/missing: ", "× http_status (first: GET " + srv.URL + "/missing: HTTP 404 Not Found",
		"/garbage: ", "× parse (first: not the Prometheus text format", "× content_type (first: GET " + srv.URL + "/json: content type application/json",
		"× empty (first: the answer holds no metric)", "× connect (first: "} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors lack %q:\n%s", want, errs)
		}
	}
	out := s.Export(Window{Start: start, End: time.Now()}, "b")
	if len(out.Summary.EndpointsSuccessful) != 1 || out.Metrics["vllm:prefix_cache_hits"] == nil {
		t.Errorf("the good endpoint was not collected: %+v", out.Summary.EndpointsSuccessful)
	}
	if st := out.Metrics["vllm:prefix_cache_hits"].Series[0].Stats; st["total"] <= 0 || st["rate"] <= 0 {
		t.Errorf("a counter that rose every scrape: %v", st)
	}
	validate(t, out)
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"localhost:8000/metrics", "ftp://x/metrics", "http:///metrics", "::"} {
		if _, err := New(Config{URLs: []string{u}, Interval: time.Second}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := New(Config{Interval: 0}); err == nil {
		t.Error("zero interval accepted")
	}
}

// TestUpstreamAdaptersReadTheExport checks what upstream's agentic
// aggregation (utils/agentic/aggregation/server_metrics.py, run by
// scripts/gen-agentic-servermetrics-golden.py on the golden export above)
// made of it: the numbers the scrapes imply.
func TestUpstreamAdaptersReadTheExport(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "vllm.upstream-server-metrics.json"))
	if err != nil {
		t.Fatalf("%v (scripts/gen-agentic-servermetrics-golden.py writes it)", err)
	}
	var got struct {
		Adapter string `json:"adapter"`
		Cache   struct {
			GPUCacheHitRate float64 `json:"gpu_cache_hit_rate"`
			Hits            float64 `json:"prefix_cache_hits"`
			Queries         float64 `json:"prefix_cache_queries"`
		} `json:"cache"`
		KVCache struct {
			GPUUsage float64 `json:"gpu_usage_pct"`
		} `json:"kv_cache"`
		Tokens struct {
			Prompt int `json:"prompt_total"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	// From TestExportNamesAndStats's scrapes: 900 hits of 200 → 450 → 800
	// → 100 → 550 queries (250 + 350 + 100 + 450 = 1150), prompt tokens
	// 1000 + 2000 + 500 + 1000, the largest usage 0.8.
	if got.Adapter != "vllm" || got.Cache.Hits != 900 || got.Cache.Queries != 1150 || math.Abs(got.Cache.GPUCacheHitRate-900.0/1150) > 1e-9 ||
		got.KVCache.GPUUsage != 0.8 || got.Tokens.Prompt != 4500 {
		t.Errorf("upstream read %+v", got)
	}
}

// frameworkCases are /metrics of SGLang, ATOM and Dynamo, scraped at 0 s
// (before the window) and 1 s (in it): the families upstream's adapters
// for those servers read.
var frameworkCases = []struct {
	name         string
	before, last string
	check        func(t *testing.T, up map[string]any)
}{
	{"sglang", `# TYPE sglang:prompt_tokens_total counter
sglang:prompt_tokens_total{model_name="m"} 1000
# TYPE sglang:cached_tokens_total counter
sglang:cached_tokens_total{cache_source="device",model_name="m"} 100
sglang:cached_tokens_total{cache_source="host",model_name="m"} 0
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="m"} 0.2
# TYPE sglang:max_total_num_tokens gauge
sglang:max_total_num_tokens{model_name="m"} 500000
`, `# TYPE sglang:prompt_tokens_total counter
sglang:prompt_tokens_total{model_name="m"} 11000
# TYPE sglang:cached_tokens_total counter
sglang:cached_tokens_total{cache_source="device",model_name="m"} 6100
sglang:cached_tokens_total{cache_source="host",model_name="m"} 2000
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="m"} 0.7
# TYPE sglang:max_total_num_tokens gauge
sglang:max_total_num_tokens{model_name="m"} 500000
`, func(t *testing.T, up map[string]any) {
		cache := up["cache"].(map[string]any)
		if up["adapter"] != "sglang" || cache["gpu_cache_hit_rate"] != 0.6 || cache["cpu_cache_hit_rate"] != 0.2 ||
			cache["overall_cache_hit_rate"] != 0.8 || up["kv_cache"].(map[string]any)["gpu_usage_pct"] != 0.7 ||
			up["kv_cache"].(map[string]any)["gpu_total_tokens"] != 500000.0 {
			t.Errorf("upstream read %v", up)
		}
	}},
	{"atom", `# TYPE atom:prefix_cache_cached_tokens_total counter
atom:prefix_cache_cached_tokens_total 0
# TYPE atom:prefix_cache_full_tokens_total counter
atom:prefix_cache_full_tokens_total 0
# TYPE atom:kv_cache_usage_ratio gauge
atom:kv_cache_usage_ratio 0.1
`, `# TYPE atom:prefix_cache_cached_tokens_total counter
atom:prefix_cache_cached_tokens_total 300
# TYPE atom:prefix_cache_full_tokens_total counter
atom:prefix_cache_full_tokens_total 1200
# TYPE atom:kv_cache_usage_ratio gauge
atom:kv_cache_usage_ratio 0.45
`, func(t *testing.T, up map[string]any) {
		cache := up["cache"].(map[string]any)
		if up["adapter"] != "atom" || cache["gpu_cache_hit_rate"] != 0.25 || up["kv_cache"].(map[string]any)["gpu_usage_pct"] != 0.45 {
			t.Errorf("upstream read %v", up)
		}
	}},
	{"dynamo", `# TYPE dynamo_frontend_cached_tokens_total counter
dynamo_frontend_cached_tokens_total{model="m"} 10
# TYPE dynamo_frontend_input_sequence_tokens histogram
dynamo_frontend_input_sequence_tokens_bucket{model="m",le="1000"} 1
dynamo_frontend_input_sequence_tokens_bucket{model="m",le="+Inf"} 2
dynamo_frontend_input_sequence_tokens_sum{model="m"} 3000
dynamo_frontend_input_sequence_tokens_count{model="m"} 2
# TYPE dynamo_component_gpu_cache_usage_percent gauge
dynamo_component_gpu_cache_usage_percent{dynamo_component="backend"} 30
`, `# TYPE dynamo_frontend_cached_tokens_total counter
dynamo_frontend_cached_tokens_total{model="m"} 4010
# TYPE dynamo_frontend_input_sequence_tokens histogram
dynamo_frontend_input_sequence_tokens_bucket{model="m",le="1000"} 3
dynamo_frontend_input_sequence_tokens_bucket{model="m",le="+Inf"} 12
dynamo_frontend_input_sequence_tokens_sum{model="m"} 13000
dynamo_frontend_input_sequence_tokens_count{model="m"} 12
# TYPE dynamo_component_gpu_cache_usage_percent gauge
dynamo_component_gpu_cache_usage_percent{dynamo_component="backend"} 55
`, func(t *testing.T, up map[string]any) {
		cache := up["cache"].(map[string]any)
		if up["adapter"] != "dynamo-vllm" || cache["frontend_cache_hit_rate"] != 0.4 || cache["frontend_cached_tokens"] != 4000.0 ||
			up["kv_cache"].(map[string]any)["gpu_usage_pct"] != 0.55 || up["tokens"].(map[string]any)["prompt_total"] != 10000.0 {
			t.Errorf("upstream read %v", up)
		}
	}},
}

// TestFrameworkExports writes the golden export of each server's metrics
// and checks what upstream's adapters made of it (see
// TestUpstreamAdaptersReadTheExport).
func TestFrameworkExports(t *testing.T) {
	for _, c := range frameworkCases {
		t.Run(c.name, func(t *testing.T) {
			out := exportOf(t, 0.5, 1, map[float64]string{0: c.before, 1: c.last})
			golden.Check(t, filepath.Join("testdata", c.name+".server_metrics_export.json"), validate(t, out))
			b, err := os.ReadFile(filepath.Join("testdata", c.name+".upstream-server-metrics.json"))
			if err != nil {
				t.Fatalf("%v (scripts/gen-agentic-servermetrics-golden.py writes it)", err)
			}
			var up map[string]any
			if err := json.Unmarshal(b, &up); err != nil {
				t.Fatal(err)
			}
			if w, _ := up["warnings"].([]any); len(w) > 0 {
				t.Errorf("upstream warned: %v", w)
			}
			c.check(t, up)
		})
	}
}

// FuzzParse feeds arbitrary /metrics bodies through parsing, collection
// and export: nothing panics, and what is exported is valid JSON by its
// schema.
func FuzzParse(f *testing.F) {
	f.Add(vllmText(1, 2, 3, 0.5, 4), vllmText(5, 6, 7, 0.1, 8))
	f.Add("# TYPE x counter\nx NaN\n", "# TYPE x counter\nx +Inf\n")
	f.Add("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum -3\n", "h_bucket{le=\"1\"} 1\n")
	f.Add("sglang:cached_tokens_total{cache_source=\"device\"} 5\n", "atom:kv_cache_usage_ratio 1e308\n")
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		s := scraperWith(t, "http://x/metrics")
		e := s.endpoints[0]
		for i, text := range []string{a, b, a} {
			fams, err := Parse([]byte(text))
			e.record(at(float64(i)), time.Millisecond, []byte(text), fams, FailParse, err)
		}
		out := s.Export(Window{Start: at(0), End: at(2), Slice: 700 * time.Millisecond}, "b")
		data, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("export does not marshal: %v", err)
		}
		if err := v.ValidateJSON(schemas.AIPerfServerMetrics, data); err != nil {
			t.Fatalf("export breaks its schema: %v\n%s", err, data)
		}
	})
}
