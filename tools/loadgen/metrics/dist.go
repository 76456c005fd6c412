package metrics

import "math"

// DefaultExactLimit is how many samples a Dist keeps before it switches to
// its histogram: 1Mi float64s, 8 MiB. Per-request metrics rarely get near
// it; inter-token latencies of a large run do (2048 × 10 requests × 1024
// tokens is 21M), and they are what must not grow without bound. A run's
// statistics then hold at most about 100 MiB, whatever its length.
const DefaultExactLimit = 1 << 20

// Dist collects the samples of one metric. Up to its limit it keeps every
// sample and its statistics are numpy's to the bit; past the limit it
// keeps a log-linear histogram whose buckets are 1/4096 of an octave wide
// (relative error under 0.013%) plus running moments, so memory stays
// bounded however long the run.
type Dist struct {
	limit int
	exact []float64
	hist  *histogram
	// Welford's running mean and squared deviations, once past the limit.
	n        int64
	mean, m2 float64
	min, max float64
}

// NewDist returns an empty Dist that keeps up to limit samples exactly;
// limit <= 0 means DefaultExactLimit.
func NewDist(limit int) *Dist {
	if limit <= 0 {
		limit = DefaultExactLimit
	}
	return &Dist{limit: limit, min: math.Inf(1), max: math.Inf(-1)}
}

// Add records one sample.
func (d *Dist) Add(x float64) {
	if d.hist == nil {
		if len(d.exact) < d.limit {
			d.exact = append(d.exact, x)
			return
		}
		d.spill()
	}
	d.addHist(x)
}

// AddAll records samples.
func (d *Dist) AddAll(xs []float64) {
	for _, x := range xs {
		d.Add(x)
	}
}

// Count is the number of samples.
func (d *Dist) Count() int64 {
	if d.hist == nil {
		return int64(len(d.exact))
	}
	return d.n
}

// Exact tells whether the statistics are computed from every sample.
func (d *Dist) Exact() bool { return d.hist == nil }

func (d *Dist) spill() {
	d.hist = newHistogram()
	for _, x := range d.exact {
		d.addHist(x)
	}
	d.exact = nil
}

func (d *Dist) addHist(x float64) {
	d.hist.add(x)
	d.n++
	delta := x - d.mean
	d.mean += delta / float64(d.n)
	d.m2 += delta * (x - d.mean)
	d.min = math.Min(d.min, x)
	d.max = math.Max(d.max, x)
}

// Summary is a Dist's statistics, each 0 when there are no samples.
type Summary struct {
	Count       int64
	Mean        float64
	Std         float64
	Median      float64
	Max         float64
	Percentiles []float64 // aligned with the percentiles asked for
	Exact       bool
}

// Summarize computes the statistics, with the given percentiles (0–100).
func (d *Dist) Summarize(percentiles []float64) Summary {
	s := Summary{Count: d.Count(), Exact: d.Exact(), Percentiles: make([]float64, len(percentiles))}
	if s.Count == 0 {
		return s
	}
	if d.hist == nil {
		sorted := Sorted(d.exact)
		s.Mean, s.Std, s.Median = Mean(d.exact), Std(d.exact), Median(sorted)
		s.Max = sorted[len(sorted)-1]
		for i, p := range percentiles {
			s.Percentiles[i] = Percentile(sorted, p)
		}
		return s
	}
	s.Mean = d.mean
	s.Std = math.Sqrt(d.m2 / float64(d.n))
	s.Max = d.max
	at := func(k int) float64 { return d.hist.kth(int64(k), d.min, d.max) }
	n := int(d.n)
	if n%2 == 1 {
		s.Median = at(n / 2)
	} else {
		s.Median = (at(n/2-1) + at(n/2)) / 2
	}
	for i, p := range percentiles {
		s.Percentiles[i] = interpolate(n, p, at)
	}
	return s
}

// The histogram covers 2^-40 s (about a picosecond) to 2^21 s (24 days);
// samples outside land in the end buckets, and results are clamped to the
// observed minimum and maximum.
const (
	subBits = 12
	minExp  = -40
	maxExp  = 20
	nBucket = (maxExp - minExp + 1) << subBits
)

type histogram struct {
	zero   int64 // samples <= 0
	counts []int64
}

func newHistogram() *histogram { return &histogram{counts: make([]int64, nBucket)} }

func bucketOf(x float64) int {
	bits := math.Float64bits(x)
	exp := int(bits>>52&0x7ff) - 1023
	switch {
	case exp < minExp:
		return 0
	case exp > maxExp:
		return nBucket - 1
	}
	mant := int(bits>>(52-subBits)) & (1<<subBits - 1)
	return (exp-minExp)<<subBits | mant
}

// bucketMid is the middle of a bucket's range.
func bucketMid(i int) float64 {
	exp := i>>subBits + minExp
	mant := i & (1<<subBits - 1)
	lo := math.Ldexp(1+float64(mant)/(1<<subBits), exp)
	hi := math.Ldexp(1+float64(mant+1)/(1<<subBits), exp)
	return (lo + hi) / 2
}

func (h *histogram) add(x float64) {
	if !(x > 0) {
		h.zero++
		return
	}
	h.counts[bucketOf(x)]++
}

// kth estimates the k-th smallest sample (0-based).
func (h *histogram) kth(k int64, lo, hi float64) float64 {
	if k < h.zero {
		return math.Max(0, lo)
	}
	seen := h.zero
	for i, c := range h.counts {
		seen += c
		if k < seen {
			return min(max(bucketMid(i), lo), hi)
		}
	}
	return hi
}
