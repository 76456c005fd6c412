package agentic

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
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

// checkQPS compares qps over the given completion times (ns) with
// upstream's loop.
func checkQPS(t *testing.T, name string, endsNS []int64) {
	t.Helper()
	records := make([]Record, len(endsNS))
	ends := make([]float64, len(endsNS))
	for i, ns := range endsNS {
		records[i].Meta = map[string]any{"request_end_ns": json.Number(strconv.FormatInt(ns, 10))}
		ends[i] = float64(ns) / 1e9
	}
	got, err := qps(records)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	want := naiveQPS(ends)
	samples, has := got.Get("samples")
	if !has {
		// No span: upstream returns nothing, its loop runs no window.
		if len(want) != 0 || slices.Max(ends) != slices.Min(ends) {
			t.Fatalf("%s: no QPS for a run of %v s", name, slices.Max(ends)-slices.Min(ends))
		}
		return
	}
	if samples != int64(len(want)) {
		t.Fatalf("%s: %v windows, upstream's loop %d", name, samples, len(want))
	}
	if len(want) == 0 {
		return
	}
	s := floatStats(want)
	for i, k := range statKeys {
		v, _ := got.Get(k)
		if v != s.vals[i] {
			t.Errorf("%s: %s = %v, upstream's loop %v", name, k, v, s.vals[i])
		}
	}
}

func TestQPSMatchesUpstreamLoop(t *testing.T) {
	// Starts the window loop below zero, across zero with fractional
	// seconds, and across binade edges: every window start there is one
	// float addition away from the last, which the skips must reproduce.
	for name, ends := range map[string][]int64{
		"negative start, idle to positive": {-3_000_000_123_456_789, -2_999_999_500_000_000, 1_500_000_000_000_000},
		"negative fraction across zero":    {-2_000_000_000_000_001, -7, 3, 2_500_000_000_000_000, 2_500_000_000_000_001},
		"tiny negative to small positive":  {-1, 1, 4_000_000_000},
		"up through binades":               {-1_048_575_999_999_999, 1_048_576_500_000_001, 2_097_152_000_000_000, 2_097_155_000_000_000},
		"fraction just under a binade":     {1_048_575_999_999_999, 1_048_577_000_000_000, 4_194_306_000_000_000},
		"all negative":                     {-5_000_000_000_000_000, -4_999_999_000_000_001, -12_345_678_901, -1_000_000_000},
		"ends near -1 s":                   {-2_000_000_001, -1_000_000_000, -999_999_999, 1_999_999_999},
	} {
		checkQPS(t, name, ends)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 2 + rng.IntN(300)
		if trial%5 == 1 || trial%5 == 3 {
			n = 2 + rng.IntN(8)
		}
		base := int64(1_796_452_392_000_000_000) + rng.Int64N(1e12)
		span := 1 + rng.Int64N(60_000_000_000)
		if trial%5 == 3 {
			// Around zero, from far below it.
			base = -rng.Int64N(1_000_000_000_000_000)
			span = 1 + rng.Int64N(1_000_000_000_000_000)
		}
		ends := make([]int64, n)
		for i := range ends {
			ns := base + rng.Int64N(span)
			switch trial % 5 {
			case 0:
				// Completions on exact window edges.
				ns = base + rng.Int64N(20)*1_000_000_000
			case 1:
				// Long idle gaps, from small times up across binades.
				ns = 1 + rng.Int64N(3)*rng.Int64N(30_000_000_000_000)
			}
			ends[i] = ns
		}
		checkQPS(t, fmt.Sprintf("trial %d", trial), ends)
	}
}

// stepOnce is upstream's `current += window` in exact arithmetic rounded
// once to float64, written independently of the float addition the code
// under test uses.
func stepOnce(x float64) float64 {
	s := new(big.Float).SetPrec(200).SetFloat64(x)
	s.Add(s, big.NewFloat(1))
	f, _ := s.Float64() // rounds to nearest, ties to even, as IEEE addition does
	return f
}

// Where upstream's loop has too many windows to run (a completion at
// -9e9 s: 10^10 windows), each skip must still equal that many single
// additions. A skip of m windows is exact when the start and every sum
// on the way are exact: the property checked here on random starts is
// that current+m is exactly representable and that every one of the m
// additions, stepped with exact arithmetic, lands where plain counting
// says (sampled at both ends and at random points inside; the proof of
// the rest is the argument in emptyWindows' comment). Small skips are
// stepped through in full.
func TestEmptyWindowsEqualsSingleSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	starts := []float64{-9.223372036854776e9, -0x1p53, -0x1p52 - 0.5, -1, -1.5, 1, 1.25, 0x1p52 - 3, 1796452392.421366, -0.75}
	for i := 0; i < 2000; i++ {
		e := rng.IntN(54)
		x := math.Ldexp(1+rng.Float64(), e-1)
		if rng.IntN(2) == 0 {
			x = -x
		}
		if rng.IntN(3) == 0 {
			x = math.Trunc(x)
		}
		starts = append(starts, x)
	}
	for _, x := range starts {
		for _, next := range []float64{x + 3.5, x + 1000.25, x + 1e6, x + 4e9, math.Abs(x) + 1e10} {
			if next < x+1 {
				continue
			}
			m := emptyWindows(x, next)
			if m == 0 {
				continue
			}
			if m < 2 || x+float64(m) > next {
				t.Fatalf("emptyWindows(%v, %v) = %d: skips past the completion", x, next, m)
			}
			want := new(big.Float).SetPrec(200).SetFloat64(x)
			want.Add(want, new(big.Float).SetInt64(m))
			if got := new(big.Float).SetPrec(200).SetFloat64(x + float64(m)); got.Cmp(want) != 0 {
				t.Fatalf("emptyWindows(%v, %v) = %d: %v+%d is not exact", x, next, m, x, m)
			}
			if m <= 3000 {
				cur := x
				for j := int64(0); j < m; j++ {
					cur = stepOnce(cur)
				}
				if cur != x+float64(m) {
					t.Fatalf("emptyWindows(%v, %v) = %d: %d additions reach %v, the skip %v", x, next, m, m, cur, x+float64(m))
				}
				continue
			}
			for _, j := range []int64{0, 1, m / 2, m - 2, m - 1, rng.Int64N(m)} {
				y := x + float64(j)
				if stepOnce(y) != x+float64(j+1) {
					t.Fatalf("emptyWindows(%v, %v) = %d: addition %d from %v rounds", x, next, m, j, y)
				}
			}
		}
	}
}

// A completion at -9e18 ns starts the windows at -9e9 s; every start up
// to the last completion is a whole number, so the windows are the
// 1.07e10 seconds in between, the first holding one completion.
func TestQPSFarNegativeStart(t *testing.T) {
	records := make([]Record, 2)
	for i, ns := range []string{"-9000000000000000000", "1700000000000000000"} {
		records[i].Meta = map[string]any{"request_end_ns": json.Number(ns)}
	}
	got, err := qps(records)
	if err != nil {
		t.Fatal(err)
	}
	const windows = 10_700_000_000
	if s, _ := got.Get("samples"); s != int64(windows) {
		t.Fatalf("samples = %v, want %d", s, windows)
	}
	if m, _ := got.Get("mean"); m != 1.0/windows {
		t.Errorf("mean = %v, want %v", m, 1.0/windows)
	}
	if p, _ := got.Get("p95"); p != 0.0 {
		t.Errorf("p95 = %v, want 0", p)
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
