package simserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/backend"
	"github.com/inferencex/inferencex-go/tools/loadgen/sse"
)

func fast() Config {
	c := Defaults()
	c.Model = "m"
	c.DecodeStep = time.Millisecond
	c.DecodePerSeq = 0
	c.PrefillPerToken = 0
	c.EOSProbability = 0
	return c
}

func start(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s) // 127.0.0.1, a free port
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return ts
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// streamResult is a stream read through loadgen's own reader and parser.
type streamResult struct {
	chunks []backend.Chunk
	texts  []string
	usage  *backend.Chunk
	done   bool
	err    error
	times  []time.Time
}

func read(t *testing.T, resp *http.Response, name string) streamResult {
	t.Helper()
	be, _ := backend.ByName(name)
	r := sse.NewReader(resp.Body, nil)
	var out streamResult
	for {
		ev, err := r.Next()
		if err != nil {
			if err != io.EOF {
				out.err = err
			}
			return out
		}
		if ev.Done() {
			out.done = true
			continue
		}
		var c backend.Chunk
		if err := be.Parse(ev.Data, &c); err != nil {
			out.err = err
			return out
		}
		if c.Token {
			out.chunks = append(out.chunks, c)
			out.texts = append(out.texts, string(c.Text))
			out.times = append(out.times, ev.At)
		} else if c.HasUsage {
			u := c
			out.usage = &u
		}
	}
}

func TestEndpoints(t *testing.T) {
	ts := start(t, fast())
	resp, err := http.Get(ts.URL + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	if resp.Header.Get(SimulatedHeader) != "true" {
		t.Errorf("no %s header", SimulatedHeader)
	}
	resp, err = http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var models struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&models); err != nil || len(models.Data) != 1 || models.Data[0].ID != "m" {
		t.Fatalf("models: %+v %v", models, err)
	}
	resp, _ = http.Get(ts.URL + "/nope")
	if resp.StatusCode != 404 {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
	for _, p := range []string{"/start_profile", "/stop_profile"} {
		if r := post(t, ts.URL+p, "{}"); r.StatusCode != 200 {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
}

func TestCompletionsStream(t *testing.T) {
	ts := start(t, fast())
	resp := post(t, ts.URL+"/v1/completions", `{"model":"m","prompt":"abcdefgh","max_tokens":12,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	got := read(t, resp, "vllm")
	if got.err != nil || !got.done {
		t.Fatalf("stream error %v, done %v", got.err, got.done)
	}
	if len(got.chunks) != 12 {
		t.Errorf("%d token chunks, want 12", len(got.chunks))
	}
	if got.usage == nil || got.usage.CompletionTokens != 12 || got.usage.PromptTokens != 2 {
		t.Errorf("usage %+v, want 12 completion and 2 prompt tokens (8 bytes / 4)", got.usage)
	}
	for i, c := range got.chunks {
		if c.HasUsage {
			t.Errorf("chunk %d has usage without continuous_usage_stats", i)
		}
	}
}

func TestChatStreamWithRoleChunkAndMultiTokenChunks(t *testing.T) {
	cfg := fast()
	cfg.TokensPerChunk = 3
	cfg.CountTokens = func(s string) (int, error) { return len(strings.Fields(s)), nil }
	ts := start(t, cfg)
	resp := post(t, ts.URL+"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"one two three"}]}],
		"max_completion_tokens":10,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true,"continuous_usage_stats":true}}`)
	got := read(t, resp, "openai-chat")
	if got.err != nil || !got.done {
		t.Fatalf("stream error %v, done %v", got.err, got.done)
	}
	// Role chunk, then the first token from prefill, then steps of 3: 1+3+3+3.
	wantTokens := []int{0, 1, 4, 7, 10}
	if len(got.chunks) != len(wantTokens) {
		t.Fatalf("%d chunks %q, want %d", len(got.chunks), got.texts, len(wantTokens))
	}
	if got.texts[0] != "" {
		t.Errorf("role chunk carries %q", got.texts[0])
	}
	for i, c := range got.chunks {
		if !c.HasUsage || c.CompletionTokens != wantTokens[i] || c.PromptTokens != 3 {
			t.Errorf("chunk %d: usage %v %d/%d, want %d completion and 3 prompt tokens", i, c.HasUsage, c.CompletionTokens, c.PromptTokens, wantTokens[i])
		}
	}
	if got.usage == nil || got.usage.PromptTokens != 3 || got.usage.CompletionTokens != 10 {
		t.Errorf("final usage %+v", got.usage)
	}
}

func TestRequestErrors(t *testing.T) {
	cfg := fast()
	cfg.MaxModelLen = 100
	ts := start(t, cfg)
	tests := []struct {
		path, body string
		status     int
		msg        string
	}{
		{"/v1/completions", `{"model":"other","prompt":"x"}`, 404, "does not exist"},
		{"/v1/completions", `{"model":`, 400, "invalid JSON"},
		{"/v1/completions", `{"model":"m","prompt":5}`, 400, "prompt must be a string"},
		{"/v1/completions", `{"model":"m","prompt":"x","max_tokens":200}`, 400, "maximum context length is 100"},
		{"/v1/completions", `{"model":"m","prompt":"x","max_tokens":0}`, 400, "at least 1"},
		{"/v1/chat/completions", `{"model":"m","messages":[]}`, 400, "messages must not be empty"},
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":5}]}`, 400, "content must be"},
	}
	for _, tt := range tests {
		resp := post(t, ts.URL+tt.path, tt.body)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.msg) {
			t.Errorf("%s: %d %s, want %d with %q", tt.body, resp.StatusCode, body, tt.status, tt.msg)
		}
	}
}

func TestFaults(t *testing.T) {
	body := `{"model":"m","prompt":"p","max_tokens":20,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`
	t.Run("error", func(t *testing.T) {
		cfg := fast()
		cfg.ErrorRate = 1
		resp := post(t, start(t, cfg).URL+"/v1/completions", body)
		if resp.StatusCode != 500 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("drop", func(t *testing.T) {
		cfg := fast()
		cfg.DropRate = 1
		got := read(t, post(t, start(t, cfg).URL+"/v1/completions", body), "vllm")
		if got.err == nil || got.done || len(got.chunks) == 0 || len(got.chunks) >= 20 {
			t.Fatalf("dropped stream: err %v, done %v, %d chunks", got.err, got.done, len(got.chunks))
		}
		if !errors.Is(got.err, io.ErrUnexpectedEOF) {
			t.Errorf("error %v, want an unexpected EOF", got.err)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		cfg := fast()
		cfg.MalformedRate = 1
		got := read(t, post(t, start(t, cfg).URL+"/v1/completions", body), "vllm")
		var pe *backend.PayloadError
		if !errors.As(got.err, &pe) || pe.Kind != backend.Malformed {
			t.Fatalf("error %v, want a malformed payload", got.err)
		}
	})
	t.Run("stall", func(t *testing.T) {
		cfg := fast()
		cfg.StallRate = 1
		cfg.StallFor = 300 * time.Millisecond
		got := read(t, post(t, start(t, cfg).URL+"/v1/completions", body), "vllm")
		if got.err != nil || !got.done || len(got.chunks) != 20 {
			t.Fatalf("stalled stream: err %v, done %v, %d chunks", got.err, got.done, len(got.chunks))
		}
		var longest time.Duration
		for i := 1; i < len(got.times); i++ {
			longest = max(longest, got.times[i].Sub(got.times[i-1]))
		}
		if longest < 300*time.Millisecond {
			t.Errorf("longest gap %v, want the 300ms stall", longest)
		}
	})
	t.Run("a stall comes after the first token", func(t *testing.T) {
		// With two tokens the fault point is always the first token, the
		// case that once stalled before any token went out.
		cfg := fast()
		cfg.StallRate = 1
		cfg.StallFor = 300 * time.Millisecond
		ts := start(t, cfg)
		for i := range 5 {
			two := fmt.Sprintf(`{"model":"m","prompt":"p%d","max_tokens":2,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`, i)
			sent := time.Now()
			got := read(t, post(t, ts.URL+"/v1/completions", two), "vllm")
			if got.err != nil || !got.done || len(got.chunks) != 2 {
				t.Fatalf("err %v, done %v, %d chunks", got.err, got.done, len(got.chunks))
			}
			if first := got.times[0].Sub(sent); first >= 300*time.Millisecond {
				t.Fatalf("first token after %v: the stall came before it", first)
			}
			if gap := got.times[1].Sub(got.times[0]); gap < 300*time.Millisecond {
				t.Fatalf("gap %v between the tokens, want the 300ms stall", gap)
			}
		}
	})
	t.Run("no usage", func(t *testing.T) {
		cfg := fast()
		cfg.NoUsage = true
		got := read(t, post(t, start(t, cfg).URL+"/v1/completions", body), "vllm")
		if got.err != nil || got.usage != nil || !got.done {
			t.Fatalf("err %v usage %+v", got.err, got.usage)
		}
	})
}

func TestFaultsAreReproducible(t *testing.T) {
	cfg := fast()
	cfg.ErrorRate = 0.5
	cfg.Seed = 7
	a, _ := New(cfg)
	b, _ := New(cfg)
	defer a.Close()
	defer b.Close()
	for i := range 50 {
		p := strings.Repeat("x", i)
		fa, atA, _ := a.plan(p, 100)
		fb, atB, _ := b.plan(p, 100)
		if fa != fb || atA != atB {
			t.Fatalf("prompt %d: %v/%d vs %v/%d", i, fa, atA, fb, atB)
		}
	}
}

func TestEOS(t *testing.T) {
	cfg := fast()
	cfg.EOSProbability = 1
	ts := start(t, cfg)
	got := read(t, post(t, ts.URL+"/v1/completions", `{"model":"m","prompt":"p","max_tokens":20,"stream":true,"stream_options":{"include_usage":true}}`), "vllm")
	if len(got.chunks) != 1 || got.usage == nil || got.usage.CompletionTokens != 1 {
		t.Fatalf("without ignore_eos: %d chunks, usage %+v", len(got.chunks), got.usage)
	}
	got = read(t, post(t, ts.URL+"/v1/completions", `{"model":"m","prompt":"p","max_tokens":20,"ignore_eos":true,"stream":true}`), "vllm")
	if len(got.chunks) != 20 || got.usage != nil {
		t.Fatalf("with ignore_eos: %d chunks, usage %+v (none asked for)", len(got.chunks), got.usage)
	}
}

// collect gathers a sequence's emissions until its final one.
func collect(t *testing.T, q *seq) []emission {
	t.Helper()
	var all []emission
	for {
		select {
		case <-q.notify:
		case <-time.After(10 * time.Second):
			t.Fatal("no emission")
		}
		for _, e := range q.take(nil) {
			all = append(all, e)
			if e.final {
				return all
			}
		}
	}
}

func TestQueueingBehindMaxBatch(t *testing.T) {
	cfg := fast()
	cfg.MaxBatch = 1
	s := newScheduler(cfg)
	// Steps take no time: the test is about order, not duration.
	s.sleepFunc = func(ctx context.Context, _ time.Time) bool { return ctx.Err() == nil }
	a := &seq{promptTokens: 1, maxTokens: 10, ignoreEOS: true, notify: make(chan struct{}, 1)}
	b := &seq{promptTokens: 1, maxTokens: 10, ignoreEOS: true, notify: make(chan struct{}, 1)}
	s.submit(a)
	s.submit(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.run(ctx)
	ea, eb := collect(t, a), collect(t, b)
	if len(ea) != 10 || len(eb) != 10 {
		t.Fatalf("%d and %d emissions, want 10 each", len(ea), len(eb))
	}
	// With one running request at a time, the second starts only after
	// the first has finished, and each gets one token per step.
	if eb[0].step <= ea[9].step {
		t.Errorf("second request's first token at step %d, the first's last at step %d", eb[0].step, ea[9].step)
	}
	for i := 1; i < 10; i++ {
		if ea[i].step != ea[i-1].step+1 {
			t.Errorf("first request: token %d at step %d after step %d", i, ea[i].step, ea[i-1].step)
		}
	}
}

func TestStepTimeModel(t *testing.T) {
	cfg := fast()
	cfg.DecodeStep = 10 * time.Millisecond
	cfg.DecodePerSeq = time.Millisecond
	cfg.PrefillPerToken = 100 * time.Microsecond
	cfg.MaxPrefillTokens = 50
	s := newScheduler(cfg)
	var plans []time.Time
	s.sleepFunc = func(ctx context.Context, t time.Time) bool {
		plans = append(plans, t)
		return ctx.Err() == nil
	}
	a := &seq{promptTokens: 80, maxTokens: 3, ignoreEOS: true, notify: make(chan struct{}, 1)}
	b := &seq{promptTokens: 10, maxTokens: 3, ignoreEOS: true, notify: make(chan struct{}, 1)}
	s.submit(a)
	s.submit(b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.run(ctx); close(done) }()
	collect(t, a)
	collect(t, b)
	cancel()
	<-done
	// Step 1: 2 running, 50 prompt tokens of a (the budget): 10+2+5 ms.
	// Step 2: the other 30 of a and 10 of b: 10+2+4 = 16 ms; both get
	// their first token. Steps 3 and 4 decode both: 10+2 = 12 ms.
	want := []time.Duration{16 * time.Millisecond, 12 * time.Millisecond, 12 * time.Millisecond}
	if len(plans) != 4 {
		t.Fatalf("%d steps, want 4", len(plans))
	}
	for i, w := range want {
		if got := plans[i+1].Sub(plans[i]); got != w {
			t.Errorf("step %d lasted %v, want %v", i+2, got, w)
		}
	}
}

func TestNonStreaming(t *testing.T) {
	ts := start(t, fast())
	resp := post(t, ts.URL+"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5,"ignore_eos":true}`)
	var v struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if v.Usage.CompletionTokens != 5 || len(strings.Fields(v.Choices[0].Message.Content)) != 5 {
		t.Errorf("answer %+v", v)
	}
}

func TestValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.Model = "" },
		func(c *Config) { c.MaxBatch = 0 },
		func(c *Config) { c.TokensPerChunk = 0 },
		func(c *Config) { c.ErrorRate = 1.5 },
		func(c *Config) { c.DecodeStep = -1 },
		func(c *Config) { c.MaxPrefillTokens = 0 },
	}
	for i, f := range bad {
		c := Defaults()
		f(&c)
		if c.Validate() == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if err := Defaults().Validate(); err != nil {
		t.Error(err)
	}
}
