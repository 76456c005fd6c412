// Package engine sends the benchmark's requests and times their streams.
//
// One goroutine serves each request in flight, under the concurrency
// limit; connections are kept alive and pooled, one per concurrency slot.
// Open-loop arrivals follow an absolute schedule computed from the seed.
// Every streamed line is stamped when the read that delivered it returned,
// on the monotonic clock. Each request records when it was scheduled, when
// it could first go out (a concurrency slot free), and when it actually
// went out, so that the client's own delay is measured rather than hidden
// in the server's latency.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/backend"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
	"github.com/inferencex/inferencex-go/tools/loadgen/sse"
)

// Prompt is one request to send.
type Prompt struct {
	Prompt    string
	PromptLen int // tokens, as the dataset counted them
	OutputLen int // max tokens to ask for
}

// TokenCounter counts the tokens of generated text, for servers that do
// not report usage.
type TokenCounter interface {
	CountTokens(text string) (int, error)
}

// Error kinds: how a request failed.
const (
	KindHTTPStatus  = "http_status"    // the server answered with a status other than 200
	KindConnect     = "connect"        // no response: connection refused, reset, DNS
	KindTimeout     = "timeout"        // the request took longer than the request timeout
	KindStall       = "stall"          // the stream sent nothing for the stall timeout
	KindDropped     = "dropped_stream" // the stream broke off before its end
	KindParse       = "parse_error"    // a line or chunk that is not what the API sends
	KindServerError = "server_error"   // the server reported an error inside the stream
	KindNoToken     = "no_token"       // the stream ended without a single token
	KindNoUsage     = "no_usage"       // no usage in the stream and no tokenizer to count with
	KindCanceled    = "canceled"       // the run stopped while it was in flight (not a failure)
)

// Config is how to drive the server.
type Config struct {
	Backend backend.Backend
	URL     string // the API URL: base URL + endpoint
	Model   string // model name sent in requests
	// LoRAModules, when given, replace Model with one of them chosen at
	// random (seeded) for each request.
	LoRAModules     []string
	BestOf          int
	Logprobs        *int
	IgnoreEOS       bool
	ContinuousUsage bool
	Header          http.Header // extra request headers (Authorization)

	MaxConcurrency int     // 0: no limit
	RequestRate    float64 // requests per second; +Inf sends all at once
	Burstiness     float64
	Seed           uint64

	RequestTimeout time.Duration // 0: none
	StallTimeout   time.Duration // silence after the first token; 0: none

	Counter TokenCounter // nil: requests without usage fail (no_usage)

	// ServerGone, when set, is asked after a request could not connect or
	// lost its stream; an error means the server process is gone. The run
	// then stops with that error as its cause, and the request counts as
	// canceled, not failed: a server that died is not a server that fails
	// requests, and a watcher that polls would let requests fail in between.
	ServerGone func() error

	Detailed bool
	// KeepLengths keeps every request's prompt and output length (the
	// result's input_lens and output_lens) without Detailed.
	KeepLengths bool
	Goodput     map[string]float64
	ExactLimit  int
}

// Engine runs requests against one server.
type Engine struct {
	cfg    Config
	client *http.Client
	rng    *rand.Rand // LoRA choices, used by the dispatcher only

	simulated atomic.Bool

	done, failed, outTokens atomic.Int64
}

// New checks the configuration and prepares the connection pool.
func New(cfg Config) (*Engine, error) {
	if cfg.Backend == nil {
		return nil, errors.New("engine: no backend")
	}
	if err := cfg.Backend.CheckURL(cfg.URL); err != nil {
		return nil, err
	}
	if cfg.MaxConcurrency < 0 {
		return nil, fmt.Errorf("max concurrency must be positive, got %d", cfg.MaxConcurrency)
	}
	if !(cfg.RequestRate > 0) {
		return nil, fmt.Errorf("request rate must be positive or inf, got %v", cfg.RequestRate)
	}
	if !(cfg.Burstiness > 0) || math.IsInf(cfg.Burstiness, 0) {
		return nil, fmt.Errorf("burstiness must be a positive number, got %v", cfg.Burstiness)
	}
	if cfg.BestOf == 0 {
		cfg.BestOf = 1
	}
	conns := cfg.MaxConcurrency
	if conns == 0 {
		conns = 4096
	}
	return &Engine{cfg: cfg, client: NewHTTPClient(conns), rng: rand.New(rand.NewPCG(cfg.Seed, 0x10a))}, nil
}

// NewHTTPClient returns a client for streaming benchmark requests that
// keeps up to conns connections alive: no compression (a gzip layer would
// delay and batch the stream), large buffers, proxies from the environment
// as aiohttp's trust_env (loopback is never proxied). loadgen replay uses
// it too.
func NewHTTPClient(conns int) *http.Client {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ReadBufferSize:      64 << 10,
		WriteBufferSize:     64 << 10,
	}
	return &http.Client{Transport: tr}
}

// CPUTime is the CPU time (user + system) this process has used so far.
func CPUTime() time.Duration { return cpuTime() }

// Close drops the idle connections.
func (e *Engine) Close() { e.client.CloseIdleConnections() }

// Progress is a snapshot of the run so far.
type Progress struct {
	Done, Failed, OutputTokens int64
}

// Progress returns how many requests of the warmup or run under way (or
// last ended) have finished, how many of them failed, and the output tokens
// of the completed ones.
func (e *Engine) Progress() Progress {
	return Progress{Done: e.done.Load(), Failed: e.failed.Load(), OutputTokens: e.outTokens.Load()}
}

// Run is the outcome of a run.
type Run struct {
	Aggregator *metrics.Aggregator
	Start, End time.Time     // wall clock
	Duration   time.Duration // monotonic, first dispatch to last response
	CPU        time.Duration // this process's CPU time during the run
	Sent       int           // requests that went out
	Simulated  bool          // the server said it is loadgen's simulated server
	// Stopped is why the run ended early (the context's cause), or nil.
	Stopped error
}

// Run sends prompts and waits for every answer. When ctx ends it stops
// sending, cancels what is in flight and returns what was measured, with
// Stopped set.
func (e *Engine) Run(ctx context.Context, prompts []Prompt) *Run {
	agg := metrics.NewAggregator(metrics.Config{
		NumRequests: len(prompts), Detailed: e.cfg.Detailed, Lengths: e.cfg.KeepLengths, Goodput: e.cfg.Goodput,
		ExactLimit: e.cfg.ExactLimit,
	})
	e.resetProgress()
	run := &Run{Aggregator: agg}
	cpu0 := cpuTime()
	run.Start = time.Now()
	run.Sent, run.Stopped = e.dispatch(ctx, prompts, run.Start, agg, NewSchedule(e.cfg.RequestRate, e.cfg.Burstiness, e.cfg.Seed))
	run.Duration = time.Since(run.Start)
	// The end on the start's wall clock: a step of the wall clock during
	// the run (an NTP correction) must not make the two disagree with the
	// duration, which power measurements window their samples with.
	run.End = run.Start.Add(run.Duration)
	run.CPU = cpuTime() - cpu0
	run.Simulated = e.simulated.Load()
	return run
}

// resetProgress starts the counts Progress reports (of the warmup or the
// run, whichever comes next) from zero.
func (e *Engine) resetProgress() {
	e.done.Store(0)
	e.failed.Store(0)
	e.outTokens.Store(0)
}

// WarmupResult is what the warmup requests did.
type WarmupResult struct {
	Sent, Failed int
	FirstError   string
	Stopped      error // why the warmup stopped early (nil when it did not)
}

// Warmup sends prompts at once under the concurrency limit and forgets
// their timings.
func (e *Engine) Warmup(ctx context.Context, prompts []Prompt) WarmupResult {
	agg := metrics.NewAggregator(metrics.Config{NumRequests: len(prompts), ExactLimit: 1})
	e.resetProgress()
	start := time.Now()
	sent, stopped := e.dispatch(ctx, prompts, start, agg, NewSchedule(math.Inf(1), 1, 0))
	m := agg.Finish(nil)
	res := WarmupResult{Sent: sent, Failed: m.Failed, Stopped: stopped}
	if len(m.Errors) > 0 {
		res.FirstError = m.Errors[0].Kind + ": " + m.Errors[0].First
	}
	return res
}

// dispatch sends each prompt at its scheduled time once a concurrency slot
// is free, and waits for all of them. It returns how many it sent and why
// it stopped early (nil when it did not).
func (e *Engine) dispatch(ctx context.Context, prompts []Prompt, start time.Time, agg *metrics.Aggregator, sched *Schedule) (int, error) {
	// A slot token carries when it was freed (offset from start), so that
	// the wait for a slot is measured apart from the client's own delay.
	var slots chan time.Duration
	if n := e.cfg.MaxConcurrency; n > 0 {
		slots = make(chan time.Duration, n)
		for range n {
			slots <- 0
		}
	}
	w := newWatchdog(e.cfg.StallTimeout, start)
	defer w.stop()
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var wg sync.WaitGroup
	sent := 0
	for i, p := range prompts {
		offset := sched.Next()
		if !sleepUntil(ctx, start.Add(offset)) {
			abandon(ctx, agg, prompts[i:], i)
			break
		}
		eligible := offset
		if slots != nil {
			select {
			case freed := <-slots:
				eligible = max(offset, freed)
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				abandon(ctx, agg, prompts[i:], i)
				break
			}
		}
		model := e.cfg.Model
		if len(e.cfg.LoRAModules) > 0 {
			model = e.cfg.LoRAModules[e.rng.IntN(len(e.cfg.LoRAModules))]
		}
		sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do(ctx, stop, w, start, i, p, model, offset, eligible)
			if slots != nil {
				slots <- time.Since(start)
			}
			e.done.Add(1)
			if !r.Success && !r.Canceled {
				e.failed.Add(1)
			}
			if r.Success {
				e.outTokens.Add(int64(r.OutputTokens))
			}
			agg.Add(r)
			releaseRequest(r)
		}()
	}
	wg.Wait()
	return sent, context.Cause(ctx)
}

// abandon records prompts that were never sent, so detailed results keep
// one entry per prompt.
func abandon(ctx context.Context, agg *metrics.Aggregator, rest []Prompt, first int) {
	msg := "not sent: the run stopped: " + context.Cause(ctx).Error()
	for j, p := range rest {
		agg.Add(&metrics.Request{Index: first + j, PromptLen: p.PromptLen, ServerPromptTokens: -1, Err: msg})
	}
}

// sleepUntil waits for t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	if ctx.Err() != nil {
		return false
	}
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

var requestPool = sync.Pool{New: func() any { return new(metrics.Request) }}

func newRequest() *metrics.Request {
	r := requestPool.Get().(*metrics.Request)
	*r = metrics.Request{ITL: r.ITL[:0], ChunkTokens: r.ChunkTokens[:0], ServerPromptTokens: -1}
	return r
}

func releaseRequest(r *metrics.Request) {
	if cap(r.ITL) > 1<<16 {
		r.ITL = nil // do not keep a huge buffer around
	}
	requestPool.Put(r)
}

// Causes of a request's end that are not the server's doing.
var (
	errRequestTimeout = errors.New("request timeout")
	errStall          = errors.New("stream stall timeout")
)

// streamState is one request's reading of its stream.
type streamState struct {
	reader *sse.Reader
	chunk  backend.Chunk
	memo   backend.Memo
	text   []byte
}

var streamPool = sync.Pool{New: func() any { return &streamState{reader: sse.NewReader(nil, nil)} }}

// do sends one request and reads its answer.
func (e *Engine) do(ctx context.Context, stop context.CancelCauseFunc, w *watchdog, start time.Time, index int, p Prompt, model string, scheduled, eligible time.Duration) *metrics.Request {
	r := newRequest()
	r.Index, r.PromptLen, r.Sent, r.Scheduled, r.Eligible = index, p.PromptLen, true, scheduled, eligible

	body, err := e.cfg.Backend.AppendBody(nil, backend.Request{
		Model: model, Prompt: p.Prompt, PromptLen: p.PromptLen, OutputLen: p.OutputLen, BestOf: e.cfg.BestOf,
		Logprobs: e.cfg.Logprobs, IgnoreEOS: e.cfg.IgnoreEOS, ContinuousUsage: e.cfg.ContinuousUsage,
	})
	if err != nil {
		r.SentAt = time.Since(start)
		return fail(r, KindParse, "encoding the request: "+err.Error())
	}
	reqCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if e.cfg.RequestTimeout > 0 {
		var stop context.CancelFunc
		reqCtx, stop = context.WithTimeoutCause(reqCtx, e.cfg.RequestTimeout, errRequestTimeout)
		defer stop()
	}
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, e.cfg.URL, bytes.NewReader(body))
	if err != nil {
		r.SentAt = time.Since(start)
		return fail(r, KindConnect, err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range e.cfg.Header {
		req.Header[k] = v
	}

	r.SentAt = time.Since(start)
	resp, err := e.client.Do(req)
	if err != nil {
		return e.transportFailure(ctx, stop, reqCtx, r, err, KindConnect)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-InferenceX-Simulated") == "true" {
		e.simulated.Store(true)
	}
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		msg := strings.TrimSpace(string(snippet))
		if msg != "" {
			msg = ": " + msg
		}
		return fail(r, KindHTTPStatus, fmt.Sprintf("HTTP %s%s", resp.Status, msg))
	}

	st := streamPool.Get().(*streamState)
	defer streamPool.Put(st)
	st.text = st.text[:0]
	if !e.cfg.Backend.Streaming() {
		return e.whole(ctx, stop, reqCtx, r, resp.Body, st, start)
	}

	fl := w.track(cancel)
	defer w.untrack(fl)
	st.reader.Reset(resp.Body)
	st.memo.Reset()
	st.reader.SetClock(func() time.Time {
		now := time.Now()
		fl.lastRead.Store(int64(now.Sub(start)))
		return now
	})

	done := false
	usage := -1
	prevUsage := 0
	knownChunkTokens := true
	var last time.Duration
	for {
		ev, err := st.reader.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ml *sse.MalformedLineError
			if errors.As(err, &ml) {
				return fail(r, KindParse, err.Error())
			}
			return e.transportFailure(ctx, stop, reqCtx, r, err, KindDropped)
		}
		if ev.Done() {
			done = true
			continue
		}
		if err := backend.ParseStream(e.cfg.Backend, &st.memo, ev.Data, &st.chunk); err != nil {
			var pe *backend.PayloadError
			if errors.As(err, &pe) && pe.Kind == backend.ServerError {
				return fail(r, KindServerError, err.Error())
			}
			return fail(r, KindParse, err.Error())
		}
		c := &st.chunk
		if c.Token {
			t := ev.At.Sub(start)
			if r.Chunks == 0 {
				r.FirstToken = t
				fl.firstToken.Store(true)
			} else {
				r.ITL = append(r.ITL, (t - last).Seconds())
			}
			last = t
			r.Chunks++
			if c.ReplaceText {
				st.text = append(st.text[:0], c.Text...)
			} else {
				st.text = append(st.text, c.Text...)
			}
			switch n := c.CompletionTokens - prevUsage; {
			case c.HasUsage:
				r.ChunkTokens = append(r.ChunkTokens, n)
				if n <= 0 {
					r.HeaderChunks++
				}
			case c.ChunkTokens > 0:
				r.ChunkTokens = append(r.ChunkTokens, c.ChunkTokens)
			case len(c.Text) == 0 && !c.ReplaceText:
				// No text and no count: a header such as chat's role
				// chunk. A token would have come with a count where the
				// other chunks have one (usage or logprobs in every chunk).
				r.ChunkTokens = append(r.ChunkTokens, 0)
				r.HeaderChunks++
			default:
				knownChunkTokens = false
			}
		}
		if c.HasUsage {
			usage = c.CompletionTokens
			prevUsage = c.CompletionTokens
			if c.PromptTokens >= 0 {
				r.ServerPromptTokens = c.PromptTokens
			}
		}
	}
	r.LastToken = last
	if !knownChunkTokens {
		r.ChunkTokens = r.ChunkTokens[:0]
	}
	if !done && e.cfg.Backend.EndsWithDone() {
		return fail(r, KindDropped, fmt.Sprintf("the stream ended without [DONE] after %d chunks", r.Chunks))
	}
	return e.finish(r, st, usage)
}

// whole reads a non-streaming answer: the whole body is one payload.
func (e *Engine) whole(ctx context.Context, stop context.CancelCauseFunc, reqCtx context.Context, r *metrics.Request, body io.Reader, st *streamState, start time.Time) *metrics.Request {
	data, err := io.ReadAll(body)
	if err != nil {
		return e.transportFailure(ctx, stop, reqCtx, r, err, KindDropped)
	}
	r.LastToken = time.Since(start)
	if err := e.cfg.Backend.Parse(data, &st.chunk); err != nil {
		return fail(r, KindParse, err.Error())
	}
	// As in the original, a non-streaming answer has no TTFT.
	r.Chunks = 1
	st.text = append(st.text[:0], st.chunk.Text...)
	usage := -1
	if st.chunk.HasUsage {
		usage = st.chunk.CompletionTokens
	}
	return e.finish(r, st, usage)
}

// finish settles a stream that ended cleanly: it needs a token, and an
// output-token count from the server or the tokenizer.
func (e *Engine) finish(r *metrics.Request, st *streamState, usage int) *metrics.Request {
	if r.Chunks == 0 {
		return fail(r, KindNoToken, "the stream ended without a token")
	}
	if e.cfg.Detailed {
		r.Text = string(st.text)
	}
	switch {
	case usage >= 0:
		r.OutputTokens, r.TokenSource = usage, metrics.FromUsage
	case e.cfg.Counter != nil:
		n, err := e.cfg.Counter.CountTokens(string(st.text))
		if err != nil {
			return fail(r, KindNoUsage, "counting output tokens: "+err.Error())
		}
		r.OutputTokens, r.TokenSource = n, metrics.FromTokenizer
	default:
		return fail(r, KindNoUsage, "the server sent no usage and there is no tokenizer to count output tokens with")
	}
	r.Success = true
	return r
}

func fail(r *metrics.Request, kind, msg string) *metrics.Request {
	r.Success = false
	r.ErrKind, r.Err = kind, msg
	return r
}

// transportFailure classifies an I/O error by what caused it.
func (e *Engine) transportFailure(runCtx context.Context, stop context.CancelCauseFunc, reqCtx context.Context, r *metrics.Request, err error, fallback string) *metrics.Request {
	canceled := func() *metrics.Request {
		r.Canceled = true
		return fail(r, KindCanceled, "the run stopped: "+context.Cause(runCtx).Error())
	}
	if runCtx.Err() != nil {
		return canceled()
	}
	switch cause := context.Cause(reqCtx); {
	case errors.Is(cause, errRequestTimeout):
		return fail(r, KindTimeout, fmt.Sprintf("no complete answer within %v", e.cfg.RequestTimeout))
	case errors.Is(cause, errStall):
		return fail(r, KindStall, fmt.Sprintf("the stream sent nothing for %v", e.cfg.StallTimeout))
	}
	if e.cfg.ServerGone != nil {
		if gone := e.cfg.ServerGone(); gone != nil {
			stop(gone)
			return canceled()
		}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fail(r, KindConnect, err.Error())
	}
	return fail(r, fallback, err.Error())
}
