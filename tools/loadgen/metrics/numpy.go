// Package metrics turns per-request timings into the statistics the result
// file reports, with the definitions of vLLM's benchmark_serving.py: numpy's
// mean, population standard deviation, median and percentiles with linear
// interpolation, computed bit for bit as numpy computes them while the
// samples fit in memory, and from a fine-grained histogram past that.
package metrics

import (
	"math"
	"slices"
)

// pairwiseBlock is numpy's PW_BLOCKSIZE.
const pairwiseBlock = 128

// Sum adds xs as numpy's add.reduce does for a contiguous float64 array,
// by numpy's pairwise summation, so that means and variances match numpy to
// the bit.
func Sum(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return pairwiseSum(xs)
}

func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, x := range a {
			res += x
		}
		return res
	case n <= pairwiseBlock:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += a[i+0]
			r[1] += a[i+1]
			r[2] += a[i+2]
			r[3] += a[i+3]
			r[4] += a[i+4]
			r[5] += a[i+5]
			r[6] += a[i+6]
			r[7] += a[i+7]
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

// Mean is np.mean; 0 for no samples, as np.mean(xs or 0) gives.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return Sum(xs) / float64(len(xs))
}

// Std is np.std (population, ddof=0); 0 for no samples.
func Std(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	m := Mean(xs)
	sq := make([]float64, len(xs))
	for i, x := range xs {
		d := x - m
		sq[i] = d * d
	}
	return math.Sqrt(Sum(sq) / float64(len(xs)))
}

// Sorted returns xs sorted, for Median and Percentile, which need order.
func Sorted(xs []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}

// Median is np.median of sorted samples; 0 for none.
func Median(sorted []float64) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	}
	// numpy takes the mean of the two middle values: (0 + a) + b, over 2.
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Percentile is np.percentile(xs, p) with numpy's default linear method, of
// sorted samples; 0 for none.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	at := func(i int) float64 { return sorted[i] }
	return interpolate(n, p, at)
}

// interpolate applies numpy's linear method given the count and a way to
// fetch the k-th smallest sample.
func interpolate(n int, p float64, at func(int) float64) float64 {
	q := p / 100
	virtual := float64(n-1) * q
	if virtual >= float64(n-1) {
		return at(n - 1)
	}
	if virtual < 0 {
		return at(0)
	}
	prev := math.Floor(virtual)
	i := int(prev)
	a, b := at(i), at(i+1)
	return lerp(a, b, virtual-prev)
}

// lerp is numpy's _lerp, which interpolates from the nearer end so that
// the result stays within [a, b].
func lerp(a, b, t float64) float64 {
	// The conversions keep a compiler from fusing the multiply and add,
	// which numpy does not do.
	diff := b - a
	if t >= 0.5 {
		return b - float64(diff*(1-t))
	}
	return a + float64(diff*t)
}
