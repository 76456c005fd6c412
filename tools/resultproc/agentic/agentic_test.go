package agentic

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The expected values below are what Python 3.12 prints for the same
// expressions (statistics.pstdev, statistics.mean, round).

func TestPstdevIsExact(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{0.1, 0.2, 0.3}, 0.0816496580927726},
		{[]float64{1e-3, 2.5e-3, 7.75e-3, 1e-3}, 0.002774746610052889},
		{[]float64{1, 2, 3, 4}, 1.118033988749895},
		{[]float64{1e15, 1e15 + 1}, 0.5},
		{[]float64{5, 5, 5}, 0},
		{[]float64{2, 4, 4, 4, 5, 5, 7, 9}, 2},
	} {
		if got := pstdevFloats(c.in); got != c.want {
			t.Errorf("pstdev(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestIntStatsMeanKeepsPythonType(t *testing.T) {
	for _, c := range []struct {
		in   []int64
		want any
	}{
		{[]int64{2, 4}, int64(3)},
		{[]int64{1, 2}, 1.5},
		{[]int64{0, 0}, int64(0)},
		{[]int64{1, 1, 2}, 4.0 / 3},
	} {
		if got := intStats(c.in).vals[0]; got != c.want {
			t.Errorf("mean(%v) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

// naiveQPS is upstream's window loop as written: every window scans
// every completion.
func naiveQPS(ends []float64) []float64 {
	ends = slices.Clone(ends)
	slices.Sort(ends)
	var out []float64
	for cur := ends[0]; cur+1.0 <= ends[len(ends)-1]; cur += 1.0 {
		n := 0
		for _, e := range ends {
			if cur <= e && e < cur+1.0 {
				n++
			}
		}
		out = append(out, float64(n)/1.0)
	}
	return out
}

func TestQPSMatchesUpstreamLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 2 + rng.IntN(300)
		if trial%5 == 1 {
			n = 2 + rng.IntN(8)
		}
		base := int64(1_796_452_392_000_000_000) + rng.Int64N(1e12)
		span := 1 + rng.Int64N(60_000_000_000)
		records := make([]Record, n)
		ends := make([]float64, n)
		for i := range records {
			ns := base + rng.Int64N(span)
			switch trial % 5 {
			case 0:
				// Completions on exact window edges.
				ns = base + rng.Int64N(20)*1_000_000_000
			case 1:
				// Long idle gaps, from small times up across binades.
				ns = 1 + rng.Int64N(3)*rng.Int64N(30_000_000_000_000)
			}
			records[i].Meta = map[string]any{"request_end_ns": json.Number(strconv.FormatInt(ns, 10))}
			ends[i] = float64(ns) / 1e9
		}
		got, err := qps(records)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveQPS(ends)
		samples, has := got.Get("samples")
		if !has {
			// No span: upstream returns nothing, its loop runs no window.
			if len(want) != 0 || slices.Max(ends) != slices.Min(ends) {
				t.Fatalf("trial %d: no QPS for a run of %v s", trial, slices.Max(ends)-slices.Min(ends))
			}
			continue
		}
		if samples != int64(len(want)) {
			t.Fatalf("trial %d: %v windows, upstream's loop %d", trial, samples, len(want))
		}
		if len(want) == 0 {
			continue
		}
		s := floatStats(want)
		for i, k := range statKeys {
			v, _ := got.Get(k)
			if v != s.vals[i] {
				t.Errorf("trial %d: %s = %v, upstream's loop %v", trial, k, v, s.vals[i])
			}
		}
	}
}

func TestErrorCategory(t *testing.T) {
	long := strings.Repeat("é", 130)
	for _, c := range []struct {
		in   any
		want string
	}{
		{"Timeout: after 30s", "Timeout"},
		{"no colon\nsecond: line", "no colon"},
		{":x", "unknown"},
		{long, strings.Repeat("é", 120)},
		{json.Number("404"), "404"},
		{true, "True"},
	} {
		got, err := errorCategory(c.in)
		if err != nil || got != c.want {
			t.Errorf("errorCategory(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := errorCategory(" \t "); err == nil {
		t.Error("a blank message is no category")
	}
}

func TestPyPath(t *testing.T) {
	for in, want := range map[string]string{
		"": ".", ".": ".", "./results/": "results", "a//b/./c": "a/b/c", "/x/../y": "/x/../y", "//srv": "//srv", "///srv": "/srv",
	} {
		if got := pyPath(in); got != want {
			t.Errorf("pyPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// The wants are Python 3.12's format(v, ".Nf") and format(v, ".1%").
func TestFixedLikePythonFormat(t *testing.T) {
	for _, c := range []struct {
		in   float64
		prec int
		want string
	}{
		{math.NaN(), 2, "nan"},
		{math.Inf(1), 3, "inf"},
		{math.Inf(-1), 1, "-inf"},
		{1.005, 2, "1.00"},
		{2.5, 0, "2"},
		{math.Copysign(0, -1), 1, "-0.0"},
	} {
		if got := fixed(c.in, c.prec); got != c.want {
			t.Errorf("format(%v, '.%df') = %q, want %q", c.in, c.prec, got, c.want)
		}
	}
	if got := percent(0.1234); got != "12.3%" {
		t.Errorf("format(0.1234, '.1%%') = %q, want 12.3%%", got)
	}
	if got := percent(math.Inf(1)); got != "inf%" {
		t.Errorf("format(inf, '.1%%') = %q, want inf%%", got)
	}
}
