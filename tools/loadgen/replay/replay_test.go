package replay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/aiperf"
	"github.com/inferencex/inferencex-go/tools/loadgen/hfhub"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
)

// seen is one request as the fake server got it.
type seen struct {
	at, done  time.Time
	model     string
	maxTokens int
	ignoreEOS bool
	corr      string
	msgs      []message
	body      []byte
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// fakeServer answers chat completions as vLLM frames them, after ttft, one
// chunk per token (at most max tokens), and records every request.
type fakeServer struct {
	mu      sync.Mutex
	reqs    []*seen
	ttft    time.Duration
	step    time.Duration
	respond func(s *seen, n int) (int, string) // a status and body instead of a stream; 0 to stream
	metrics string                             // /metrics; "" answers 404
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics" {
		if f.metrics == "" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, f.metrics)
		return
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(r.Body)
	var req struct {
		Model     string    `json:"model"`
		Messages  []message `json:"messages"`
		MaxTokens int       `json:"max_completion_tokens"`
		IgnoreEOS bool      `json:"ignore_eos"`
	}
	if err := json.Unmarshal(body.Bytes(), &req); err != nil {
		http.Error(w, "bad json: "+err.Error(), http.StatusBadRequest)
		return
	}
	s := &seen{at: time.Now(), model: req.Model, maxTokens: req.MaxTokens, ignoreEOS: req.IgnoreEOS,
		corr: r.Header.Get("X-Correlation-ID"), msgs: req.Messages, body: body.Bytes()}
	f.mu.Lock()
	f.reqs = append(f.reqs, s)
	n := len(f.reqs)
	f.mu.Unlock()
	if f.respond != nil {
		if status, msg := f.respond(s, n); status != 0 {
			http.Error(w, msg, status)
			f.mu.Lock()
			s.done = time.Now()
			f.mu.Unlock()
			return
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	time.Sleep(f.ttft)
	fmt.Fprint(w, `data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`+"\n\n")
	tokens := max(1, min(req.MaxTokens, 4))
	for i := range tokens {
		if i > 0 {
			time.Sleep(f.step)
		}
		fmt.Fprintf(w, `data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" w%d"}}]}`+"\n\n", i)
		fl.Flush()
	}
	fmt.Fprintf(w, `data: {"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":%d,"total_tokens":9}}`+"\n\ndata: [DONE]\n\n", tokens)
	fl.Flush()
	f.mu.Lock()
	s.done = time.Now()
	f.mu.Unlock()
}

func (f *fakeServer) requests() []*seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*seen(nil), f.reqs...)
}

func demoTokenizer(context.Context, string) (*tokenizer.Tokenizer, error) {
	return tokenizer.Load(filepath.Join("..", "bench", "testdata", "tinytok"))
}

type outcome struct {
	status         int
	stdout, stderr string
	dir            string
	records        []aiperf.Record
	agg            map[string]any
}

// replayWith runs `loadgen replay` in process on traces (JSONL) against srv.
func replayWith(t *testing.T, srv http.Handler, traces string, edit func(*Options)) outcome {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "traces.jsonl")
	if err := os.WriteFile(in, []byte(traces), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	o := Defaults()
	o.URL, o.Models, o.Concurrency, o.InputFile = ts.URL, []string{"served"}, 1, &in
	o.ArtifactDir, o.Duration, o.StatsEvery, o.GracePeriod = filepath.Join(dir, "art"), 1, 0, 5
	o.StartMin, o.StartMax = 0, 0
	bid := "test-run"
	o.BenchmarkID = &bid
	if edit != nil {
		edit(&o)
	}
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	status := Run(context.Background(), &o, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" },
		Validator: v, LoadTokenizer: demoTokenizer})
	out := outcome{status: status, stdout: stdout.String(), stderr: stderr.String(), dir: o.ArtifactDir}
	if f, err := os.Open(filepath.Join(o.ArtifactDir, aiperf.RecordsFile)); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var r aiperf.Record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			out.records = append(out.records, r)
		}
		f.Close()
	}
	if b, err := os.ReadFile(filepath.Join(o.ArtifactDir, aiperf.AggregateFile)); err == nil {
		if err := json.Unmarshal(b, &out.agg); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (o outcome) metric(tag string) float64 {
	m, _ := o.agg[tag].(map[string]any)
	v, _ := m["avg"].(float64)
	return v
}

func (o outcome) loadgen(key string) any {
	m, _ := o.agg["loadgen"].(map[string]any)
	return m[key]
}

// traceJSON builds a one-line trace from request entries.
func traceJSON(id string, entries ...string) string {
	return fmt.Sprintf(`{"id": %q, "models": ["opus", "haiku"], "block_size": 4, "hash_id_scope": "local", "requests": [%s]}`,
		id, strings.Join(entries, ", ")) + "\n"
}

func req(t float64, model string, in, out int, think float64, ids ...int) string {
	b, _ := json.Marshal(ids)
	return fmt.Sprintf(`{"t": %v, "type": "n", "model": %q, "in": %d, "out": %d, "hash_ids": %s, "api_time": 0.01, "think_time": %v}`,
		t, model, in, out, b, think)
}

func sub(id, status string, reqs ...string) string {
	return fmt.Sprintf(`{"t": 0.5, "type": "subagent", "agent_id": %q, "subagent_type": "Explore", "status": %q, "models": ["haiku"], "requests": [%s]}`,
		id, status, strings.Join(reqs, ", "))
}

// TestSessionTreeOnTheWire replays one trace with a blocking subagent and
// checks what the server received: the warmup primer, the subagent's
// requests before the parent's next turn, the parent's growing history,
// the marker, max tokens, ignore_eos and the model mapping.
func TestSessionTreeOnTheWire(t *testing.T) {
	srv := &fakeServer{ttft: 5 * time.Millisecond, step: time.Millisecond}
	trace := traceJSON("tr1",
		req(0, "opus", 40, 6, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
		sub("agent_1", "completed", req(0.6, "haiku", 30, 3, 0, 1, 50, 51, 52, 53, 54, 55, 56), req(1, "haiku", 44, 2, 0.05, 1, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59)),
		req(2, "opus", 60, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
		req(3, "opus", 80, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20))
	out := replayWith(t, srv, trace, func(o *Options) { o.Models = []string{"served-a", "served-b"}; o.Duration = 0.6 })
	if out.status != 0 {
		t.Fatalf("status %d\n%s\n%s", out.status, out.stdout, out.stderr)
	}
	reqs := srv.requests()
	if len(reqs) < 5 {
		t.Fatalf("%d requests", len(reqs))
	}
	primer, s0, s1, r1, r2 := reqs[0], reqs[1], reqs[2], reqs[3], reqs[4]
	if primer.maxTokens != 1 || len(primer.msgs) != 1 || primer.model != "served-a" {
		t.Errorf("primer: max %d, %d messages, model %s", primer.maxTokens, len(primer.msgs), primer.model)
	}
	marker := primer.msgs[0].Content[:len("[rid:000000000000]\n\n")]
	if !strings.HasPrefix(marker, "[rid:") || !strings.HasSuffix(marker, "]\n\n") {
		t.Fatalf("first message lacks the cache-bust marker: %q", primer.msgs[0].Content[:30])
	}
	if s0.model != "served-b" || s1.model != "served-b" || s0.corr == primer.corr || s0.corr != s1.corr {
		t.Errorf("subagent requests: models %s %s, correlation %s %s (root %s)", s0.model, s1.model, s0.corr, s1.corr, primer.corr)
	}
	if !strings.HasPrefix(s0.msgs[0].Content, marker) || len(s1.msgs) != 3 || s1.msgs[0].Content != s0.msgs[0].Content {
		t.Errorf("subagent history: %d messages; first shares the marker: %v", len(s1.msgs), strings.HasPrefix(s0.msgs[0].Content, marker))
	}
	if !r1.at.After(s1.done) {
		t.Errorf("the parent's next turn went out %v before the subagent it waits for finished", s1.done.Sub(r1.at))
	}
	if r1.corr != primer.corr || len(r1.msgs) != 3 || r1.msgs[0].Content != primer.msgs[0].Content ||
		r1.msgs[1].Role != "assistant" || r1.maxTokens != 5 || !r1.ignoreEOS || r1.model != "served-a" {
		t.Errorf("parent turn 1: %d messages, max %d, ignore_eos %v, model %s", len(r1.msgs), r1.maxTokens, r1.ignoreEOS, r1.model)
	}
	if len(r2.msgs) != 5 || r2.msgs[2].Content != r1.msgs[2].Content || r2.maxTokens != 4 {
		t.Errorf("parent turn 2: %d messages", len(r2.msgs))
	}
	// Each request's words: the trace's in, exactly (contents, marker aside).
	for i, want := range []int{40, 30, 44, 60, 80} {
		words := 0
		for j, m := range reqs[i].msgs {
			c := m.Content
			if j == 0 {
				c = strings.TrimPrefix(c, marker)
			}
			words += len(strings.Fields(c))
		}
		if words != want {
			t.Errorf("request %d has %d words, the trace says %d", i, words, want)
		}
	}
	// The records: the primer is warmup, the rest profiling, in AIPerf's shape.
	if len(out.records) < 5 || out.records[0].Metadata.BenchmarkPhase != aiperf.PhaseWarmup ||
		out.records[1].Metadata.BenchmarkPhase != aiperf.PhaseProfiling {
		t.Fatalf("records: %+v", out.records[:min(2, len(out.records))])
	}
	r := out.records[1]
	if r.Metadata.ConversationID != "tr1::sa:agent_1" || r.Metadata.TurnIndex != 0 || r.Metadata.AgentDepth != 1 ||
		r.Metadata.ParentCorrelationID == nil || *r.Metadata.ParentCorrelationID != out.records[0].Metadata.XCorrelationID ||
		r.Metadata.RootCorrelationID != out.records[0].Metadata.XCorrelationID {
		t.Errorf("subagent record metadata %+v", r.Metadata)
	}
	if r.Metrics["input_sequence_length"].Value != 30 || r.Metrics["time_to_first_token"].Unit != "ms" || r.Error != nil {
		t.Errorf("subagent record metrics %+v", r.Metrics)
	}
	if got := out.metric("request_count"); got < 4 {
		t.Errorf("request_count %v", got)
	}
}

// TestBackgroundSubagentHoldsTheLane: a subagent nothing waits for still
// keeps the lane until it finishes; the next play starts after it.
func TestBackgroundSubagentHoldsTheLane(t *testing.T) {
	srv := &fakeServer{}
	trace := traceJSON("bg",
		req(0, "opus", 8, 2, 0, 1, 2),
		req(1, "opus", 12, 2, 0, 1, 2, 3),
		sub("late", "completed", req(1.5, "haiku", 8, 2, 0.4, 1, 9)))
	out := replayWith(t, srv, trace, func(o *Options) { o.Duration = 1.2 })
	if out.status != 0 {
		t.Fatalf("status %d\n%s", out.status, out.stderr)
	}
	reqs := srv.requests()
	// primer (turn 0), subagent? no: the primer is turn 0 whose next entry
	// is turn 1; then turn 1, then the background subagent, then the next
	// play's turn 0.
	var bgDone time.Time
	next := -1
	for i, s := range reqs {
		if bgDone.IsZero() && s.maxTokens == 2 && len(s.msgs) == 1 && strings.Count(s.msgs[0].Content, " ") == 7 && i > 1 {
			bgDone = s.done
			continue
		}
		if !bgDone.IsZero() && s.corr != reqs[i-1].corr {
			next = i
			break
		}
	}
	if bgDone.IsZero() || next < 0 {
		t.Fatalf("no background subagent request and next play among %d requests", len(reqs))
	}
	if reqs[next].at.Before(bgDone) {
		t.Errorf("the lane took a new trace %v before its background subagent finished", bgDone.Sub(reqs[next].at))
	}
	if n := int(out.loadgen("trees_started").(float64)); n < 2 {
		t.Errorf("%d trees started", n)
	}
}

// TestThinkTimeAndIdleCaps: the recorded think time is waited, and the
// idle caps shorten it when nothing else is in flight.
func TestThinkTimeAndIdleCaps(t *testing.T) {
	trace := traceJSON("think", req(0, "opus", 8, 1, 0, 1, 2), req(5, "opus", 12, 1, 0.7, 1, 2, 3), req(9, "opus", 16, 1, 0.7, 1, 2, 3, 4))
	gap := func(srv *fakeServer) time.Duration {
		reqs := srv.requests()
		if len(reqs) < 3 {
			t.Fatalf("%d requests", len(reqs))
		}
		return reqs[2].at.Sub(reqs[1].done)
	}
	cases := []struct {
		name     string
		edit     func(*Options)
		min, max time.Duration
		jumps    string
	}{
		{"no cap", func(o *Options) { o.SysIdleCap = 0 }, 650 * time.Millisecond, 1500 * time.Millisecond, ""},
		{"system cap", func(o *Options) { o.SysIdleCap = 0.15 }, 100 * time.Millisecond, 500 * time.Millisecond, "system_idle_cap_jumps"},
		{"trace cap", func(o *Options) { o.SysIdleCap = 0; c := 0.15; o.TraceIdleCap = &c }, 100 * time.Millisecond, 500 * time.Millisecond, "trace_idle_cap_jumps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := &fakeServer{}
			out := replayWith(t, srv, trace, func(o *Options) { o.Duration = 2; c.edit(o) })
			if out.status != 0 {
				t.Fatalf("status %d\n%s", out.status, out.stderr)
			}
			if g := gap(srv); g < c.min || g > c.max {
				t.Errorf("think gap %v, want within [%v, %v]", g, c.min, c.max)
			}
			if c.jumps != "" && out.loadgen(c.jumps).(float64) < 1 {
				t.Errorf("%s = %v", c.jumps, out.loadgen(c.jumps))
			}
		})
	}
}

// TestFailuresAndOverflow: a server error is counted and the session goes
// on; a context overflow ends the session, is left out of the records and
// counted apart.
func TestFailuresAndOverflow(t *testing.T) {
	srv := &fakeServer{respond: func(s *seen, n int) (int, string) {
		switch {
		case len(s.msgs) == 3 && s.model == "served":
			return http.StatusInternalServerError, "boom"
		case len(s.msgs) == 7:
			return http.StatusBadRequest, `{"object":"error","message":"This model's maximum context length is 32 tokens. However, you requested 40 tokens."}`
		}
		return 0, ""
	}}
	trace := traceJSON("f", req(0, "opus", 8, 1, 0, 1, 2), req(1, "opus", 12, 1, 0, 1, 2, 3), req(2, "opus", 16, 1, 0, 1, 2, 3, 4),
		req(3, "opus", 20, 1, 0, 1, 2, 3, 4, 5), req(4, "opus", 24, 1, 0, 1, 2, 3, 4, 5, 6))
	out := replayWith(t, srv, trace, func(o *Options) { o.Duration = 0.4 })
	var sawError, sawAfterError, sawOverflowRecord bool
	for _, r := range out.records {
		if r.Error != nil {
			sawError = true
			if r.Error.Type != "http_status" || r.Error.Code == nil || *r.Error.Code != 500 || !strings.Contains(r.Error.Message, "boom") {
				t.Errorf("error %+v", r.Error)
			}
			if r.Error.Type == ErrContextOverflow {
				sawOverflowRecord = true
			}
		} else if sawError && r.Metadata.TurnIndex == 2 {
			sawAfterError = true
		}
	}
	if !sawError || !sawAfterError || sawOverflowRecord {
		t.Errorf("error recorded %v, session went on %v, overflow recorded %v", sawError, sawAfterError, sawOverflowRecord)
	}
	for _, s := range srv.requests() {
		if len(s.msgs) == 9 {
			t.Error("a request was sent after its session overflowed the context")
		}
	}
	if out.metric("context_overflow_count") < 1 || out.metric("error_request_count") < 1 {
		t.Errorf("overflows %v, errors %v", out.metric("context_overflow_count"), out.metric("error_request_count"))
	}
	summary, _ := out.agg["error_summary"].([]any)
	if len(summary) == 0 || !strings.Contains(fmt.Sprint(summary[0]), "boom") {
		t.Errorf("error summary %v", summary)
	}
}

// TestWarmupStartsAtTStar: with t* at half of a 10-turn trace, the primer
// is turn 4 with turns 0-3 as its history, K more warmup requests follow
// with one output token, and profiling goes on from there.
func TestWarmupStartsAtTStar(t *testing.T) {
	var entries []string
	for i := range 10 {
		ids := make([]int, i+2)
		for j := range ids {
			ids[j] = j
		}
		entries = append(entries, req(float64(i), "opus", 4*(i+2), 3, 0, ids...))
	}
	srv := &fakeServer{}
	out := replayWith(t, srv, traceJSON("long", entries...), func(o *Options) {
		o.StartMin, o.StartMax, o.WarmupPerLn, o.Duration = 0.5, 0.5, 2, 0.3
	})
	if out.status != 0 {
		t.Fatalf("status %d\n%s", out.status, out.stderr)
	}
	reqs := srv.requests()
	if len(reqs) < 4 || len(reqs[0].msgs) != 9 || reqs[0].maxTokens != 1 || reqs[1].maxTokens != 1 || reqs[2].maxTokens != 1 || reqs[3].maxTokens != 3 {
		t.Fatalf("first requests: %d messages, max tokens %d %d %d %d", len(reqs[0].msgs), reqs[0].maxTokens, reqs[1].maxTokens, reqs[2].maxTokens, reqs[3].maxTokens)
	}
	for i, want := range []struct {
		turn  int
		phase string
	}{{4, "warmup"}, {5, "warmup"}, {6, "warmup"}, {7, "profiling"}} {
		if md := out.records[i].Metadata; md.TurnIndex != want.turn || md.BenchmarkPhase != want.phase {
			t.Errorf("record %d: turn %d %s, want %d %s", i, md.TurnIndex, md.BenchmarkPhase, want.turn, want.phase)
		}
	}
}

// TestSamePromptsFromTheSameSeed replays twice with the same seed and id:
// the same requests in the same order, byte for byte.
func TestSamePromptsFromTheSameSeed(t *testing.T) {
	trace := traceJSON("a", req(0, "opus", 8, 2, 0, 1, 2), req(1, "opus", 12, 2, 0, 1, 2, 3)) +
		traceJSON("b", req(0, "opus", 9, 2, 0, 4, 5), req(1, "opus", 14, 2, 0, 4, 5, 6))
	var bodies [2][][]byte
	for i := range bodies {
		srv := &fakeServer{}
		out := replayWith(t, srv, trace, func(o *Options) { o.Duration = 0.3; o.SysIdleCap = 0 })
		if out.status != 0 {
			t.Fatal(out.stderr)
		}
		for _, s := range srv.requests()[:4] {
			bodies[i] = append(bodies[i], s.body)
		}
	}
	for j := range bodies[0] {
		if !bytes.Equal(bodies[0][j], bodies[1][j]) {
			t.Errorf("request %d differs between two runs", j)
		}
	}
}

// TestDurationEndsTheRun: nothing is sent after the duration; what is in
// flight past the grace period is cancelled and left out.
func TestDurationEndsTheRun(t *testing.T) {
	srv := &fakeServer{ttft: 400 * time.Millisecond}
	trace := traceJSON("slow", req(0, "opus", 8, 2, 0, 1, 2), req(1, "opus", 12, 2, 0, 1, 2, 3), req(2, "opus", 16, 2, 0, 1, 2, 3, 4))
	start := time.Now()
	out := replayWith(t, srv, trace, func(o *Options) { o.Duration, o.GracePeriod, o.Concurrency = 0.5, 0.05, 3 })
	if out.status != 0 {
		t.Fatalf("status %d\n%s", out.status, out.stderr)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("the run took %v", elapsed)
	}
	end := start.Add(2 * time.Second)
	for _, s := range srv.requests() {
		if s.at.After(end) {
			t.Errorf("a request went out %v after the start", s.at.Sub(start))
		}
	}
	if out.loadgen("cancelled_requests").(float64) < 1 {
		t.Errorf("nothing was cancelled: %v", out.agg["loadgen"])
	}
	for _, r := range out.records {
		if r.Metadata.WasCancelled || r.Error != nil {
			t.Errorf("a cancelled request was recorded: %+v", r)
		}
	}
}

// TestFailureThresholdStopsTheRun: every request failing stops the run
// early with status 1, the artifacts still written.
func TestFailureThresholdStopsTheRun(t *testing.T) {
	srv := &fakeServer{respond: func(*seen, int) (int, string) { return http.StatusServiceUnavailable, "down" }}
	var entries []string
	for i := range 30 {
		entries = append(entries, req(float64(i), "opus", 8+4*i, 1, 0, 1))
	}
	out := replayWith(t, srv, traceJSON("down", entries...), func(o *Options) {
		th := 0.1
		o.FailThresh, o.Duration = &th, 30
	})
	if out.status != ExitFailure || !strings.Contains(out.stderr, "more than --failed-request-threshold 0.1") {
		t.Fatalf("status %d\n%s", out.status, out.stderr)
	}
	if out.agg["was_cancelled"] != true || out.metric("error_request_count") < minForThreshold {
		t.Errorf("aggregate: cancelled %v, errors %v", out.agg["was_cancelled"], out.metric("error_request_count"))
	}
}

// TestServerMetricsAreCollected scrapes the server's /metrics during the
// run, and a /metrics that is missing is a counted failure, not an error.
func TestServerMetricsAreCollected(t *testing.T) {
	trace := traceJSON("m", req(0, "opus", 8, 2, 0, 1, 2), req(1, "opus", 12, 2, 0, 1, 2, 3))
	srv := &fakeServer{metrics: "# TYPE vllm:prefix_cache_hits_total counter\nvllm:prefix_cache_hits_total 5\n# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc 0.5\n"}
	out := replayWith(t, srv, trace, func(o *Options) { o.Duration, o.MetricsEvery = 0.5, 0.05; s := 0.1; o.SliceDur = &s })
	if out.status != 0 {
		t.Fatalf("status %d\n%s", out.status, out.stderr)
	}
	b, err := os.ReadFile(filepath.Join(out.dir, aiperf.ServerMetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var sm aiperf.ServerMetrics
	if err := json.Unmarshal(b, &sm); err != nil {
		t.Fatal(err)
	}
	if f := sm.Metrics["vllm:kv_cache_usage_perc"]; f == nil || f.Series[0].Stats["avg"] != 0.5 || len(f.Series[0].Timeslices) == 0 {
		t.Errorf("gauge not exported: %+v", f)
	}
	missing := replayWith(t, &fakeServer{}, trace, func(o *Options) { o.Duration, o.MetricsEvery = 0.3, 0.05 })
	if missing.status != 0 || !strings.Contains(missing.stdout, "× http_status (first: GET") {
		t.Fatalf("status %d\n%s", missing.status, missing.stdout)
	}
	sme := missing.loadgen("server_metrics").(map[string]any)
	if sme["failed"].(float64) < 1 {
		t.Errorf("failed scrapes not counted: %v", sme)
	}
}

func TestBadInput(t *testing.T) {
	good := traceJSON("g", req(0, "opus", 8, 2, 0, 1, 2), req(1, "opus", 12, 2, 0, 1, 2, 3))
	cases := []struct {
		name, traces string
		edit         func(*Options)
		env          string
		want         string
	}{
		{"malformed line", good + "{\"id\": \n", nil, "", "traces.jsonl:2: trace: not valid JSON"},
		{"unknown scope", strings.Replace(good, `"local"`, `"sideways"`, 1), nil, "", `traces.jsonl:1: hash_id_scope: unknown hash id scope "sideways"`},
		{"block size", strings.Replace(good, `"block_size": 4`, `"block_size": 0`, 1), nil, "", "traces.jsonl:1: block_size: must be a positive number"},
		{"concurrency", good, func(o *Options) { o.Concurrency = 0 }, "", "--concurrency: must be at least 1"},
		{"ratios", good, func(o *Options) { o.StartMin, o.StartMax = 0.8, 0.2 }, "", "expected 0 <= min <= max <= 1"},
		{"dynamo routing", good, func(o *Options) { o.DynamoRoute = true }, "", "--use-dynamo-conv-aware-routing is not supported"},
		{"live answers", good, nil, "1", "AIPERF_DATASET_WEKA_LIVE_ASSISTANT_RESPONSES=1"},
		{"scenario", good, func(o *Options) { s := ScenarioAgentX; o.Scenario = &s }, "",
			"scenario inferencex-agentx-mvp: --benchmark-duration 1 is below the scenario's 900 s; --system-idle-gap-cap-seconds must be 10"},
		{"ignore_eos false", good, func(o *Options) { o.ExtraInputs = []string{"ignore_eos:false"} }, "", "always sends ignore_eos true"},
		{"unknown public dataset", good, func(o *Options) { o.InputFile = nil; p := "nope"; o.Public = &p }, "", `--public-dataset "nope": unknown loader`},
		{"missing input file", good, func(o *Options) { p := "/nonexistent/traces.jsonl"; o.InputFile = &p }, "", "argument --input-file: stat /nonexistent/traces.jsonl"},
		{"too long for the context", good, func(o *Options) { m := 10; o.MaxContext = &m }, "", "no trace is left to replay: 1 read, 1 longer than --max-context-length 10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "traces.jsonl")
			if err := os.WriteFile(in, []byte(c.traces), 0o644); err != nil {
				t.Fatal(err)
			}
			o := Defaults()
			o.URL, o.Models, o.Concurrency, o.InputFile, o.ArtifactDir, o.Duration, o.SysIdleCap = "http://127.0.0.1:1", []string{"m"}, 1, &in, dir, 1, 0
			if c.edit != nil {
				c.edit(&o)
			}
			v, _ := schemas.New()
			var stderr bytes.Buffer
			status := Run(context.Background(), &o, Env{Stdout: new(bytes.Buffer), Stderr: &stderr, Validator: v, LoadTokenizer: demoTokenizer,
				Getenv: func(k string) string {
					if k == "AIPERF_DATASET_WEKA_LIVE_ASSISTANT_RESPONSES" {
						return c.env
					}
					return ""
				}})
			wantStatus := ExitUsage
			if c.name == "too long for the context" || c.name == "unknown public dataset" {
				wantStatus = ExitFailure
			}
			if status != wantStatus || !strings.Contains(strings.ReplaceAll(stderr.String(), in, "traces.jsonl"), c.want) {
				t.Errorf("status %d, stderr:\n%s\nwant %d and %q", status, stderr.String(), wantStatus, c.want)
			}
		})
	}
}

// TestPublicDatasetFromTheHub reads --public-dataset through a local
// stand-in for the Hugging Face Hub, then from the cache it filled.
func TestPublicDatasetFromTheHub(t *testing.T) {
	trace := traceJSON("hub", req(0, "opus", 8, 2, 0, 1, 2), req(1, "opus", 12, 2, 0, 1, 2, 3))
	const commit = "0123456789abcdef0123456789abcdef01234567"
	var hits int
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path != "/datasets/semianalysisai/cc-traces-weka-062126/resolve/main/traces.jsonl" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Repo-Commit", commit)
		w.Header().Set("ETag", `"abc123"`)
		fmt.Fprint(w, trace)
	}))
	defer hub.Close()
	cache := t.TempDir()
	for run := range 2 {
		o := Defaults()
		srv := httptest.NewServer(&fakeServer{})
		pub := "semianalysis_cc_traces_weka_062126"
		o.URL, o.Models, o.Concurrency, o.Public, o.ArtifactDir, o.Duration, o.StatsEvery = srv.URL, []string{"m"}, 1, &pub, t.TempDir(), 0.3, 0
		v, _ := schemas.New()
		var stderr bytes.Buffer
		hubOpts := hfhub.Options{CacheDir: cache, Endpoint: hub.URL, Revision: "main", Offline: run == 1}
		status := Run(context.Background(), &o, Env{Stdout: new(bytes.Buffer), Stderr: &stderr, Validator: v, LoadTokenizer: demoTokenizer,
			Getenv: func(string) string { return "" }, Hub: hubOpts})
		srv.Close()
		if status != 0 {
			t.Fatalf("run %d: status %d\n%s", run, status, stderr.String())
		}
		b, _ := os.ReadFile(filepath.Join(o.ArtifactDir, aiperf.AggregateFile))
		var agg struct {
			Metadata aiperf.AggregateMetadata `json:"metadata"`
		}
		_ = json.Unmarshal(b, &agg)
		if agg.Metadata.Dataset["hf_dataset_name"] != CanonicalDataset || agg.Metadata.Dataset["loader"] != pub {
			t.Errorf("run %d: dataset %v", run, agg.Metadata.Dataset)
		}
	}
	if hits != 1 {
		t.Errorf("the Hub was asked %d times; the second run should read the cache", hits)
	}
}

// TestWarmupFailureIsCounted: a warmup request the server fails is counted
// and the run goes on to profile.
func TestWarmupFailureIsCounted(t *testing.T) {
	srv := &fakeServer{respond: func(s *seen, n int) (int, string) {
		if n == 1 {
			return http.StatusInternalServerError, "cold start"
		}
		return 0, ""
	}}
	trace := traceJSON("w", req(0, "opus", 8, 2, 0, 1, 2), req(1, "opus", 12, 2, 0, 1, 2, 3), req(2, "opus", 16, 2, 0, 1, 2, 3, 4))
	out := replayWith(t, srv, trace, func(o *Options) { o.Duration = 0.3 })
	if out.status != 0 {
		t.Fatalf("status %d\n%s", out.status, out.stderr)
	}
	if out.loadgen("warmup_failed").(float64) != 1 || out.metric("request_count") < 1 {
		t.Errorf("warmup failed %v, profiled %v", out.loadgen("warmup_failed"), out.metric("request_count"))
	}
	if out.records[0].Metadata.BenchmarkPhase != aiperf.PhaseWarmup || out.records[0].Error == nil {
		t.Errorf("first record %+v", out.records[0])
	}
	// Warmup failures are not profiling errors.
	if out.metric("error_request_count") != 0 {
		t.Errorf("error_request_count %v", out.metric("error_request_count"))
	}
}
