// Package simserver is a simulated OpenAI-compatible inference server for
// tests and demos: /health, /v1/models, /v1/completions and
// /v1/chat/completions with vLLM's server-sent event framing and usage
// chunk, driven by a timing model of a continuous-batching engine (prefill
// cost per prompt token, a decode step that slows as the batch grows, a
// maximum batch with a queue behind it) and with faults to switch on
// (HTTP errors, dropped streams, stalls, malformed chunks).
//
// It generates no language: every token is a word from a fixed list. It is
// never a source of published numbers; every response carries the header
// X-InferenceX-Simulated: true and loadgen labels its results simulated.
package simserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// SimulatedHeader marks every response of the simulated server.
const SimulatedHeader = "X-InferenceX-Simulated"

// Config is the simulated server's model and faults.
type Config struct {
	// Model is the served model name; requests naming another get 404.
	Model       string
	MaxModelLen int

	// The timing model. A step lasts DecodeStep + DecodePerSeq × running
	// requests + PrefillPerToken × prompt tokens prefilled in the step.
	PrefillPerToken  time.Duration
	DecodeStep       time.Duration
	DecodePerSeq     time.Duration
	MaxBatch         int // requests running at once; more wait in a queue
	MaxPrefillTokens int // prompt tokens prefilled per step (chunked prefill)
	// TokensPerChunk is how many tokens a request gets per decode step, as
	// speculative decoding gives; each step's tokens go out as one chunk.
	TokensPerChunk int
	// EOSProbability is the chance per token that a request not sent with
	// ignore_eos stops (finish_reason "stop").
	EOSProbability float64
	// PreciseSteps ends steps on time to well under a millisecond by
	// spinning through the last 1.5 ms of each, at the cost of that much
	// CPU per step; for measuring a client against a fixed interval.
	PreciseSteps bool

	// Prefix caching (off when KVCacheTokens is 0): prompts are cut into
	// blocks of BlockSize tokens, KVCacheTokens of them fit on the "GPU",
	// KVOffloadTokens more in a CPU tier whose hits cost OffloadPerToken
	// per token instead of prefill. KVBytesPerToken sizes the offload byte
	// counters of /metrics.
	BlockSize       int
	KVCacheTokens   int
	KVOffloadTokens int
	OffloadPerToken time.Duration
	KVBytesPerToken int

	// Faults, as fractions of requests.
	ErrorRate     float64       // answered 500 before any token
	DropRate      float64       // connection cut mid-stream
	StallRate     float64       // stream stops sending mid-stream
	StallFor      time.Duration // how long a stall lasts; 0: until the client gives up
	MalformedRate float64       // one chunk replaced by a line that is not JSON
	NoUsage       bool          // never send the usage chunk

	// Seed makes fault choices and early stops reproducible: they depend
	// on the seed and the prompt only.
	Seed uint64

	// CountTokens counts prompt tokens (loadgen sim-server --tokenizer uses
	// the model's tokenizer, without special tokens, as the random dataset
	// counts). Nil estimates one token per four bytes of prompt, rounded
	// up, which is then what usage.prompt_tokens reports.
	CountTokens func(string) (int, error)
}

// Defaults returns a Config shaped like a large model on one node: 20 ms
// steps growing by 0.05 ms per running request, 256 running at most, 8192
// prefill tokens per step at 0.02 ms each.
func Defaults() Config {
	return Config{
		Model: "simulated-model", MaxModelLen: 131072,
		PrefillPerToken: 20 * time.Microsecond, DecodeStep: 20 * time.Millisecond, DecodePerSeq: 50 * time.Microsecond,
		MaxBatch: 256, MaxPrefillTokens: 8192, TokensPerChunk: 1, EOSProbability: 0.001,
		BlockSize: 16, OffloadPerToken: 2 * time.Microsecond, KVBytesPerToken: 131072,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	rate := func(name string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%s must be between 0 and 1, got %v", name, v)
		}
		return nil
	}
	switch {
	case c.Model == "":
		return errors.New("model name must not be empty")
	case c.MaxModelLen < 1:
		return fmt.Errorf("max model length must be positive, got %d", c.MaxModelLen)
	case c.PrefillPerToken < 0 || c.DecodeStep < 0 || c.DecodePerSeq < 0:
		return errors.New("step times must not be negative")
	case c.MaxBatch < 1:
		return fmt.Errorf("max batch must be at least 1, got %d", c.MaxBatch)
	case c.MaxPrefillTokens < 1:
		return fmt.Errorf("max prefill tokens must be at least 1, got %d", c.MaxPrefillTokens)
	case c.TokensPerChunk < 1:
		return fmt.Errorf("tokens per chunk must be at least 1, got %d", c.TokensPerChunk)
	case c.KVCacheTokens > 0 && c.BlockSize < 1:
		return fmt.Errorf("block size must be at least 1, got %d", c.BlockSize)
	case c.KVCacheTokens < 0 || c.KVOffloadTokens < 0:
		return errors.New("KV cache and offload capacities must not be negative")
	case c.KVOffloadTokens > 0 && c.KVCacheTokens == 0:
		return errors.New("a KV offload tier needs the GPU cache on (set the KV cache capacity)")
	case c.OffloadPerToken < 0:
		return errors.New("offload transfer time must not be negative")
	case c.KVBytesPerToken < 0:
		return errors.New("KV bytes per token must not be negative")
	case c.StallFor < 0:
		return errors.New("stall duration must not be negative")
	}
	for _, r := range []struct {
		n string
		v float64
	}{{"EOS probability", c.EOSProbability}, {"error rate", c.ErrorRate}, {"drop rate", c.DropRate},
		{"stall rate", c.StallRate}, {"malformed rate", c.MalformedRate}} {
		if err := rate(r.n, r.v); err != nil {
			return err
		}
	}
	return nil
}

// Server is the simulated server; it is an http.Handler.
type Server struct {
	cfg       Config
	sched     *scheduler
	mux       *http.ServeMux
	modelJSON []byte // the model name as a JSON string
	created   int64
	nextID    atomic.Uint64
	requests  atomic.Int64
	stop      context.CancelFunc
	done      chan struct{}

	occurMu sync.Mutex
	occur   map[uint64]int // how often each prompt was seen, for fault draws
}

// New starts the simulated engine; Close stops it.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	mj, _ := json.Marshal(cfg.Model)
	s := &Server{cfg: cfg, sched: newScheduler(cfg), mux: http.NewServeMux(), modelJSON: mj,
		created: time.Now().Unix(), stop: cancel, done: make(chan struct{}), occur: map[uint64]int{}}
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	s.mux.HandleFunc("GET /v1/models", s.models)
	s.mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) { s.generate(w, r, false) })
	s.mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) { s.generate(w, r, true) })
	s.mux.HandleFunc("POST /start_profile", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	s.mux.HandleFunc("POST /stop_profile", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	s.mux.HandleFunc("GET /sim/stats", s.stats)
	s.mux.HandleFunc("GET /metrics", s.metrics)
	s.mux.HandleFunc("GET /sim/cache", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.CacheStats()) })
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	})
	go func() {
		defer close(s.done)
		s.sched.run(ctx)
	}()
	return s, nil
}

// Close stops the engine; streams in progress end.
func (s *Server) Close() {
	s.stop()
	<-s.done
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(SimulatedHeader, "true")
	s.mux.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError answers as vLLM does: an error object with the HTTP status.
func apiError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"object": "error", "message": msg, "type": typ, "param": nil, "code": status})
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{map[string]any{
		"id": s.cfg.Model, "object": "model", "created": s.created, "owned_by": "inferencex-simulated",
		"root": s.cfg.Model, "parent": nil, "max_model_len": s.cfg.MaxModelLen,
	}}})
}

// Stats is what /sim/stats reports: the engine's own view, the truth a
// client's measurements are checked against.
type Stats struct {
	Requests      int64   `json:"requests"`
	Finished      int64   `json:"finished"`
	Running       int     `json:"running"`
	Queued        int     `json:"queued"`
	Steps         int64   `json:"steps"`
	OutputTokens  int64   `json:"output_tokens"`
	StepGaps      int64   `json:"step_gaps"`
	MeanStepMs    float64 `json:"mean_step_ms"`
	MedianStepMs  float64 `json:"median_step_ms"`
	P99StepMs     float64 `json:"p99_step_ms"`
	TokensPerStep int     `json:"tokens_per_chunk"`
	// From the streams as the server flushed them, finished streams only:
	// the truth a client should measure, in the original's definitions
	// (ITL between token-bearing chunks, TPOT per request).
	SentITLs        int64   `json:"sent_itls"`
	MedianSentITLMs float64 `json:"median_sent_itl_ms"`
	MeanSentITLMs   float64 `json:"mean_sent_itl_ms"`
	SentTPOTs       int64   `json:"sent_tpots"`
	MedianSentTPOT  float64 `json:"median_sent_tpot_ms"`
	MeanSentTPOT    float64 `json:"mean_sent_tpot_ms"`
}

// Stats returns the engine's counters and the measured decode step gaps.
func (s *Server) Stats() Stats {
	s.sched.statsMu.Lock()
	defer s.sched.statsMu.Unlock()
	sum := s.sched.stepGaps.Summarize([]float64{99})
	itl := s.sched.sentGaps.Summarize(nil)
	tpot := s.sched.sentTPOT.Summarize(nil)
	return Stats{
		SentITLs: itl.Count, MedianSentITLMs: itl.Median * 1000, MeanSentITLMs: itl.Mean * 1000,
		SentTPOTs: tpot.Count, MedianSentTPOT: tpot.Median * 1000, MeanSentTPOT: tpot.Mean * 1000,
		Requests: s.requests.Load(), Finished: s.sched.finished, Running: s.sched.running, Queued: s.sched.queued,
		Steps: s.sched.steps, OutputTokens: s.sched.tokens, StepGaps: sum.Count,
		MeanStepMs: sum.Mean * 1000, MedianStepMs: sum.Median * 1000, P99StepMs: sum.Percentiles[0] * 1000,
		TokensPerStep: s.cfg.TokensPerChunk,
	}
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

// genRequest is the part of a completions or chat request the simulation
// reads.
type genRequest struct {
	Model               string          `json:"model"`
	Prompt              json.RawMessage `json:"prompt"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	IgnoreEOS           bool            `json:"ignore_eos"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage         bool `json:"include_usage"`
		ContinuousUsageStats bool `json:"continuous_usage_stats"`
	} `json:"stream_options"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// promptText gets the text to count: the prompt, or the messages' text
// concatenated (the simulation applies no chat template).
func (g *genRequest) promptText(chat bool) (string, error) {
	if !chat {
		var p string
		if err := json.Unmarshal(g.Prompt, &p); err == nil {
			return p, nil
		}
		var ps []string
		if err := json.Unmarshal(g.Prompt, &ps); err == nil && len(ps) == 1 {
			return ps[0], nil
		}
		return "", errors.New("prompt must be a string (or a list of one string)")
	}
	if len(g.Messages) == 0 {
		return "", errors.New("messages must not be empty")
	}
	var text []byte
	for i, m := range g.Messages {
		var s string
		if err := json.Unmarshal(m.Content, &s); err == nil {
			text = append(text, s...)
			continue
		}
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(m.Content, &parts); err != nil {
			return "", fmt.Errorf("messages[%d].content must be a string or a list of parts", i)
		}
		for _, p := range parts {
			text = append(text, p.Text...)
		}
	}
	return string(text), nil
}

type fault int

const (
	noFault fault = iota
	errorFault
	dropFault
	stallFault
	malformedFault
)

// plan draws a request's fate from the seed and the prompt alone, so that a
// rerun with the same prompts meets the same faults.
func (s *Server) plan(prompt string, maxTokens int) (f fault, at int, eosAfter int) {
	h := fnv.New64a()
	_, _ = io.WriteString(h, prompt)
	key := h.Sum64()
	s.occurMu.Lock()
	n := s.occur[key]
	s.occur[key] = n + 1
	s.occurMu.Unlock()
	rng := rand.New(rand.NewPCG(s.cfg.Seed, key+uint64(n)*0x9e3779b97f4a7c15))
	x := rng.Float64()
	switch c := s.cfg; {
	case x < c.ErrorRate:
		f = errorFault
	case x < c.ErrorRate+c.DropRate:
		f = dropFault
	case x < c.ErrorRate+c.DropRate+c.StallRate:
		f = stallFault
	case x < c.ErrorRate+c.DropRate+c.StallRate+c.MalformedRate:
		f = malformedFault
	}
	if maxTokens > 1 {
		at = 1 + rng.IntN(maxTokens-1) // after at least one token, before the last
	}
	if p := s.cfg.EOSProbability; p > 0 {
		// Geometric: the first token at which EOS is sampled.
		u := rng.Float64()
		if p >= 1 {
			eosAfter = 1
		} else {
			eosAfter = 1 + int(math.Floor(math.Log1p(-u)/math.Log1p(-p)))
		}
	}
	return f, at, eosAfter
}

func (s *Server) generate(w http.ResponseWriter, r *http.Request, chat bool) {
	s.requests.Add(1)
	var req genRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "BadRequestError", "invalid JSON body: "+err.Error())
		return
	}
	if req.Model != s.cfg.Model {
		apiError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("The model `%s` does not exist.", req.Model))
		return
	}
	text, err := req.promptText(chat)
	if err != nil {
		apiError(w, http.StatusBadRequest, "BadRequestError", err.Error())
		return
	}
	promptTokens := (len(text) + 3) / 4
	if s.cfg.CountTokens != nil {
		if promptTokens, err = s.cfg.CountTokens(text); err != nil {
			apiError(w, http.StatusBadRequest, "BadRequestError", "tokenizing the prompt: "+err.Error())
			return
		}
	}
	maxTokens := 16 // the OpenAI completions default
	if chat {
		maxTokens = s.cfg.MaxModelLen - promptTokens
	}
	for _, m := range []*int{req.MaxCompletionTokens, req.MaxTokens} {
		if m != nil {
			maxTokens = *m
			break
		}
	}
	if maxTokens < 1 {
		apiError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf("max_tokens must be at least 1, got %d.", maxTokens))
		return
	}
	if promptTokens+maxTokens > s.cfg.MaxModelLen {
		apiError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf(
			"This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion).",
			s.cfg.MaxModelLen, promptTokens+maxTokens, promptTokens, maxTokens))
		return
	}
	f, faultAt, eosAfter := s.plan(text, maxTokens)
	if f == errorFault {
		apiError(w, http.StatusInternalServerError, "InternalServerError", "simulated server error")
		return
	}
	q := &seq{promptTokens: max(promptTokens, 1), maxTokens: maxTokens, ignoreEOS: req.IgnoreEOS, eosAfter: eosAfter,
		notify: make(chan struct{}, 1)}
	if s.cfg.KVCacheTokens > 0 {
		q.blocks = blockHashes(text, q.promptTokens, s.cfg.BlockSize)
	}
	defer q.canceled.Store(true)
	s.sched.submit(q)

	st := stream{s: s, w: w, chat: chat, id: s.nextID.Add(1), promptTokens: promptTokens}
	if req.StreamOptions != nil {
		st.usage = req.StreamOptions.IncludeUsage && !s.cfg.NoUsage
		st.continuous = req.StreamOptions.ContinuousUsageStats && !s.cfg.NoUsage
	}
	if !req.Stream {
		st.whole(r.Context(), q)
		return
	}
	st.run(r.Context(), q, f, faultAt)
}

// GPUKVCacheTokens is the GPU tier's capacity in tokens as the cache holds
// it (whole blocks), 0 with prefix caching off.
func (c Config) GPUKVCacheTokens() int {
	if c.KVCacheTokens <= 0 || c.BlockSize < 1 {
		return 0
	}
	return c.KVCacheTokens / c.BlockSize * c.BlockSize
}
