package agentic

import (
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// metric is upstream's _metric_value: the record's metrics[key], or its
// "value" when that is an object.
func (r *Record) metric(key string) (any, error) {
	if r.notObject != "" {
		return nil, &RecordError{Line: r.Line, Err: fmt.Errorf("metrics must be an object, not %s", r.notObject)}
	}
	for i, k := range metricKeys {
		if k == key {
			return r.metrics[i], nil
		}
	}
	return nil, fmt.Errorf("metric %s is not read from the records", key)
}

// floats is extract_per_record_floats: float() of each record's metric,
// the records without one skipped.
func floats(records []Record, key string) ([]float64, error) {
	out := make([]float64, 0, len(records))
	for i := range records {
		v, err := records[i].metric(key)
		if err != nil {
			return nil, err
		}
		f, ok, err := toFloat(v)
		if err != nil {
			return nil, &RecordError{Line: records[i].Line, Err: fmt.Errorf("metrics.%s: %w", key, err)}
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// ints is extract_per_record_ints.
func ints(records []Record, key string) ([]int64, error) {
	out := make([]int64, 0, len(records))
	for i := range records {
		v, err := records[i].metric(key)
		if err != nil {
			return nil, err
		}
		if n, ok := toInt(v); ok {
			out = append(out, n)
		}
	}
	return out, nil
}

// msToS keeps the finite positive values, in seconds.
func msToS(ms []float64) []float64 {
	out := ms[:0:0]
	for _, v := range ms {
		if !math.IsInf(v, 0) && !math.IsNaN(v) && v > 0 {
			out = append(out, v/1000.0)
		}
	}
	return out
}

// nest writes a distribution as upstream's nested block: mean, p50, p75,
// p90, p95, std, whichever it has.
func nest(s *stats) *pyjson.Object {
	o := &pyjson.Object{}
	if s == nil {
		return o
	}
	for i, k := range statKeys {
		if s.vals[i] != nil {
			o.Set(k, s.vals[i])
		}
	}
	return o
}

// interactivity is upstream's _interactivity_stats: 1/x of each of the
// latency's mean and percentiles (a slow tail in latency is a slow tail
// in interactivity), and the spread of the per-request 1/x.
func interactivity(lat *stats, values []float64) *stats {
	out := &stats{}
	if lat != nil {
		for i := 0; i < 5; i++ {
			if f, ok := lat.vals[i].(float64); ok && f > 0 {
				out.vals[i] = 1.0 / f
			} else if n, ok := lat.vals[i].(int64); ok && n > 0 {
				out.vals[i] = 1.0 / float64(n)
			}
		}
	}
	per := make([]float64, 0, len(values))
	for _, v := range values {
		if v > 0 {
			per = append(per, 1.0/v)
		}
	}
	switch {
	case len(per) > 1:
		out.vals[5] = pstdevFloats(per)
	case len(per) == 1:
		out.vals[5] = 0.0
	}
	return out
}

// latency is upstream's compute_latency_stats.
func latency(records []Record) (*pyjson.Object, error) {
	get := func(key string) ([]float64, error) {
		v, err := floats(records, key)
		if err != nil {
			return nil, err
		}
		return msToS(v), nil
	}
	ttfts, err := get("time_to_first_token")
	if err != nil {
		return nil, err
	}
	e2els, err := get("request_latency")
	if err != nil {
		return nil, err
	}
	itls, err := get("inter_token_latency")
	if err != nil {
		return nil, err
	}
	full, err := get("full_response_inter_token_latency")
	if err != nil {
		return nil, err
	}
	itl := floatStats(itls)
	ratios, err := e2elPerOSL(records)
	if err != nil {
		return nil, err
	}
	fullStats := floatStats(full)
	o := &pyjson.Object{}
	o.Set("ttft", nest(floatStats(ttfts)))
	o.Set("e2el", nest(floatStats(e2els)))
	o.Set("itl", nest(itl))
	o.Set("tpot", nest(itl))
	o.Set("intvty", nest(interactivity(itl, itls)))
	o.Set("e2e_norm_intvty", nest(interactivity(floatStats(ratios), ratios)))
	o.Set("full_response_itl", nest(fullStats))
	o.Set("full_response_intvty", nest(interactivity(fullStats, full)))
	return o, nil
}

// e2elPerOSL is each record's end-to-end latency per output token, in
// seconds, for the records that have both and both positive and finite.
func e2elPerOSL(records []Record) ([]float64, error) {
	var out []float64
	for i := range records {
		r := &records[i]
		lv, err := r.metric("request_latency")
		if err != nil {
			return nil, err
		}
		e2el, ok1, err := toFloat(lv)
		if err != nil {
			return nil, &RecordError{Line: r.Line, Err: fmt.Errorf("metrics.request_latency: %w", err)}
		}
		ov, err := r.metric("output_sequence_length")
		if err != nil {
			return nil, err
		}
		osl, ok2, err := toFloat(ov)
		if err != nil {
			return nil, &RecordError{Line: r.Line, Err: fmt.Errorf("metrics.output_sequence_length: %w", err)}
		}
		if !ok1 || !ok2 || math.IsInf(e2el, 0) || math.IsNaN(e2el) || math.IsInf(osl, 0) || math.IsNaN(osl) || e2el <= 0 || osl <= 0 {
			continue
		}
		out = append(out, e2el/1000.0/osl)
	}
	return out, nil
}

// metaTimes is int() of each record's metadata[key] where it is set and
// truthy.
func metaTimes(records []Record, key string) ([]int64, error) {
	out := make([]int64, 0, len(records))
	for i := range records {
		v := records[i].Meta[key]
		if !pyvalue.Truthy(v) {
			continue
		}
		n, err := mustInt(v)
		if err != nil {
			return nil, &RecordError{Line: records[i].Line, Err: fmt.Errorf("metadata.%s: %w", key, err)}
		}
		out = append(out, n)
	}
	return out, nil
}

// qps is upstream's compute_qps_stats: completions counted in one-second
// windows from the first completion on. Upstream scans every record for
// every window; the windows only move forward, so two indexes into the
// sorted completion times give the same counts in one pass. The window
// starts are accumulated with += exactly as upstream does, so that its
// floating-point drift, and with it the counts, carry over.
func qps(records []Record) (*pyjson.Object, error) {
	endsNS, err := metaTimes(records, "request_end_ns")
	if err != nil {
		return nil, err
	}
	o := &pyjson.Object{}
	if len(endsNS) < 2 {
		return o, nil
	}
	ends := make([]float64, len(endsNS))
	for i, ns := range endsNS {
		ends[i] = float64(ns) / 1e9
	}
	slices.Sort(ends)
	first, last := ends[0], ends[len(ends)-1]
	duration := last - first
	if !(duration > 0) {
		return o, nil
	}
	const window = 1.0
	// freq[c] is how many windows saw c completions: the window counts are
	// whole numbers, and the mean, percentiles and spread need only their
	// histogram, however many windows a long run has.
	freq := make([]int64, len(ends)+1)
	var samples int64
	lo, hi := 0, 0
	for current := first; current+window <= last; {
		if current+window == current {
			return nil, fmt.Errorf("request_end_ns: completion times near %s s are too large to count in one-second windows", pyvalue.FloatRepr(current))
		}
		end := current + window
		for lo < len(ends) && ends[lo] < current {
			lo++
		}
		for hi < len(ends) && ends[hi] < end {
			hi++
		}
		if m := emptyWindows(current, ends[hi]); lo == hi && m > 1 {
			freq[0] += m
			samples += m
			current += float64(m)
			continue
		}
		freq[hi-lo]++
		samples++
		current += window
	}
	o.Set("window_seconds", window)
	o.Set("samples", samples)
	if samples == 0 {
		o.Set("mean", float64(len(ends))/duration)
		return o, nil
	}
	var sum, sumSq, x big.Int
	for c, n := range freq {
		if n == 0 {
			continue
		}
		x.SetInt64(int64(c) * n)
		sum.Add(&sum, &x)
		x.SetInt64(int64(c))
		x.Mul(&x, &x)
		x.Mul(&x, big.NewInt(n))
		sumSq.Add(&sumSq, &x)
	}
	w := big.NewInt(samples)
	mean, _ := new(big.Rat).SetFrac(&sum, w).Float64()
	o.Set("mean", mean)
	// at is the value of rank i (0-based) among the sorted window counts.
	at := func(i int64) float64 {
		for c, n := range freq {
			if i < n {
				return float64(c)
			}
			i -= n
		}
		return float64(len(freq) - 1)
	}
	for _, p := range [...]int{50, 75, 90, 95} {
		k := float64(samples-1) * (float64(p) / 100)
		f := int64(k)
		v := at(f)
		if f+1 < samples {
			v += float64((k - float64(f)) * float64(at(f+1)-v))
		}
		o.Set(fmt.Sprintf("p%d", p), v)
	}
	std := 0.0
	if samples > 1 {
		std = sqrtOfVariance(&sum, &sumSq, w, 0)
	}
	o.Set("std", std)
	return o, nil
}

// emptyWindows is how many one-second windows from current on can be
// skipped at once, all empty, before the completion at next: a run with
// a long idle gap (or a bogus timestamp) has as many windows as seconds.
// Upstream moves current by `+= 1.0`; m such additions equal the one
// addition of m wherever none of them rounds, and there are two such
// stretches:
//   - current in [-2^53, -1]: the sum moves toward zero, into binades
//     whose spacing is no coarser than current's, and current and 1 are
//     both multiples of that spacing, so every sum up to -1 is exact;
//   - current in [1, 2^53): within one binade [2^(e-1), 2^e) the spacing
//     is at most 1, so sums below 2^e are exact; the addition that
//     crosses into the next binade may round, so the jump stops short of
//     it and the window loop takes those steps one by one.
//
// Elsewhere (between -1 and 1, where sums can round, and beyond ±2^53,
// where an addition of 1 rounds back to current or jumps by 2) it
// returns 0 and the loop steps once. Between two completions the loop
// therefore takes O(binades) steps, about a hundred at most for
// timestamps that fit an int64 count of nanoseconds.
func emptyWindows(current, next float64) int64 {
	var limit float64 // the last value the jump may land on
	switch {
	case current >= -0x1p53 && current <= -1:
		limit = -1
	case current >= 1 && current < 0x1p53:
		_, exp := math.Frexp(current) // current in [2^(exp-1), 2^exp)
		limit = math.Ldexp(1, exp) - 1
	default:
		return 0
	}
	// limit-current is exact (a multiple of current's spacing, no larger
	// than current); next-current may round, hence the margin of 2 and
	// the exact check below.
	m := math.Min(math.Floor(limit-current), math.Floor(next-current)-2)
	if m < 2 {
		return 0
	}
	// current+m is exact here, so this compares the true window start
	// with next: every skipped window [current+j, current+j+1) must end
	// at or before next.
	for m >= 2 && current+m > next {
		m--
	}
	if m < 2 {
		return 0
	}
	return int64(m)
}

// tokens is upstream's compute_workload_stats.
func tokens(records []Record, trace *TraceLengths) (*pyjson.Object, error) {
	in, err := ints(records, "input_sequence_length")
	if err != nil {
		return nil, err
	}
	out, err := ints(records, "output_sequence_length")
	if err != nil {
		return nil, err
	}
	expected, err := trace.expected(records)
	if err != nil {
		return nil, err
	}
	o := &pyjson.Object{}
	o.Set("input", nest(intStats(in)))
	o.Set("output_actual", nest(intStats(out)))
	o.Set("output_expected", nest(intStats(expected)))
	return o, nil
}

// throughput is upstream's compute_throughput_stats: token totals over
// the span from the first request's start to the last one's end. The
// flat rates come back for the per-GPU figures.
type throughputRates struct {
	ok                   bool
	input, output, total float64
}

func throughput(records []Record) (*pyjson.Object, throughputRates, error) {
	var rates throughputRates
	in, err := ints(records, "input_sequence_length")
	if err != nil {
		return nil, rates, err
	}
	out, err := ints(records, "output_sequence_length")
	if err != nil {
		return nil, rates, err
	}
	starts, err := metaTimes(records, "request_start_ns")
	if err != nil {
		return nil, rates, err
	}
	ends, err := metaTimes(records, "request_end_ns")
	if err != nil {
		return nil, rates, err
	}
	o := &pyjson.Object{}
	if len(starts) == 0 || len(ends) == 0 {
		return o, rates, nil
	}
	span := new(big.Int).Sub(big.NewInt(slices.Max(ends)), big.NewInt(slices.Min(starts)))
	spanF, _ := new(big.Float).SetInt(span).Float64()
	duration := spanF / 1e9
	if !(duration > 0) {
		return o, rates, nil
	}
	totalIn, err := sumInts(in, "input_sequence_length")
	if err != nil {
		return nil, rates, err
	}
	totalOut, err := sumInts(out, "output_sequence_length")
	if err != nil {
		return nil, rates, err
	}
	both, err := sumInts([]int64{totalIn, totalOut}, "token")
	if err != nil {
		return nil, rates, err
	}
	rates = throughputRates{ok: true, input: float64(totalIn) / duration, output: float64(totalOut) / duration,
		total: float64(both) / duration}
	tps := func(v float64) *pyjson.Object {
		t := &pyjson.Object{}
		t.Set("tokens_per_second", v)
		return t
	}
	o.Set("input", tps(rates.input))
	o.Set("output", tps(rates.output))
	o.Set("total", tps(rates.total))
	o.Set("duration_seconds", duration)
	o.Set("per_gpu", &pyjson.Object{})
	return o, rates, nil
}

func sumInts(xs []int64, what string) (int64, error) {
	var s int64
	for _, x := range xs {
		if (x > 0 && s > math.MaxInt64-x) || (x < 0 && s < math.MinInt64-x) {
			return 0, fmt.Errorf("the %s total does not fit in 64 bits", what)
		}
		s += x
	}
	return s, nil
}

// theoreticalHitRate is upstream's _aiperf_percent_metric_as_rate of the
// aggregate's theoretical_prefix_cache_hit: sum/count when both are there
// and count is positive, else avg (a percentage when its unit is "%").
func theoreticalHitRate(aggregate *pyjson.Object) (any, error) {
	mv, _ := aggregate.Get("theoretical_prefix_cache_hit")
	m, ok := mv.(*pyjson.Object)
	if !ok {
		return nil, nil
	}
	field := func(k string) (float64, bool, error) {
		v, _ := m.Get(k)
		f, ok, err := toFloat(v)
		if err != nil {
			return 0, false, fmt.Errorf("theoretical_prefix_cache_hit.%s: %w", k, err)
		}
		return f, ok, nil
	}
	hit, okHit, err := field("sum")
	if err != nil {
		return nil, err
	}
	total, okTotal, err := field("count")
	if err != nil {
		return nil, err
	}
	if okHit && okTotal && total > 0 {
		return hit / total, nil
	}
	avg, okAvg, err := field("avg")
	if err != nil {
		return nil, err
	}
	if !okAvg {
		return nil, nil
	}
	unit := ""
	if u, has := m.Get("unit"); has {
		unit = pyStr(u)
	}
	if pynum.Strip(unit) == "%" {
		return avg / 100.0, nil
	}
	return avg, nil
}
