package agentic

import (
	"math"
	"math/big"
	"slices"

	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// The statistics upstream's aggregation takes (aggregation_common.py's
// percentile and stats_for, statistics.mean and statistics.pstdev of
// Python 3.12) have to agree with it to the last bit, because the output
// is compared byte for byte after rounding to five decimals, and a value
// that sits on a rounding edge would otherwise flip.

// percentileSorted is upstream's linear-interpolation percentile over
// data already sorted ascending; 0.0 for no data.
func percentileSorted(sorted []float64, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	k := float64(len(sorted)-1) * (float64(p) / 100)
	f := int(k)
	c := f + 1
	if c >= len(sorted) {
		return sorted[f]
	}
	// The conversions keep each step rounded on its own: Python does not
	// fuse the multiply and add, and Go may on some architectures.
	return sorted[f] + float64((k-float64(f))*float64(sorted[c]-sorted[f]))
}

// statKeys are the keys of one distribution, in upstream's order.
var statKeys = [...]string{"mean", "p50", "p75", "p90", "p95", "std"}

// stats is one distribution in upstream's order: mean, p50, p75, p90,
// p95, std. A value is float64, or int64 where Python's mean of ints is
// an exact integer.
type stats struct {
	vals [6]any
}

// floatStats is upstream's stats_for over floats (nil for none).
func floatStats(values []float64) *stats {
	if len(values) == 0 {
		return nil
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	s := &stats{}
	s.vals[0] = meanFloats(values)
	for i, p := range [...]int{50, 75, 90, 95} {
		s.vals[i+1] = percentileSorted(sorted, p)
	}
	s.vals[5] = 0.0
	if len(values) > 1 {
		s.vals[5] = pstdevFloats(values)
	}
	return s
}

// intStats is upstream's _distribution over ints: the mean exact (an int
// when the division comes out even, as statistics.mean gives), the
// percentiles over the values as floats.
func intStats(values []int64) *stats {
	if len(values) == 0 {
		return nil
	}
	floats := make([]float64, len(values))
	for i, v := range values {
		floats[i] = float64(v)
	}
	slices.Sort(floats)
	s := &stats{}
	var sum, sumSq big.Int
	var x big.Int
	for _, v := range values {
		x.SetInt64(v)
		sum.Add(&sum, &x)
		x.Mul(&x, &x)
		sumSq.Add(&sumSq, &x)
	}
	n := big.NewInt(int64(len(values)))
	var q, r big.Int
	q.QuoRem(&sum, n, &r)
	if r.Sign() == 0 && q.IsInt64() {
		s.vals[0] = q.Int64()
	} else {
		f, _ := new(big.Rat).SetFrac(&sum, n).Float64()
		s.vals[0] = f
	}
	for i, p := range [...]int{50, 75, 90, 95} {
		s.vals[i+1] = percentileSorted(floats, p)
	}
	s.vals[5] = 0.0
	if len(values) > 1 {
		s.vals[5] = sqrtOfVariance(&sum, &sumSq, n, 0)
	}
	return s
}

// pstdevFloats is statistics.pstdev over floats: the exact population
// variance, its square root correctly rounded.
func pstdevFloats(values []float64) float64 {
	sum, sumSq, exp, ok := exactSums(values, true)
	if !ok {
		return math.NaN()
	}
	return sqrtOfVariance(sum, sumSq, big.NewInt(int64(len(values))), exp)
}

// meanFloats is statistics.mean over floats: the exact mean rounded once.
func meanFloats(values []float64) float64 {
	sum, _, exp, ok := exactSums(values, false)
	if !ok {
		return pynum.Mean(values)
	}
	n := big.NewInt(int64(len(values)))
	if exp >= 0 {
		sum.Lsh(sum, uint(exp))
	} else {
		n.Lsh(n, uint(-exp))
	}
	f, _ := new(big.Rat).SetFrac(sum, n).Float64()
	return f
}

// exactSums is the sum of the values and of their squares as exact
// integers over a common power of two: every float is an integer times a
// power of two, so Σx = sum·2^exp and Σx² = sumSq·2^(2·exp). ok is false
// for an infinity or NaN among the values.
func exactSums(values []float64, squares bool) (sum, sumSq *big.Int, exp int, ok bool) {
	exp = math.MaxInt
	for _, v := range values {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, nil, 0, false
		}
		if v != 0 {
			_, e := math.Frexp(v)
			exp = min(exp, e-53)
		}
	}
	sum, sumSq = new(big.Int), new(big.Int)
	if exp == math.MaxInt {
		return sum, sumSq, 0, true
	}
	var x big.Int
	for _, v := range values {
		if v == 0 {
			continue
		}
		// v = mant·2^(e-53) exactly, mant a 53-bit integer.
		fr, e := math.Frexp(v)
		x.SetInt64(int64(fr * (1 << 53)))
		x.Lsh(&x, uint(e-53-exp))
		sum.Add(sum, &x)
		if squares {
			x.Mul(&x, &x)
			sumSq.Add(sumSq, &x)
		}
	}
	return sum, sumSq, exp, true
}

// sqrtOfVariance is the correctly rounded square root of the population
// variance of n values whose sum is sum·2^exp and whose sum of squares is
// sumSq·2^(2·exp): (n·sumSq − sum²) / n² · 2^(2·exp).
func sqrtOfVariance(sum, sumSq, n *big.Int, exp int) float64 {
	num := new(big.Int).Mul(n, sumSq)
	num.Sub(num, new(big.Int).Mul(sum, sum))
	den := new(big.Int).Mul(n, n)
	if exp >= 0 {
		num.Lsh(num, uint(2*exp))
	} else {
		den.Lsh(den, uint(-2*exp))
	}
	// Python reduces the fraction before it takes the root; the result
	// does not depend on it, but the reduced form keeps the numbers small.
	g := new(big.Int).GCD(nil, nil, num, den)
	if g.Sign() > 0 {
		num.Quo(num, g)
		den.Quo(den, g)
	}
	return sqrtFrac(num, den)
}

// sqrtBits is the working width of sqrtFrac: twice a float's 53-bit
// mantissa plus three guard bits.
const sqrtBits = 2*53 + 3

// sqrtFrac is √(n/m) rounded once to the nearest float: an integer
// square root with enough bits, its last bit set when inexact (round to
// odd), then one correctly rounded division by a power of two.
func sqrtFrac(n, m *big.Int) float64 {
	if n.Sign() == 0 {
		return 0
	}
	q := (n.BitLen() - m.BitLen() - sqrtBits)
	// Python's // floors; Go's / truncates.
	if q < 0 {
		q = -((-q + 1) / 2)
	} else {
		q /= 2
	}
	var num, den *big.Int
	if q >= 0 {
		num = isqrtRTO(n, new(big.Int).Lsh(m, uint(2*q)))
		num.Lsh(num, uint(q))
		den = big.NewInt(1)
	} else {
		num = isqrtRTO(new(big.Int).Lsh(n, uint(-2*q)), m)
		den = new(big.Int).Lsh(big.NewInt(1), uint(-q))
	}
	f, _ := new(big.Rat).SetFrac(num, den).Float64()
	return f
}

// isqrtRTO is ⌊√(n/m)⌋ with its lowest bit set when the root is not exact.
func isqrtRTO(n, m *big.Int) *big.Int {
	a := new(big.Int).Quo(n, m)
	a.Sqrt(a)
	check := new(big.Int).Mul(a, a)
	check.Mul(check, m)
	if check.Cmp(n) != 0 {
		a.SetBit(a, 0, 1)
	}
	return a
}
