package replay

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/aiperf"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
)

// collector turns finished requests into AIPerf records as they come.
type collector struct {
	serverTokens bool
	countText    func(string) (int, error) // nil: use the usage or the chunks
	verify       func(*Result) (int, error)

	records []aiperf.Record
	// Profiling-phase measures for the aggregate.
	lags           []float64 // ms between the schedule and the send
	fired          []float64 // ms between the schedule and the scheduler taking it up
	hitBlocks      int
	totalBlocks    int
	errors         map[string]*aiperf.ErrorCount
	errorOrder     []string
	usageMissing   int
	verified       int
	mismatched     int
	firstMismatch  string
	serverMismatch int // the server's prompt_tokens differ from the prompt's
	short          int
	resets         int
}

func newCollector(serverTokens bool, countText func(string) (int, error), verify func(*Result) (int, error)) *collector {
	return &collector{serverTokens: serverTokens, countText: countText, verify: verify, errors: map[string]*aiperf.ErrorCount{}}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func mv(v float64, unit string) aiperf.MetricValue { return aiperf.MetricValue{Value: v, Unit: unit} }

// add records one finished request. Requests the run stopped under and
// context overflows are left out of the records, as AIPerf leaves them out:
// they are counted in the aggregate instead.
func (c *collector) add(res *Result) {
	profiling := res.Phase == aiperf.PhaseProfiling
	if profiling && !res.start.IsZero() {
		c.lags = append(c.lags, ms(res.start.Sub(res.Due)))
		c.fired = append(c.fired, ms(res.Fired.Sub(res.Due)))
	}
	if res.canceled || res.errType == ErrContextOverflow {
		return
	}
	if profiling {
		c.hitBlocks += res.HitBlocks
		c.totalBlocks += res.TotalBlocks
		if res.Short {
			c.short++
		}
		if res.Reset {
			c.resets++
		}
	}
	if c.verify != nil {
		n, err := c.verify(res)
		c.verified++
		if err != nil || n != res.PromptTokens {
			c.mismatched++
			if c.firstMismatch == "" {
				c.firstMismatch = fmt.Sprintf("%s turn %d: the prompt has %d tokens, built for %d (%v)", res.ConversationID, res.Turn, n, res.PromptTokens, err)
			}
		}
	}
	res.Messages = nil
	rec := aiperf.Record{Metadata: c.metadata(res), Metrics: map[string]aiperf.MetricValue{}}
	isl := res.PromptTokens
	if res.promptTokens >= 0 {
		if res.promptTokens != res.PromptTokens {
			c.serverMismatch++
		}
		if c.serverTokens {
			isl = res.promptTokens
		}
	} else if c.serverTokens {
		c.usageMissing++
	}
	if res.Failed() {
		code := (*int)(nil)
		if res.status != 0 {
			code = &res.status
		}
		rec.Error = &aiperf.ErrorDetails{Code: code, Type: res.errType, Message: res.errMsg}
		rec.Metrics["error_isl"] = mv(float64(isl), aiperf.UnitTokens)
		if profiling {
			key := res.errType + "\x00" + firstLine(res.errMsg)
			e := c.errors[key]
			if e == nil {
				e = &aiperf.ErrorCount{ErrorDetails: *rec.Error}
				c.errors[key] = e
				c.errorOrder = append(c.errorOrder, key)
			}
			e.Count++
		}
		c.records = append(c.records, rec)
		return
	}
	osl := c.outputTokens(res)
	ttft := res.first.Sub(res.start)
	latency := res.last.Sub(res.start)
	m := rec.Metrics
	m["time_to_first_token"] = mv(ms(ttft), aiperf.UnitMS)
	if res.chunks >= 2 {
		m["time_to_second_token"] = mv(ms(res.second.Sub(res.first)), aiperf.UnitMS)
	}
	m["request_latency"] = mv(ms(latency), aiperf.UnitMS)
	m["input_sequence_length"] = mv(float64(isl), aiperf.UnitTokens)
	m["output_sequence_length"] = mv(float64(osl), aiperf.UnitTokens)
	m["output_token_count"] = mv(float64(osl), aiperf.UnitTokens)
	if osl >= 2 {
		itl := ms(latency-ttft) / float64(osl-1)
		m["inter_token_latency"] = mv(itl, aiperf.UnitMS)
		if itl > 0 {
			m["output_token_throughput_per_user"] = mv(1000/itl, aiperf.UnitTokPerSU)
		}
		m["full_response_inter_token_latency"] = mv(ms(res.end.Sub(res.first))/float64(osl-1), aiperf.UnitMS)
	}
	c.records = append(c.records, rec)
}

// outputTokens is the output length: the server's count with
// --use-server-token-count, else the generated text counted with the
// tokenizer, as AIPerf does.
func (c *collector) outputTokens(res *Result) int {
	if c.serverTokens && res.completion >= 0 {
		return res.completion
	}
	if c.countText != nil && !c.serverTokens {
		if n, err := c.countText(string(res.text)); err == nil {
			return n
		}
	}
	if res.completion >= 0 {
		return res.completion
	}
	if c.serverTokens {
		c.usageMissing++
	}
	return res.chunks
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func (c *collector) metadata(res *Result) aiperf.RecordMetadata {
	md := aiperf.RecordMetadata{
		SessionNum: res.SessionNum, XRequestID: res.RequestID, XCorrelationID: res.CorrelationID,
		ConversationID: res.ConversationID, TurnIndex: res.Turn, CreditIssuedNS: res.Due.UnixNano(),
		RequestStartNS: res.start.UnixNano(), RequestEndNS: res.end.UnixNano(),
		WorkerID: "lane-" + strconv.Itoa(res.Lane), RecordProcessorID: "loadgen", BenchmarkPhase: res.Phase,
		AgentDepth: res.Depth, RootCorrelationID: res.RootCorr,
	}
	if res.start.IsZero() {
		md.RequestStartNS = res.end.UnixNano()
	}
	if !res.ack.IsZero() {
		ack := res.ack.UnixNano()
		md.RequestAckNS = &ack
	}
	if res.ParentCorr != "" {
		p := res.ParentCorr
		md.ParentCorrelationID = &p
	}
	return md
}

// aggregate computes profile_export_aiperf.json's metrics from the
// profiling records.
func (c *collector) aggregate(st *Stats) map[string]aiperf.MetricResult {
	dist := map[string][]float64{}
	var minStart, maxEnd int64
	successes, failures := 0, 0
	totalISL, totalOSL := 0.0, 0.0
	for _, r := range c.records {
		if r.Metadata.BenchmarkPhase != aiperf.PhaseProfiling {
			continue
		}
		if r.Error != nil {
			failures++
			continue
		}
		successes++
		if minStart == 0 || r.Metadata.RequestStartNS < minStart {
			minStart = r.Metadata.RequestStartNS
		}
		maxEnd = max(maxEnd, r.Metadata.RequestEndNS)
		for k, v := range r.Metrics {
			dist[k] = append(dist[k], v.Value)
		}
		totalISL += r.Metrics["input_sequence_length"].Value
		totalOSL += r.Metrics["output_sequence_length"].Value
	}
	out := map[string]aiperf.MetricResult{
		"request_count":          aiperf.Scalar(aiperf.UnitRequests, float64(successes)),
		"error_request_count":    aiperf.Scalar(aiperf.UnitRequests, float64(failures)),
		"context_overflow_count": aiperf.Scalar(aiperf.UnitRequests, float64(st.Overflowed)),
	}
	units := map[string]string{
		"time_to_first_token": aiperf.UnitMS, "time_to_second_token": aiperf.UnitMS, "request_latency": aiperf.UnitMS,
		"inter_token_latency": aiperf.UnitMS, "full_response_inter_token_latency": aiperf.UnitMS,
		"output_token_throughput_per_user": aiperf.UnitTokPerSU, "input_sequence_length": aiperf.UnitTokens,
		"output_sequence_length": aiperf.UnitTokens, "output_token_count": aiperf.UnitTokens,
	}
	for k, unit := range units {
		if xs := dist[k]; len(xs) > 0 {
			out[k] = aiperf.Distribution(unit, xs)
		}
	}
	if successes > 0 && maxEnd > minStart {
		dur := float64(maxEnd-minStart) / 1e9
		out["benchmark_duration"] = aiperf.Scalar(aiperf.UnitSeconds, dur)
		out["request_throughput"] = aiperf.Scalar(aiperf.UnitReqPerSec, float64(successes)/dur)
		out["output_token_throughput"] = aiperf.Scalar(aiperf.UnitTokPerSec, totalOSL/dur)
		out["total_token_throughput"] = aiperf.Scalar(aiperf.UnitTokPerSec, (totalISL+totalOSL)/dur)
		out["min_request_timestamp"] = aiperf.Scalar(aiperf.UnitNS, float64(minStart))
		out["max_response_timestamp"] = aiperf.Scalar(aiperf.UnitNS, float64(maxEnd))
	}
	out["total_isl"] = aiperf.Scalar(aiperf.UnitTokens, totalISL)
	out["total_osl"] = aiperf.Scalar(aiperf.UnitTokens, totalOSL)
	if c.totalBlocks > 0 {
		hit := aiperf.Scalar(aiperf.UnitPercent, 100*float64(c.hitBlocks)/float64(c.totalBlocks))
		hitSum, total := float64(c.hitBlocks), int64(c.totalBlocks)
		hit.Sum, hit.Count = &hitSum, &total
		out["theoretical_prefix_cache_hit"] = hit
	}
	if len(c.lags) > 0 {
		s := metrics.Sorted(c.lags)
		for _, p := range []float64{50, 90, 99} {
			out[fmt.Sprintf("replay_sched_lag_p%d", int(p))] = aiperf.Scalar(aiperf.UnitMS, metrics.Percentile(s, p))
		}
		degraded := 0.0
		if metrics.Percentile(s, 99) > 500 {
			degraded = 1
		}
		out["replay_sched_degraded"] = aiperf.Scalar("", degraded)
	}
	return out
}

// errorSummary lists the profiled failures by kind and message, most
// frequent first.
func (c *collector) errorSummary() []aiperf.ErrorCount {
	out := make([]aiperf.ErrorCount, 0, len(c.errorOrder))
	for _, k := range c.errorOrder {
		out = append(out, *c.errors[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}
