package metrics

import (
	"math"
	"testing"
	"time"
)

const ms = time.Millisecond

// req builds a successful request sent at 'sent' whose token chunks arrive
// at the given offsets (ms from the start of the run).
func req(index, promptLen, out int, scheduled, eligible, sent time.Duration, chunks ...time.Duration) *Request {
	r := &Request{Index: index, PromptLen: promptLen, Sent: true, Success: true, OutputTokens: out,
		ServerPromptTokens: -1, Scheduled: scheduled, Eligible: eligible, SentAt: sent}
	r.FirstToken = chunks[0]
	r.LastToken = chunks[len(chunks)-1]
	for i := 1; i < len(chunks); i++ {
		r.ITL = append(r.ITL, (chunks[i] - chunks[i-1]).Seconds())
	}
	r.Chunks = len(chunks)
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestAggregatorDefinitions(t *testing.T) {
	a := NewAggregator(Config{NumRequests: 4, Goodput: map[string]float64{"ttft": 150, "tpot": 25}})
	// TTFT 100 ms, then 3 more chunks 20 ms apart: latency 160, TPOT (160-100)/3 = 20.
	a.Add(req(0, 10, 4, 0, 0, 0, 100*ms, 120*ms, 140*ms, 160*ms))
	// Waited 50 ms for a slot, sent 1 ms late: TTFT 200 breaks the TTFT SLO.
	a.Add(req(1, 20, 2, 0, 50*ms, 51*ms, 251*ms, 281*ms))
	a.Add(&Request{Index: 2, PromptLen: 30, Sent: true, ErrKind: "http_status", Err: "HTTP 500: boom", ServerPromptTokens: -1})
	a.Add(&Request{Index: 3, PromptLen: 40, Sent: true, ErrKind: "http_status", Err: "HTTP 503: later", ServerPromptTokens: -1})
	m := a.Finish([]float64{50, 99})

	if m.Completed != 2 || m.Failed != 2 || m.TotalInput != 30 || m.TotalOutput != 6 {
		t.Fatalf("counts %+v", m)
	}
	if m.GoodCompleted != 1 {
		t.Errorf("good %d, want 1", m.GoodCompleted)
	}
	if !near(m.TTFT.Mean, 0.150) || !near(m.TTFT.Median, 0.150) {
		t.Errorf("ttft %+v", m.TTFT)
	}
	// TPOT is per request: 20 ms and (230-200)/1 = 30 ms.
	if m.TPOT.Count != 2 || !near(m.TPOT.Mean, 0.025) {
		t.Errorf("tpot %+v", m.TPOT)
	}
	if m.ITL.Count != 4 || !near(m.ITL.Median, 0.020) {
		t.Errorf("itl %+v", m.ITL)
	}
	if !near(m.E2EL.Max, 0.230) {
		t.Errorf("e2el %+v", m.E2EL)
	}
	// From the schedule, request 1's first token took 251 ms.
	if !near(m.TTFTFromScheduled.Max, 0.251) || !near(m.E2ELFromScheduled.Max, 0.281) {
		t.Errorf("from scheduled %+v %+v", m.TTFTFromScheduled, m.E2ELFromScheduled)
	}
	// Queue wait and lag count every sent request, failed ones too.
	if m.QueueWait.Count != 4 || !near(m.QueueWait.Max, 0.050) || !near(m.ScheduleLag.Max, 0.001) {
		t.Errorf("queue %+v lag %+v", m.QueueWait, m.ScheduleLag)
	}
	if len(m.Errors) != 1 || m.Errors[0].Count != 2 || m.Errors[0].First != "HTTP 500: boom" {
		t.Errorf("errors %+v", m.Errors)
	}
	if m.TokenITL.Count != 0 {
		t.Errorf("token ITL without chunk token counts: %+v", m.TokenITL)
	}
	if !near(m.OutputTokensPerChunk, 1) {
		t.Errorf("tokens per chunk %v", m.OutputTokensPerChunk)
	}
	if m.Detail != nil {
		t.Error("detail kept without Detailed")
	}
}

func TestTokenLevelITL(t *testing.T) {
	a := NewAggregator(Config{NumRequests: 1})
	// Chunks of 2, 3 and 1 tokens (speculative decoding): 6 tokens, TTFT 10 ms,
	// gaps 30 and 10 ms.
	r := req(0, 5, 6, 0, 0, 0, 10*ms, 40*ms, 50*ms)
	r.ChunkTokens = []int{2, 3, 1}
	a.Add(r)
	m := a.Finish([]float64{50})
	// Token gaps: 0 (second token of the first chunk), 10, 10, 10, 10.
	if m.TokenITL.Count != 5 || !near(m.TokenITL.Mean, 0.008) || !near(m.TokenITL.Median, 0.010) {
		t.Errorf("token ITL %+v", m.TokenITL)
	}
	// Its mean is the request's TPOT: (50-10)/5.
	if !near(m.TokenITL.Mean, m.TPOT.Mean) {
		t.Errorf("token ITL mean %v != TPOT %v", m.TokenITL.Mean, m.TPOT.Mean)
	}
	if m.ITL.Count != 2 || m.TokenChunks != 3 || m.MultiTokenChunks != 2 || !near(m.OutputTokensPerChunk, 2) {
		t.Errorf("chunk stats %+v", m)
	}
}

func TestZeroTokenChunkCarriesItsWait(t *testing.T) {
	a := NewAggregator(Config{NumRequests: 1})
	// A chat role chunk (0 tokens) first, then tokens.
	r := req(0, 5, 2, 0, 0, 0, 10*ms, 12*ms, 30*ms)
	r.ChunkTokens = []int{0, 1, 1}
	a.Add(r)
	m := a.Finish(nil)
	if m.TokenITL.Count != 2 || !near(m.TokenITL.Max, 0.018) {
		t.Errorf("token ITL %+v", m.TokenITL)
	}
}

func TestDetailAndCanceled(t *testing.T) {
	a := NewAggregator(Config{NumRequests: 3, Detailed: true})
	r := req(0, 7, 3, 0, 0, 0, 5*ms, 6*ms, 8*ms)
	r.Text = "abc"
	r.ServerPromptTokens = 8
	a.Add(r)
	a.Add(&Request{Index: 1, PromptLen: 9, Sent: true, Canceled: true, ErrKind: "canceled", Err: "run stopped", ServerPromptTokens: -1})
	a.Add(&Request{Index: 2, PromptLen: 4, Sent: false, ServerPromptTokens: -1, ITL: []float64{}})
	m := a.Finish([]float64{99})
	if m.Completed != 1 || m.Failed != 0 || m.Canceled != 1 || len(m.Errors) != 0 {
		t.Fatalf("counts %+v", m)
	}
	d := m.Detail
	if d == nil || d.InputLens[1] != 9 || d.OutputLens[0] != 3 || d.OutputLens[1] != 0 || d.Texts[0] != "abc" ||
		d.Errors[1] != "run stopped" || len(d.ITLs[0]) != 2 || d.ITLs[2] == nil || !near(d.TTFTs[0], 0.005) {
		t.Errorf("detail %+v", d)
	}
	if m.ServerPromptReported != 1 || m.ServerPromptMismatched != 1 || m.ServerPromptMaxDiff != 1 {
		t.Errorf("prompt check %+v", m)
	}
}

func TestNoCompletedRequestsGivesZeros(t *testing.T) {
	a := NewAggregator(Config{NumRequests: 1})
	a.Add(&Request{Index: 0, Sent: true, ErrKind: "connect", Err: "refused", ServerPromptTokens: -1})
	m := a.Finish([]float64{99})
	for _, s := range []Summary{m.TTFT, m.TPOT, m.ITL, m.E2EL} {
		if s.Mean != 0 || s.Median != 0 || s.Std != 0 || s.Percentiles[0] != 0 {
			t.Errorf("summary %+v, want zeros", s)
		}
	}
}

func BenchmarkAggregatorAdd(b *testing.B) {
	a := NewAggregator(Config{NumRequests: b.N})
	r := req(0, 1024, 128, 0, 0, 0, 10*ms)
	for i := range 127 {
		r.ITL = append(r.ITL, 0.02+float64(i)*1e-6)
	}
	r.LastToken = 10*ms + 127*20*ms
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		a.Add(r)
	}
}
