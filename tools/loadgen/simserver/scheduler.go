package simserver

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
)

// emission is what one engine step produced for a sequence.
type emission struct {
	tokens int
	final  bool
	reason string // finish reason on the final emission: "length" or "stop"
	at     time.Time
	step   int64 // the engine step that produced it, counting from 1
}

// seq is one request inside the simulated engine.
type seq struct {
	promptTokens int
	maxTokens    int
	ignoreEOS    bool
	eosAfter     int      // tokens after which EOS would be sampled; 0 = never
	blocks       []uint64 // prefix block hashes, when the cache is on

	// Owned by the scheduler goroutine: the cache blocks the request pins.
	held []uint64

	// Owned by the scheduler goroutine.
	prefilled int
	generated int

	mu      sync.Mutex
	pending []emission
	notify  chan struct{} // cap 1: "pending has something"

	canceled atomic.Bool
}

func (q *seq) push(e emission) {
	q.mu.Lock()
	q.pending = append(q.pending, e)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// take returns what was emitted since the last take, reusing buf.
func (q *seq) take(buf []emission) []emission {
	q.mu.Lock()
	buf = append(buf[:0], q.pending...)
	q.pending = q.pending[:0]
	q.mu.Unlock()
	return buf
}

// scheduler is a continuous-batching engine in miniature: a FIFO of
// waiting requests, at most MaxBatch running, chunked prefill under a
// per-step token budget, and one decode step after another whose duration
// grows with the batch. It does no work: it only keeps time.
type scheduler struct {
	cfg Config

	mu      sync.Mutex
	waiting []*seq
	wake    chan struct{}

	// Read by /sim/stats.
	statsMu   sync.Mutex
	stepGaps  *metrics.Dist // seconds between consecutive decode emissions
	sentGaps  *metrics.Dist // seconds between token-bearing chunks as flushed
	sentTPOT  *metrics.Dist // per request: (last − first chunk flushed) / (tokens − 1)
	steps     int64
	running   int
	queued    int
	tokens    int64
	finished  int64
	lastEmit  time.Time
	promptTok int64    // prompt tokens of admitted requests
	computed  int64    // of those, prefilled (not found in the cache)
	cache     *kvCache // nil when prefix caching is off; guarded by statsMu
	sleepFunc func(context.Context, time.Time) bool
}

func newScheduler(cfg Config) *scheduler {
	s := &scheduler{cfg: cfg, wake: make(chan struct{}, 1), stepGaps: metrics.NewDist(0), sentGaps: metrics.NewDist(0),
		sentTPOT: metrics.NewDist(0), sleepFunc: sleepUntil}
	if cfg.KVCacheTokens > 0 {
		s.cache = newKVCache(cfg.BlockSize, cfg.KVCacheTokens, cfg.KVOffloadTokens)
	}
	if cfg.PreciseSteps {
		s.sleepFunc = spinUntil
	}
	return s
}

func (s *scheduler) submit(q *seq) {
	s.mu.Lock()
	s.waiting = append(s.waiting, q)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// sleepUntil waits for t or ctx; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
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

// recordTruth adds a finished stream's timing as the server sent it.
func (s *scheduler) recordTruth(gaps []float64, first, last time.Time, tokens int) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.sentGaps.AddAll(gaps)
	if tokens > 1 && !first.IsZero() {
		s.sentTPOT.Add(last.Sub(first).Seconds() / float64(tokens-1))
	}
}

// spinMargin is how long before a step's end spinUntil stops sleeping:
// more than the Go runtime's timer granularity (a millisecond on Linux).
const spinMargin = 1500 * time.Microsecond

// spinUntil is sleepUntil with sub-millisecond precision: it sleeps until
// shortly before t, then yields the processor in a loop until t. Timers
// alone wake up to a millisecond late, which makes a 10 ms step alternate
// between about 9.2 and 10.3 ms; a client's measurement is then checked
// against a truth that is not fixed.
func spinUntil(ctx context.Context, t time.Time) bool {
	if d := time.Until(t) - spinMargin; d > 0 && !sleepUntil(ctx, time.Now().Add(d)) {
		return false
	}
	for time.Now().Before(t) {
		if ctx.Err() != nil {
			return false
		}
		runtime.Gosched()
	}
	return ctx.Err() == nil
}

// run is the engine loop. Steps are planned on an absolute clock: a step
// ends a step-duration after the previous one was planned to end, so timer
// overshoot does not accumulate into the inter-token interval.
func (s *scheduler) run(ctx context.Context) {
	var running []*seq
	var planned time.Time // planned end of the previous step; zero when idle
	for ctx.Err() == nil {
		// Drop requests whose clients went away, and admit waiting ones.
		kept := running[:0]
		for _, q := range running {
			if !q.canceled.Load() {
				kept = append(kept, q)
			} else {
				s.release(q)
			}
		}
		running = kept
		s.mu.Lock()
		var admitted []*seq
		for len(s.waiting) > 0 && len(running) < s.cfg.MaxBatch {
			q := s.waiting[0]
			s.waiting = s.waiting[1:]
			if !q.canceled.Load() {
				running = append(running, q)
				admitted = append(admitted, q)
			}
		}
		queued := len(s.waiting)
		s.mu.Unlock()
		transfer := s.admit(admitted)
		s.statsMu.Lock()
		s.running, s.queued = len(running), queued
		s.statsMu.Unlock()

		if len(running) == 0 {
			planned = time.Time{}
			select {
			case <-s.wake:
				continue
			case <-ctx.Done():
				return
			}
		}

		// Chunked prefill: spend the step's token budget on prompts in
		// arrival order; those already prefilled decode.
		budget := s.cfg.MaxPrefillTokens
		prefillTokens := 0
		decoding := make([]bool, len(running))
		for i, q := range running {
			if q.prefilled >= q.promptTokens {
				decoding[i] = true
				continue
			}
			if budget <= 0 {
				continue
			}
			take := min(budget, q.promptTokens-q.prefilled)
			q.prefilled += take
			prefillTokens += take
			budget -= take
		}
		dur := s.cfg.DecodeStep + time.Duration(len(running))*s.cfg.DecodePerSeq +
			time.Duration(prefillTokens)*s.cfg.PrefillPerToken + transfer
		if planned.IsZero() {
			planned = time.Now()
		}
		planned = planned.Add(dur)
		if !s.sleepFunc(ctx, planned) {
			return
		}
		now := time.Now()

		// Emit: decoding sequences get their step's tokens, sequences whose
		// prefill just finished get their first token.
		anyDecode := false
		kept = running[:0]
		var emitted int64
		s.statsMu.Lock()
		step := s.steps + 1
		s.statsMu.Unlock()
		for i, q := range running {
			var n int
			switch {
			case decoding[i]:
				n = min(s.cfg.TokensPerChunk, q.maxTokens-q.generated)
				anyDecode = true
			case q.prefilled >= q.promptTokens:
				n = 1
			default:
				kept = append(kept, q)
				continue
			}
			reason := ""
			if q.eosAfter > 0 && !q.ignoreEOS && q.generated+n >= q.eosAfter {
				n = max(1, q.eosAfter-q.generated)
				reason = "stop"
			}
			q.generated += n
			emitted += int64(n)
			if reason == "" && q.generated >= q.maxTokens {
				reason = "length"
			}
			q.push(emission{tokens: n, final: reason != "", reason: reason, at: now, step: step})
			if reason == "" {
				kept = append(kept, q)
			} else {
				s.statsMu.Lock()
				s.finished++
				s.statsMu.Unlock()
				s.release(q)
			}
		}
		running = kept
		s.statsMu.Lock()
		s.steps++
		s.tokens += emitted
		if anyDecode && !s.lastEmit.IsZero() {
			s.stepGaps.Add(now.Sub(s.lastEmit).Seconds())
		}
		s.lastEmit = now
		if len(running) == 0 {
			s.lastEmit = time.Time{} // an idle gap is not a step
		}
		s.statsMu.Unlock()
	}
}

// admit looks newly running requests up in the prefix cache: cached tokens
// need no prefill, and tokens found in the CPU tier cost their transfer,
// which admit returns to be added to the step.
func (s *scheduler) admit(qs []*seq) time.Duration {
	if len(qs) == 0 {
		return 0
	}
	var transfer time.Duration
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	for _, q := range qs {
		s.promptTok += int64(q.promptTokens)
		if s.cache != nil {
			var gpuHit, cpuHit int
			q.held, gpuHit, cpuHit = s.cache.acquire(q.blocks, q.promptTokens)
			q.prefilled = gpuHit + cpuHit
			transfer += time.Duration(cpuHit) * s.cfg.OffloadPerToken
		}
		s.computed += int64(q.promptTokens - q.prefilled)
	}
	return transfer
}

// release unpins a request's cache blocks once it leaves the batch.
func (s *scheduler) release(q *seq) {
	if s.cache == nil || q.held == nil {
		return
	}
	s.statsMu.Lock()
	s.cache.release(q.held)
	s.statsMu.Unlock()
	q.held = nil
}
