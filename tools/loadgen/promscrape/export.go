package promscrape

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/aiperf"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
)

// Window is the period statistics are computed over (the profiling phase)
// and the timeslice width (0 for none).
type Window struct {
	Start, End time.Time
	Slice      time.Duration
}

// Export builds server_metrics_export.json from what was collected.
// Counters and histograms are measured from the last scrape before the
// window (the reference AIPerf uses too) to the last scrape in it.
func (s *Scraper) Export(w Window, benchmarkID string) *aiperf.ServerMetrics {
	out := &aiperf.ServerMetrics{
		SchemaVersion: aiperf.ServerMetricsSchemaVersion, AIPerfVersion: aiperf.Producer, BenchmarkID: benchmarkID,
		Summary: aiperf.ServerMetricsSummary{
			EndpointsConfigured: []string{}, EndpointsSuccessful: []string{},
			StartTime: aiperf.Timestamp(w.Start), EndTime: aiperf.Timestamp(w.End),
			EndpointInfo: map[string]aiperf.EndpointInfo{},
		},
		Metrics: map[string]*aiperf.MetricFamily{},
	}
	for _, e := range s.endpoints {
		e.mu.Lock()
		out.Summary.EndpointsConfigured = append(out.Summary.EndpointsConfigured, e.url)
		if e.fetches > e.failed {
			out.Summary.EndpointsSuccessful = append(out.Summary.EndpointsSuccessful, e.url)
		}
		out.Summary.EndpointInfo[e.url] = e.info()
		e.export(out.Metrics, w)
		e.mu.Unlock()
	}
	for _, f := range out.Metrics {
		sort.Slice(f.Series, func(i, j int) bool {
			a, b := f.Series[i], f.Series[j]
			if a.EndpointURL != b.EndpointURL {
				return a.EndpointURL < b.EndpointURL
			}
			return labelString(a.Labels) < labelString(b.Labels)
		})
	}
	return out
}

func labelString(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + l[k] + ",")
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }

func (e *endpoint) info() aiperf.EndpointInfo {
	in := aiperf.EndpointInfo{TotalFetches: e.fetches, FailedFetches: e.failed, UniqueUpdates: len(e.updates), Errors: e.fetchErrors()}
	if e.fetches > 0 {
		in.FirstFetchNS, in.LastFetchNS = ptr(e.firstFetch.UnixNano()), ptr(e.lastFetch.UnixNano())
		in.DurationSeconds = aiperf.F64(e.lastFetch.Sub(e.firstFetch).Seconds())
	}
	if ok := e.fetches - e.failed; ok > 0 {
		in.AvgFetchLatencyMS = aiperf.F64(float64(e.latency.Microseconds()) / 1000 / float64(ok))
	}
	if n := len(e.updates); n > 0 {
		in.FirstUpdateNS, in.LastUpdateNS = ptr(e.updates[0].UnixNano()), ptr(e.updates[n-1].UnixNano())
		if n > 1 {
			gaps := make([]float64, n-1)
			for i := range gaps {
				gaps[i] = float64(e.updates[i+1].Sub(e.updates[i]).Microseconds()) / 1000
			}
			in.AvgUpdateIntervalMS = aiperf.F64(metrics.Mean(gaps))
			in.MedianUpdateIntervalMS = aiperf.F64(metrics.Median(metrics.Sorted(gaps)))
		}
	}
	return in
}

func (e *endpoint) fetchErrors() []aiperf.FetchError {
	out := make([]aiperf.FetchError, len(e.errs))
	for kind, f := range e.errs {
		out[f.order] = aiperf.FetchError{Kind: kind, Count: f.count, First: f.first}
	}
	return out
}

func (e *endpoint) export(dst map[string]*aiperf.MetricFamily, w Window) {
	start, end := w.Start.UnixNano(), w.End.UnixNano()
	for name, f := range e.fams {
		for _, se := range f.series {
			ref, in := window(se.samples, start, end)
			if len(in) == 0 {
				continue
			}
			out := aiperf.Series{EndpointURL: e.url, Labels: se.labels}
			switch f.typ {
			case "counter":
				out.Stats = counterStats(ref, in)
			case "histogram":
				out.Stats, out.Buckets = histogramStats(ref, in)
			default:
				out.Stats = gaugeStats(in)
			}
			if w.Slice > 0 {
				out.Timeslices = timeslices(f.typ, se.samples, start, end, w.Slice.Nanoseconds())
				if f.typ == "counter" {
					rateStats(out.Stats, out.Timeslices)
				}
			}
			mf := dst[name]
			if mf == nil {
				mf = &aiperf.MetricFamily{Type: f.typ, Description: f.help, Unit: unitOf(name, f.typ)}
				dst[name] = mf
			}
			mf.Series = append(mf.Series, out)
		}
	}
}

// window splits samples into the last one before start (nil if none) and
// those in [start, end].
func window(samples []sample, start, end int64) (*sample, []sample) {
	i := sort.Search(len(samples), func(i int) bool { return samples[i].t >= start })
	j := sort.Search(len(samples), func(i int) bool { return samples[i].t > end })
	var ref *sample
	if i > 0 {
		ref = &samples[i-1]
	}
	return ref, samples[i:j]
}

// increase is how much a counter rose over the points, a drop being a
// restart from zero (Prometheus's increase()).
func increase(vals []float64) float64 {
	total := 0.0
	for i := 1; i < len(vals); i++ {
		if d := vals[i] - vals[i-1]; d >= 0 {
			total += d
		} else {
			total += vals[i]
		}
	}
	return total
}

func points(ref *sample, in []sample) []sample {
	if ref == nil {
		return in
	}
	return append([]sample{*ref}, in...)
}

func put(stats map[string]float64, key string, v float64) {
	if finite(v) {
		stats[key] = v
	}
}

func gaugeStats(in []sample) map[string]float64 {
	vals := make([]float64, len(in))
	for i, s := range in {
		vals[i] = s.v
	}
	st := map[string]float64{}
	sorted := metrics.Sorted(vals)
	put(st, "avg", metrics.Mean(sorted))
	put(st, "min", sorted[0])
	put(st, "max", sorted[len(sorted)-1])
	put(st, "std", metrics.Std(sorted))
	for _, p := range aiperf.Percentiles {
		put(st, "p"+strconv.Itoa(int(p)), metrics.Percentile(sorted, p))
	}
	return st
}

func counterStats(ref *sample, in []sample) map[string]float64 {
	ps := points(ref, in)
	vals := make([]float64, len(ps))
	for i, p := range ps {
		vals[i] = p.v
	}
	st := map[string]float64{}
	total := increase(vals)
	put(st, "total", total)
	if d := float64(ps[len(ps)-1].t-ps[0].t) / 1e9; d > 0 {
		put(st, "rate", total/d)
	}
	return st
}

// bucketIncrease returns, per upper bound of the last point, how much its
// cumulative count rose over the points.
func bucketIncrease(ps []sample) ([]float64, []float64) {
	last := ps[len(ps)-1]
	inc := make([]float64, len(last.bounds))
	for bi, b := range last.bounds {
		var vals []float64
		for _, p := range ps {
			if k := indexOf(p.bounds, b); k >= 0 {
				vals = append(vals, p.buckets[k])
			}
		}
		inc[bi] = increase(vals)
	}
	return last.bounds, inc
}

func indexOf(bounds []float64, b float64) int {
	for i, x := range bounds {
		if x == b {
			return i
		}
	}
	return -1
}

func histogramStats(ref *sample, in []sample) (map[string]float64, map[string]float64) {
	ps := points(ref, in)
	counts := make([]float64, len(ps))
	sums := make([]float64, len(ps))
	for i, p := range ps {
		counts[i], sums[i] = p.v, p.sum
	}
	count, sum := increase(counts), increase(sums)
	st := map[string]float64{}
	put(st, "count", count)
	put(st, "sum", sum)
	if count > 0 {
		put(st, "avg", sum/count)
	}
	if d := float64(ps[len(ps)-1].t-ps[0].t) / 1e9; d > 0 {
		put(st, "count_rate", count/d)
		put(st, "sum_rate", sum/d)
	}
	bounds, inc := bucketIncrease(ps)
	if count > 0 {
		for _, p := range aiperf.Percentiles {
			put(st, "p"+strconv.Itoa(int(p))+"_estimate", quantile(p/100, bounds, inc))
		}
	}
	return st, bucketMap(bounds, inc)
}

func bucketMap(bounds, counts []float64) map[string]float64 {
	m := make(map[string]float64, len(bounds))
	for i, b := range bounds {
		if finite(counts[i]) {
			m[leLabel(b)] = counts[i]
		}
	}
	return m
}

// leLabel writes a bucket bound as Prometheus's Python client does: "0.5",
// "1.0", "+Inf".
func leLabel(b float64) string {
	if math.IsInf(b, 1) {
		return "+Inf"
	}
	if math.IsInf(b, -1) {
		return "-Inf"
	}
	s := strconv.FormatFloat(b, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// quantile estimates the q-quantile from cumulative bucket counts, as
// Prometheus's histogram_quantile: linear within the bucket that holds the
// rank, the lower bound of the +Inf bucket when it falls there.
func quantile(q float64, bounds, cum []float64) float64 {
	n := len(bounds)
	if n == 0 || cum[n-1] <= 0 {
		return math.NaN()
	}
	rank := q * cum[n-1]
	i := sort.Search(n, func(i int) bool { return cum[i] >= rank })
	if i >= n {
		i = n - 1
	}
	if math.IsInf(bounds[i], 1) {
		if i == 0 {
			return math.NaN()
		}
		return bounds[i-1]
	}
	lower, prev := 0.0, 0.0
	if i > 0 {
		lower, prev = bounds[i-1], cum[i-1]
	} else if bounds[0] <= 0 {
		return bounds[0]
	}
	if cum[i] == prev {
		return bounds[i]
	}
	return lower + (bounds[i]-lower)*(rank-prev)/(cum[i]-prev)
}

// timeslices cuts [start, end] into windows of width d from start; the
// last, shorter one is marked incomplete. A window without a scrape in it
// is left out.
func timeslices(typ string, samples []sample, start, end, d int64) []aiperf.Timeslice {
	var out []aiperf.Timeslice
	for a := start; a < end; a += d {
		b := min(a+d, end)
		ref, in := window(samples, a, b-1)
		if len(in) == 0 {
			continue
		}
		ts := aiperf.Timeslice{StartNS: a, EndNS: b}
		if b-a < d {
			ts.IsComplete = ptr(false)
		}
		secs := float64(b-a) / 1e9
		switch typ {
		case "counter":
			st := counterStats(ref, in)
			ts.Total = ptr(st["total"])
			ts.Rate = aiperf.F64(st["total"] / secs)
		case "histogram":
			st, buckets := histogramStats(ref, in)
			ts.Count, ts.Sum = ptr(st["count"]), ptr(st["sum"])
			if v, ok := st["avg"]; ok {
				ts.Avg = ptr(v)
			}
			ts.Buckets = buckets
		default:
			st := gaugeStats(in)
			for _, f := range []struct {
				dst **float64
				key string
			}{{&ts.Avg, "avg"}, {&ts.Min, "min"}, {&ts.Max, "max"}} {
				if v, ok := st[f.key]; ok {
					*f.dst = ptr(v)
				}
			}
		}
		out = append(out, ts)
	}
	return out
}

// rateStats adds a counter's rate_avg, rate_min, rate_max and rate_std over
// its complete timeslices.
func rateStats(st map[string]float64, slices []aiperf.Timeslice) {
	var rates []float64
	for _, ts := range slices {
		if ts.IsComplete == nil && ts.Rate != nil {
			rates = append(rates, *ts.Rate)
		}
	}
	if len(rates) == 0 {
		return
	}
	sorted := metrics.Sorted(rates)
	put(st, "rate_avg", metrics.Mean(sorted))
	put(st, "rate_min", sorted[0])
	put(st, "rate_max", sorted[len(sorted)-1])
	put(st, "rate_std", metrics.Std(sorted))
}

// unitOf infers a unit from a metric's name, by Prometheus's conventions.
func unitOf(name, typ string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, "_seconds"):
		return "seconds"
	case strings.HasSuffix(n, "_bytes"):
		return "bytes"
	case strings.HasSuffix(n, "_perc") || strings.HasSuffix(n, "_percent") || strings.HasSuffix(n, "_ratio") ||
		strings.HasSuffix(n, "_usage") || strings.HasSuffix(n, "hit_rate"):
		return "ratio"
	case strings.Contains(n, "tokens"):
		return "tokens"
	case typ == "counter" && (strings.Contains(n, "request") || strings.Contains(n, "preemption")):
		return "requests"
	}
	return ""
}
