package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDistExactMatchesFunctions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := NewDist(0)
	var xs []float64
	for range 1001 {
		x := math.Exp(rng.NormFloat64()*0.6 - 4)
		xs = append(xs, x)
		d.Add(x)
	}
	ps := []float64{50, 90, 99}
	s := d.Summarize(ps)
	sorted := Sorted(xs)
	if !s.Exact || s.Count != 1001 {
		t.Fatalf("summary %+v", s)
	}
	if s.Mean != Mean(xs) || s.Std != Std(xs) || s.Median != Median(sorted) || s.Max != sorted[len(sorted)-1] {
		t.Errorf("summary %+v differs from the numpy functions", s)
	}
	for i, p := range ps {
		if s.Percentiles[i] != Percentile(sorted, p) {
			t.Errorf("p%v = %v, want %v", p, s.Percentiles[i], Percentile(sorted, p))
		}
	}
}

func TestDistPastItsLimitStaysClose(t *testing.T) {
	tests := []struct {
		name string
		gen  func(*rand.Rand) float64
	}{
		{"lognormal latencies", func(r *rand.Rand) float64 { return math.Exp(r.NormFloat64()*0.8 - 4) }},
		{"fixed step with zeros", func(r *rand.Rand) float64 {
			if r.IntN(10) == 0 {
				return 0
			}
			return 0.02
		}},
		{"wide range", func(r *rand.Rand) float64 { return math.Pow(10, r.Float64()*12-9) }},
	}
	ps := []float64{1, 25, 50, 75, 90, 99, 99.9}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			d := NewDist(1000)
			var xs []float64
			for range 50000 {
				x := tt.gen(rng)
				xs = append(xs, x)
				d.Add(x)
			}
			s := d.Summarize(ps)
			if s.Exact || s.Count != 50000 {
				t.Fatalf("expected a spilled Dist of 50000, got exact=%v count=%d", s.Exact, s.Count)
			}
			sorted := Sorted(xs)
			close := func(what string, got, want, rel float64) {
				t.Helper()
				if math.Abs(got-want) > rel*math.Abs(want)+1e-15 {
					t.Errorf("%s = %v, exact %v (relative error %.2g > %.2g)", what, got, want, math.Abs(got-want)/math.Abs(want), rel)
				}
			}
			// Bucket width is 2^-12 of an octave: the middle is within 2^-13.
			const bucketRel = 1.0 / (1 << 12)
			close("mean", s.Mean, Mean(xs), 1e-9)
			close("std", s.Std, Std(xs), 1e-6)
			close("median", s.Median, Median(sorted), bucketRel)
			close("max", s.Max, sorted[len(sorted)-1], 0)
			for i, p := range ps {
				close("percentile", s.Percentiles[i], Percentile(sorted, p), bucketRel)
			}
		})
	}
}

func TestDistMemoryIsBounded(t *testing.T) {
	d := NewDist(100)
	for i := range 1_000_000 {
		d.Add(float64(i%1000) / 1000)
	}
	if d.exact != nil || len(d.hist.counts) != nBucket {
		t.Fatalf("a spilled Dist kept %d samples", len(d.exact))
	}
}

func TestEmptyDist(t *testing.T) {
	s := NewDist(0).Summarize([]float64{99})
	if s.Count != 0 || s.Mean != 0 || s.Std != 0 || s.Median != 0 || s.Percentiles[0] != 0 || s.Max != 0 {
		t.Errorf("empty summary %+v, want zeros", s)
	}
}

func BenchmarkDistAdd(b *testing.B) {
	d := NewDist(0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d.Add(float64(i&1023) * 1e-5)
	}
}

func BenchmarkDistAddSpilled(b *testing.B) {
	d := NewDist(1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d.Add(float64(i&1023) * 1e-5)
	}
}
