package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/backend"
	"github.com/inferencex/inferencex-go/tools/loadgen/simserver"
)

func simConfig() simserver.Config {
	c := simserver.Defaults()
	c.Model = "m"
	c.DecodeStep = time.Millisecond
	c.DecodePerSeq = 0
	c.PrefillPerToken = 0
	c.EOSProbability = 0
	return c
}

func startSim(t testing.TB, cfg simserver.Config) string {
	t.Helper()
	s, err := simserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return ts.URL
}

func prompts(n, outLen int) []Prompt {
	ps := make([]Prompt, n)
	for i := range ps {
		ps[i] = Prompt{Prompt: fmt.Sprintf("prompt number %d", i), PromptLen: 4, OutputLen: outLen}
	}
	return ps
}

func newEngine(t testing.TB, url, backendName string, mod func(*Config)) *Engine {
	t.Helper()
	be, err := backend.ByName(backendName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Backend: be, URL: url + backend.DefaultEndpoint(be), Model: "m", IgnoreEOS: true,
		RequestRate: math.Inf(1), Burstiness: 1, MaxConcurrency: 4}
	if mod != nil {
		mod(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestRunAgainstSimulatedServer(t *testing.T) {
	for _, name := range []string{"vllm", "openai-chat"} {
		t.Run(name, func(t *testing.T) {
			url := startSim(t, simConfig())
			e := newEngine(t, url, name, func(c *Config) { c.Detailed = true })
			run := e.Run(context.Background(), prompts(20, 8))
			m := run.Aggregator.Finish([]float64{99})
			if m.Completed != 20 || m.Failed != 0 || run.Sent != 20 || run.Stopped != nil {
				t.Fatalf("completed %d failed %d sent %d stopped %v errors %+v", m.Completed, m.Failed, run.Sent, run.Stopped, m.Errors)
			}
			if m.TotalOutput != 160 || m.TotalInput != 80 || m.TokensFromUsage != 20 {
				t.Errorf("tokens: out %d in %d from usage %d", m.TotalOutput, m.TotalInput, m.TokensFromUsage)
			}
			if !run.Simulated {
				t.Error("the simulated server was not noticed")
			}
			wantChunks := 8
			if name == "openai-chat" {
				wantChunks = 9 // the role chunk counts, as in the original
			}
			if m.ITL.Count != int64(20*(wantChunks-1)) {
				t.Errorf("ITL samples %d, want %d", m.ITL.Count, 20*(wantChunks-1))
			}
			if m.TTFT.Mean <= 0 || m.TPOT.Mean <= 0 || m.E2EL.Mean < m.TTFT.Mean {
				t.Errorf("timings ttft %v tpot %v e2el %v", m.TTFT.Mean, m.TPOT.Mean, m.E2EL.Mean)
			}
			if m.ServerPromptReported != 20 {
				t.Errorf("server prompt tokens reported by %d requests", m.ServerPromptReported)
			}
			if d := m.Detail; d == nil || len(d.Texts) != 20 || len(strings.Fields(d.Texts[3])) != 8 || d.OutputLens[3] != 8 {
				t.Errorf("detail %+v", m.Detail)
			}
			p := e.Progress()
			if p.Done != 20 || p.Failed != 0 || p.OutputTokens != 160 {
				t.Errorf("progress %+v", p)
			}
		})
	}
}

func TestConcurrencyLimitAndConnectionReuse(t *testing.T) {
	sim, err := simserver.New(simConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	var inFlight, peak, conns atomic.Int64
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		sim.ServeHTTP(w, r)
	}))
	ts.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()
	e := newEngine(t, ts.URL, "vllm", func(c *Config) { c.MaxConcurrency = 3 })
	m := e.Run(context.Background(), prompts(30, 5)).Aggregator.Finish(nil)
	if m.Completed != 30 {
		t.Fatalf("completed %d: %+v", m.Completed, m.Errors)
	}
	if peak.Load() != 3 {
		t.Errorf("peak concurrency %d, want 3", peak.Load())
	}
	if conns.Load() > 3 {
		t.Errorf("%d connections for 30 requests at concurrency 3: not reused", conns.Load())
	}
	// Requests waited for a slot: the queue wait shows it, the schedule lag
	// (client delay) stays apart from it.
	if m.QueueWait.Max <= 0 {
		t.Errorf("queue wait %+v, want some", m.QueueWait)
	}
}

// handler serves a fixed stream body for every request.
func streamServer(t *testing.T, status int, body string) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

type fieldCounter struct{}

func (fieldCounter) CountTokens(s string) (int, error) { return len(strings.Fields(s)), nil }

func TestFailureKinds(t *testing.T) {
	tok := func(text string) string {
		return `data: {"choices":[{"text":"` + text + `"}]}` + "\n\n"
	}
	usage := `data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}` + "\n\n"
	done := "data: [DONE]\n\n"
	long := strings.Repeat("x", 3<<20)
	tests := []struct {
		name    string
		status  int
		body    string
		counter TokenCounter
		kind    string // "" for success
		msg     string
		out     int
	}{
		{"ok", 200, tok(" a") + tok(" b") + usage + done, nil, "", "", 2},
		{"long line", 200, tok(long) + tok(" b") + usage + done, nil, "", "", 2},
		{"http 503", 503, `{"message":"overloaded"}`, nil, KindHTTPStatus, "HTTP 503 Service Unavailable: {\"message\":\"overloaded\"}", 0},
		{"not json", 200, tok(" a") + "data: {oops\n\n" + done, nil, KindParse, "not JSON", 0},
		{"not sse", 200, tok(" a") + "hello\n\n" + done, nil, KindParse, "malformed server-sent event line", 0},
		{"missing choices", 200, tok(" a") + `data: {"id":"x"}` + "\n\n" + done, nil, KindParse, "neither choices nor usage", 0},
		{"server error", 200, tok(" a") + `data: {"object":"error","message":"CUDA out of memory"}` + "\n\n" + done, nil, KindServerError, "CUDA out of memory", 0},
		{"never a token", 200, usage + done, nil, KindNoToken, "without a token", 0},
		{"no done", 200, tok(" a") + usage, nil, KindDropped, "without [DONE] after 1 chunks", 0},
		{"no usage, no tokenizer", 200, tok(" a") + tok(" b") + done, nil, KindNoUsage, "no tokenizer", 0},
		{"no usage, tokenizer", 200, tok(" a") + tok(" b c") + done, fieldCounter{}, "", "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := streamServer(t, tt.status, tt.body)
			e := newEngine(t, url, "vllm", func(c *Config) { c.Counter = tt.counter; c.Detailed = true })
			m := e.Run(context.Background(), prompts(1, 2)).Aggregator.Finish(nil)
			if tt.kind == "" {
				if m.Completed != 1 || m.TotalOutput != tt.out {
					t.Fatalf("completed %d, output %d (want %d), errors %+v", m.Completed, m.TotalOutput, tt.out, m.Errors)
				}
				return
			}
			if m.Failed != 1 || len(m.Errors) != 1 || m.Errors[0].Kind != tt.kind || !strings.Contains(m.Errors[0].First, tt.msg) {
				t.Fatalf("failed %d, errors %+v; want kind %s with %q", m.Failed, m.Errors, tt.kind, tt.msg)
			}
			if m.Detail.Errors[0] != m.Errors[0].First {
				t.Errorf("detail error %q", m.Detail.Errors[0])
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	e := newEngine(t, "http://"+addr, "vllm", nil)
	m := e.Run(context.Background(), prompts(3, 2)).Aggregator.Finish(nil)
	if m.Failed != 3 || m.Errors[0].Kind != KindConnect || !strings.Contains(m.Errors[0].First, "refused") {
		t.Fatalf("errors %+v", m.Errors)
	}
}

func TestServerGoneStopsTheRun(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	gone := errors.New("server process 7 exited")
	asked := 0
	var mu sync.Mutex
	e := newEngine(t, "http://"+addr, "vllm", func(c *Config) {
		c.MaxConcurrency = 1
		c.ServerGone = func() error { mu.Lock(); defer mu.Unlock(); asked++; return gone }
	})
	run := e.Run(context.Background(), prompts(10, 2))
	m := run.Aggregator.Finish(nil)
	// The one request in flight is canceled; the rest are never sent.
	if !errors.Is(run.Stopped, gone) || m.Failed != 0 || m.Canceled != 1 || run.Sent != 1 || asked != 1 {
		t.Fatalf("stopped %v, failed %d, canceled %d, sent %d, asked %d; want the server's exit, 0, 1, 1, 1",
			run.Stopped, m.Failed, m.Canceled, run.Sent, asked)
	}
	// A server that is still there leaves the failure as it was.
	e = newEngine(t, "http://"+addr, "vllm", func(c *Config) { c.ServerGone = func() error { return nil } })
	run = e.Run(context.Background(), prompts(3, 2))
	if m := run.Aggregator.Finish(nil); run.Stopped != nil || m.Failed != 3 || m.Errors[0].Kind != KindConnect {
		t.Fatalf("stopped %v, errors %+v", run.Stopped, m.Errors)
	}
}

func TestSimulatedFaults(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*simserver.Config)
		eng  func(*Config)
		kind string
	}{
		{"5xx", func(c *simserver.Config) { c.ErrorRate = 1 }, nil, KindHTTPStatus},
		{"dropped stream", func(c *simserver.Config) { c.DropRate = 1 }, nil, KindDropped},
		{"malformed chunk", func(c *simserver.Config) { c.MalformedRate = 1 }, nil, KindParse},
		{"stall", func(c *simserver.Config) { c.StallRate = 1 }, func(c *Config) { c.StallTimeout = 100 * time.Millisecond }, KindStall},
		{"request timeout", func(c *simserver.Config) { c.DecodeStep = time.Second }, func(c *Config) { c.RequestTimeout = 100 * time.Millisecond }, KindTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := simConfig()
			tt.mod(&sc)
			e := newEngine(t, startSim(t, sc), "vllm", tt.eng)
			m := e.Run(context.Background(), prompts(4, 20)).Aggregator.Finish(nil)
			if m.Failed != 4 || m.Completed != 0 || len(m.Errors) != 1 || m.Errors[0].Kind != tt.kind {
				t.Fatalf("failed %d completed %d errors %+v; want 4 of %s", m.Failed, m.Completed, m.Errors, tt.kind)
			}
		})
	}
}

func TestStopMidRunKeepsWhatWasMeasured(t *testing.T) {
	sc := simConfig()
	sc.DecodeStep = 5 * time.Millisecond
	e := newEngine(t, startSim(t, sc), "vllm", func(c *Config) { c.MaxConcurrency = 2; c.Detailed = true })
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("interrupt")
	go func() {
		for e.Progress().Done < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel(stop)
	}()
	run := e.Run(ctx, prompts(100, 10))
	m := run.Aggregator.Finish(nil)
	if !errors.Is(run.Stopped, stop) {
		t.Fatalf("stopped %v", run.Stopped)
	}
	if m.Completed < 3 || m.Completed+m.Canceled != run.Sent || run.Sent >= 100 || m.Failed != 0 {
		t.Fatalf("completed %d canceled %d sent %d failed %d", m.Completed, m.Canceled, run.Sent, m.Failed)
	}
	if !strings.Contains(m.Detail.Errors[99], "not sent") {
		t.Errorf("unsent prompt's detail error %q", m.Detail.Errors[99])
	}
}

func TestOpenLoopFollowsTheSchedule(t *testing.T) {
	e := newEngine(t, startSim(t, simConfig()), "vllm", func(c *Config) {
		c.RequestRate = 200
		c.MaxConcurrency = 0
		c.Seed = 3
	})
	run := e.Run(context.Background(), prompts(20, 2))
	m := run.Aggregator.Finish([]float64{50})
	if m.Completed != 20 {
		t.Fatalf("completed %d", m.Completed)
	}
	// Without a concurrency limit nothing waits for a slot.
	if m.QueueWait.Max != 0 {
		t.Errorf("queue wait %+v without a limit", m.QueueWait)
	}
	// The run lasts at least as long as the schedule.
	s := NewSchedule(200, 1, 3)
	var last time.Duration
	for range 20 {
		last = s.Next()
	}
	if run.Duration < last {
		t.Errorf("run took %v, shorter than the schedule's %v", run.Duration, last)
	}
}

func TestWarmup(t *testing.T) {
	sc := simConfig()
	e := newEngine(t, startSim(t, sc), "vllm", nil)
	w := e.Warmup(context.Background(), prompts(6, 3))
	if w.Sent != 6 || w.Failed != 0 {
		t.Fatalf("warmup %+v", w)
	}
	// Progress follows the warmup while it runs, and starts again at zero
	// for the run: the warmup is never counted in the run's numbers.
	if p := e.Progress(); p.Done != 6 || p.OutputTokens != 18 {
		t.Errorf("progress after the warmup %+v, want its 6 requests", p)
	}
	e.Run(context.Background(), prompts(4, 3))
	if p := e.Progress(); p.Done != 4 || p.OutputTokens != 12 {
		t.Errorf("progress after the run %+v, want its 4 requests alone", p)
	}
	sc.ErrorRate = 1
	e = newEngine(t, startSim(t, sc), "vllm", nil)
	w = e.Warmup(context.Background(), prompts(2, 3))
	if w.Failed != 2 || !strings.HasPrefix(w.FirstError, "http_status: HTTP 500") {
		t.Errorf("failing warmup %+v", w)
	}
}

func TestTokenLevelITLFromContinuousUsage(t *testing.T) {
	sc := simConfig()
	sc.TokensPerChunk = 4
	e := newEngine(t, startSim(t, sc), "vllm", func(c *Config) { c.ContinuousUsage = true })
	m := e.Run(context.Background(), prompts(5, 13)).Aggregator.Finish(nil)
	if m.Completed != 5 {
		t.Fatalf("completed %d %+v", m.Completed, m.Errors)
	}
	// 13 tokens: 1 from prefill, then 4+4+4: 4 chunks, 3 of them multi-token.
	if m.TokenITL.Count != 5*12 || m.TokenChunks != 20 || m.MultiTokenChunks != 15 {
		t.Errorf("token ITL %d samples, %d chunks, %d multi", m.TokenITL.Count, m.TokenChunks, m.MultiTokenChunks)
	}
	if m.ITL.Count != 5*3 || math.Abs(m.OutputTokensPerChunk-13.0/4) > 1e-12 {
		t.Errorf("chunk ITL %d, tokens per chunk %v", m.ITL.Count, m.OutputTokensPerChunk)
	}
	// The token-level mean ITL is the mean TPOT: each request's gaps sum to
	// latency − TTFT over output − 1 tokens, and all have the same count.
	if math.Abs(m.TokenITL.Mean-m.TPOT.Mean) > 1e-9 {
		t.Errorf("token ITL mean %v, TPOT mean %v", m.TokenITL.Mean, m.TPOT.Mean)
	}
}

// A chat stream opens with a role chunk that carries no token: the original
// counts it for TTFT and ITL, but it must neither hide the token-level ITL
// nor count as a chunk in tokens per chunk.
func TestChatRoleChunk(t *testing.T) {
	for _, tt := range []struct {
		name               string
		continuous         bool
		perChunk           int
		tokenGaps, chunks  int // per request
		multi              int
		wantTokensPerChunk float64
	}{
		// 13 tokens after the role chunk: 1 from prefill, then 4+4+4.
		{"continuous usage", true, 4, 13, 4, 3, 13.0 / 4},
		// Without counts there is no token-level ITL.
		{"no counts", false, 1, 0, 0, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sc := simConfig()
			sc.TokensPerChunk = tt.perChunk
			e := newEngine(t, startSim(t, sc), "openai-chat", func(c *Config) { c.ContinuousUsage = tt.continuous })
			m := e.Run(context.Background(), prompts(5, 13)).Aggregator.Finish(nil)
			if m.Completed != 5 {
				t.Fatalf("completed %d %+v", m.Completed, m.Errors)
			}
			if m.TokenITL.Count != int64(5*tt.tokenGaps) || m.TokenChunks != 5*tt.chunks || m.MultiTokenChunks != 5*tt.multi {
				t.Errorf("token ITL %d samples, %d chunks, %d multi; want %d, %d, %d", m.TokenITL.Count, m.TokenChunks,
					m.MultiTokenChunks, 5*tt.tokenGaps, 5*tt.chunks, 5*tt.multi)
			}
			if math.Abs(m.OutputTokensPerChunk-tt.wantTokensPerChunk) > 1e-12 {
				t.Errorf("tokens per chunk %v, want %v", m.OutputTokensPerChunk, tt.wantTokensPerChunk)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	be, _ := backend.ByName("vllm")
	for _, c := range []Config{
		{Backend: be, URL: "http://h/v1/generate", RequestRate: 1, Burstiness: 1},
		{Backend: be, URL: "http://h/v1/completions", RequestRate: 0, Burstiness: 1},
		{Backend: be, URL: "http://h/v1/completions", RequestRate: 1, Burstiness: 0},
		{Backend: be, URL: "http://h/v1/completions", RequestRate: 1, Burstiness: 1, MaxConcurrency: -1},
		{URL: "http://h/v1/completions", RequestRate: 1, Burstiness: 1},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestScheduleIsDeterministicWithTheRightMean(t *testing.T) {
	for _, burst := range []float64{0.5, 1, 4} {
		a, b := NewSchedule(10, burst, 42), NewSchedule(10, burst, 42)
		var last time.Duration
		const n = 20000
		for i := range n {
			x, y := a.Next(), b.Next()
			if x != y {
				t.Fatalf("burstiness %v: request %d at %v and %v", burst, i, x, y)
			}
			if x < last {
				t.Fatalf("schedule went backwards at %d", i)
			}
			last = x
		}
		mean := last.Seconds() / (n - 1)
		if math.Abs(mean-0.1) > 0.005 {
			t.Errorf("burstiness %v: mean interval %v, want 0.1", burst, mean)
		}
	}
	inf := NewSchedule(math.Inf(1), 1, 0)
	for range 5 {
		if inf.Next() != 0 {
			t.Fatal("infinite rate must send everything at once")
		}
	}
}

func TestWarmupWithoutConcurrencyLimit(t *testing.T) {
	// The original crashed here (contextlib.nullcontext without the import).
	e := newEngine(t, startSim(t, simConfig()), "vllm", func(c *Config) { c.MaxConcurrency = 0 })
	if w := e.Warmup(context.Background(), prompts(5, 2)); w.Sent != 5 || w.Failed != 0 {
		t.Fatalf("warmup %+v", w)
	}
}

func TestE2ELEndsAtTheLastToken(t *testing.T) {
	// A usage chunk that comes late must not stretch E2EL (the original's
	// chat client counted it).
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, c := range []string{"a", "b"} {
			fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%q}}]}\n\n", c)
		}
		w.(http.Flusher).Flush()
		time.Sleep(200 * time.Millisecond)
		fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n")
	}))
	defer ts.Close()
	e := newEngine(t, ts.URL, "openai-chat", nil)
	m := e.Run(context.Background(), prompts(1, 2)).Aggregator.Finish(nil)
	if m.Completed != 1 {
		t.Fatalf("errors %+v", m.Errors)
	}
	if m.E2EL.Max >= 0.2 {
		t.Errorf("E2EL %v s includes the wait for the usage chunk", m.E2EL.Max)
	}
}
