package metrics

import (
	"sort"
	"sync"
	"time"
)

// TokenSource says where a request's output-token count came from.
type TokenSource int

const (
	// FromUsage is the server's usage.completion_tokens.
	FromUsage TokenSource = iota
	// FromTokenizer is the client's count of the generated text.
	FromTokenizer
)

// Request is one request as the engine saw it. Times are offsets from the
// start of the run, taken from the monotonic clock.
type Request struct {
	Index     int
	PromptLen int

	Sent    bool // false when the run stopped before it went out
	Success bool
	// Canceled requests were cut off by the run stopping (a signal, the
	// server dying); they are neither completed nor failed.
	Canceled bool
	ErrKind  string
	Err      string

	OutputTokens       int
	TokenSource        TokenSource
	ServerPromptTokens int // the server's usage.prompt_tokens; -1 when not reported

	Scheduled  time.Duration // when the schedule said to send it
	Eligible   time.Duration // when it could go out: scheduled, and a concurrency slot free
	SentAt     time.Duration // when it went out
	FirstToken time.Duration // first token-bearing chunk; 0 when none
	LastToken  time.Duration // last token-bearing chunk

	// ITL holds the gaps between token-bearing chunks, in seconds: the
	// original's inter-token latency, which is per chunk.
	ITL []float64
	// ChunkTokens holds how many tokens each token-bearing chunk carried
	// (len(ITL)+1 entries) when the server said; nil when it did not.
	ChunkTokens []int
	Chunks      int // token-bearing chunks
	// HeaderChunks counts those of them that carried no token (chat's
	// role chunk): the original counts them for TTFT and ITL, but they
	// are left out of tokens per chunk.
	HeaderChunks int

	Text string // generated text, kept only for detailed results
}

// TTFT is the time to first token from the actual send, in seconds.
func (r *Request) TTFT() float64 {
	if r.FirstToken == 0 {
		return 0
	}
	return (r.FirstToken - r.SentAt).Seconds()
}

// Latency is the end-to-end latency from the actual send: to the last
// token-bearing chunk, in seconds.
func (r *Request) Latency() float64 {
	if r.LastToken == 0 {
		return 0
	}
	return (r.LastToken - r.SentAt).Seconds()
}

// Config sets what an Aggregator keeps.
type Config struct {
	NumRequests int
	// Detailed keeps the per-request arrays of --save-detailed.
	Detailed bool
	// Lengths keeps the per-request prompt and output lengths (which
	// upstream's client saves in every result), also without Detailed.
	Lengths bool
	// Goodput holds the service level objectives in milliseconds, keyed
	// ttft, tpot, e2el.
	Goodput map[string]float64
	// ExactLimit is passed to every Dist; 0 means DefaultExactLimit.
	ExactLimit int
}

// ErrorCount is how many requests failed one way, and the first message.
type ErrorCount struct {
	Kind  string
	Count int
	First string
}

// Detail is the per-request arrays of a detailed result, indexed like the
// requests; with only Config.Lengths, just InputLens and OutputLens.
type Detail struct {
	InputLens  []int
	OutputLens []int
	TTFTs      []float64
	ITLs       [][]float64
	Texts      []string
	Errors     []string
}

// Aggregator folds finished requests into the run's statistics. It is safe
// for concurrent use; memory does not grow with the number of requests
// unless Detailed is set (past the Dists' exact limits).
type Aggregator struct {
	mu  sync.Mutex
	cfg Config

	completed, failed, canceled, good int
	totalInput, totalOutput           int
	tokenSources                      [2]int

	ttft, tpot, itl, e2el                        *Dist
	tokenITL                                     *Dist
	ttftSched, e2elSched, queueWait, scheduleLag *Dist

	tokenChunks, multiTokenChunks int
	chunkOutputTokens, chunkCount int

	errors map[string]*ErrorCount

	serverPromptReported, serverPromptMismatched, serverPromptMaxDiff int

	detail *Detail
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(cfg Config) *Aggregator {
	nd := func() *Dist { return NewDist(cfg.ExactLimit) }
	a := &Aggregator{
		cfg: cfg, ttft: nd(), tpot: nd(), itl: nd(), e2el: nd(), tokenITL: nd(),
		ttftSched: nd(), e2elSched: nd(), queueWait: nd(), scheduleLag: nd(),
		errors: map[string]*ErrorCount{},
	}
	switch n := cfg.NumRequests; {
	case cfg.Detailed:
		a.detail = &Detail{
			InputLens: make([]int, n), OutputLens: make([]int, n), TTFTs: make([]float64, n),
			ITLs: make([][]float64, n), Texts: make([]string, n), Errors: make([]string, n),
		}
		for i := range a.detail.ITLs {
			a.detail.ITLs[i] = []float64{}
		}
	case cfg.Lengths:
		a.detail = &Detail{InputLens: make([]int, n), OutputLens: make([]int, n)}
	}
	return a
}

// Add folds in one finished (or abandoned) request. The Aggregator does
// not keep r or its slices unless the result is detailed.
func (a *Aggregator) Add(r *Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.detail != nil && r.Index >= 0 && r.Index < len(a.detail.InputLens) {
		d := a.detail
		d.InputLens[r.Index] = r.PromptLen
	}
	if a.cfg.Detailed && a.detail != nil && r.Index >= 0 && r.Index < len(a.detail.TTFTs) {
		d := a.detail
		d.TTFTs[r.Index] = r.TTFT()
		d.ITLs[r.Index] = append(make([]float64, 0, len(r.ITL)), r.ITL...)
		d.Texts[r.Index] = r.Text
		if !r.Success {
			d.Errors[r.Index] = r.Err
		}
	}
	if !r.Sent {
		return
	}
	a.queueWait.Add((r.Eligible - r.Scheduled).Seconds())
	a.scheduleLag.Add(max(0, r.SentAt-r.Eligible).Seconds())
	switch {
	case r.Success:
	case r.Canceled:
		a.canceled++
		return
	default:
		a.failed++
		e, ok := a.errors[r.ErrKind]
		if !ok {
			e = &ErrorCount{Kind: r.ErrKind, First: r.Err}
			a.errors[r.ErrKind] = e
		}
		e.Count++
		return
	}
	a.completed++
	out := r.OutputTokens
	if a.detail != nil && r.Index >= 0 && r.Index < len(a.detail.OutputLens) {
		a.detail.OutputLens[r.Index] = out
	}
	a.tokenSources[r.TokenSource]++
	a.totalInput += r.PromptLen
	a.totalOutput += out

	ttft, lat := r.TTFT(), r.Latency()
	tpot := 0.0
	if out > 1 {
		tpot = (lat - ttft) / float64(out-1)
		a.tpot.Add(tpot)
	}
	a.ttft.Add(ttft)
	a.e2el.Add(lat)
	a.itl.AddAll(r.ITL)
	if r.FirstToken > 0 { // non-streaming answers have no first token
		a.ttftSched.Add((r.FirstToken - r.Scheduled).Seconds())
	}
	a.e2elSched.Add((r.LastToken - r.Scheduled).Seconds())

	if a.goodRequest(ttft, tpot, lat) {
		a.good++
	}

	a.chunkCount += r.Chunks - r.HeaderChunks
	a.chunkOutputTokens += out
	if r.ChunkTokens != nil && len(r.ChunkTokens) == len(r.ITL)+1 {
		a.addTokenITL(r)
	}

	if r.ServerPromptTokens >= 0 {
		a.serverPromptReported++
		if diff := r.ServerPromptTokens - r.PromptLen; diff != 0 {
			a.serverPromptMismatched++
			a.serverPromptMaxDiff = max(a.serverPromptMaxDiff, diff, -diff)
		}
	}
}

// goodRequest applies the goodput SLOs as the original does: a request is
// good when every given SLO is at least its value.
func (a *Aggregator) goodRequest(ttft, tpot, e2el float64) bool {
	if len(a.cfg.Goodput) == 0 {
		return false
	}
	for name, slo := range a.cfg.Goodput {
		var v float64
		switch name {
		case "ttft":
			v = ttft
		case "tpot":
			v = tpot
		case "e2el":
			v = e2el
		default:
			continue
		}
		if !(slo/1000 >= v) {
			return false
		}
	}
	return true
}

// addTokenITL spreads each chunk's gap evenly over the tokens it carried,
// so that a chunk of k tokens after a gap g counts k gaps of g/k; tokens
// that came with the first chunk count gaps of 0. The token gaps of a
// request then number output tokens − 1 and sum to latency − TTFT, so their
// mean is the request's TPOT.
func (a *Aggregator) addTokenITL(r *Request) {
	first := r.ChunkTokens[0]
	for i := 1; i < first; i++ {
		a.tokenITL.Add(0)
	}
	if first > 0 {
		a.tokenChunks++
	}
	if first > 1 {
		a.multiTokenChunks++
	}
	carry := 0.0
	for j, gap := range r.ITL {
		k := r.ChunkTokens[j+1]
		carry += gap
		if k <= 0 {
			continue // a chunk without tokens (a role header) adds its wait to the next
		}
		a.tokenChunks++
		if k > 1 {
			a.multiTokenChunks++
		}
		each := carry / float64(k)
		for range k {
			a.tokenITL.Add(each)
		}
		carry = 0
	}
}

// Metrics is the outcome of a run.
type Metrics struct {
	Completed, Failed, Canceled int
	GoodCompleted               int
	TotalInput, TotalOutput     int
	// TokensFromUsage and TokensFromTokenizer count completed requests by
	// where their output-token count came from.
	TokensFromUsage, TokensFromTokenizer int

	TTFT, TPOT, ITL, E2EL Summary
	// TokenITL is the token-level inter-token latency; Count is 0 when no
	// request said how many tokens its chunks carried.
	TokenITL Summary

	TTFTFromScheduled, E2ELFromScheduled Summary
	QueueWait, ScheduleLag               Summary

	// OutputTokensPerChunk is output tokens over token-bearing chunks of
	// completed requests: above 1 when chunks carry several tokens.
	OutputTokensPerChunk float64
	// TokenChunks and MultiTokenChunks count chunks whose token count is
	// known, and those of them with more than one token.
	TokenChunks, MultiTokenChunks int

	Errors []ErrorCount // sorted by kind; First is the first to finish

	ServerPromptReported, ServerPromptMismatched, ServerPromptMaxDiff int

	Detail *Detail // nil unless detailed or keeping lengths
}

// ExtraPercentiles are the percentiles loadgen's own metrics (token ITL,
// latencies from the schedule, queue wait, schedule lag) are given with,
// whatever --metric-percentiles says: their keys are fixed.
var ExtraPercentiles = []float64{99}

// Finish computes the statistics: the original's four metrics with the
// given percentiles, the others with ExtraPercentiles.
func (a *Aggregator) Finish(percentiles []float64) Metrics {
	a.mu.Lock()
	defer a.mu.Unlock()
	sum := func(d *Dist) Summary { return d.Summarize(percentiles) }
	extra := func(d *Dist) Summary { return d.Summarize(ExtraPercentiles) }
	m := Metrics{
		Completed: a.completed, Failed: a.failed, Canceled: a.canceled, GoodCompleted: a.good,
		TotalInput: a.totalInput, TotalOutput: a.totalOutput,
		TokensFromUsage: a.tokenSources[FromUsage], TokensFromTokenizer: a.tokenSources[FromTokenizer],
		TTFT: sum(a.ttft), TPOT: sum(a.tpot), ITL: sum(a.itl), E2EL: sum(a.e2el), TokenITL: extra(a.tokenITL),
		TTFTFromScheduled: extra(a.ttftSched), E2ELFromScheduled: extra(a.e2elSched),
		QueueWait: extra(a.queueWait), ScheduleLag: extra(a.scheduleLag),
		TokenChunks: a.tokenChunks, MultiTokenChunks: a.multiTokenChunks,
		ServerPromptReported: a.serverPromptReported, ServerPromptMismatched: a.serverPromptMismatched,
		ServerPromptMaxDiff: a.serverPromptMaxDiff,
		Detail:              a.detail,
	}
	if a.chunkCount > 0 {
		m.OutputTokensPerChunk = float64(a.chunkOutputTokens) / float64(a.chunkCount)
	}
	for _, e := range a.errors {
		m.Errors = append(m.Errors, *e)
	}
	sort.Slice(m.Errors, func(i, j int) bool { return m.Errors[i].Kind < m.Errors[j].Kind })
	return m
}
