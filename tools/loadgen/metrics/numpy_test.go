package metrics

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"
)

// numpy.json is written by testdata/gen_numpy_golden.py from numpy itself.
type numpyCase struct {
	Name        string   `json:"name"`
	Values      []string `json:"values"`
	Mean        string   `json:"mean"`
	Std         string   `json:"std"`
	Median      string   `json:"median"`
	Sum         string   `json:"sum"`
	Percentiles [][2]any `json:"percentiles"`
}

func hexFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return f
}

func loadNumpy(t *testing.T) []numpyCase {
	t.Helper()
	data, err := os.ReadFile("testdata/numpy.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []numpyCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 20 {
		t.Fatalf("only %d numpy cases", len(g.Cases))
	}
	return g.Cases
}

func same(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func TestMatchesNumpyBitForBit(t *testing.T) {
	for _, c := range loadNumpy(t) {
		t.Run(c.Name, func(t *testing.T) {
			xs := make([]float64, len(c.Values))
			for i, v := range c.Values {
				xs[i] = hexFloat(t, v)
			}
			if got, want := Sum(xs), hexFloat(t, c.Sum); !same(got, want) {
				t.Errorf("sum %v, numpy %v", got, want)
			}
			if got, want := Mean(xs), hexFloat(t, c.Mean); !same(got, want) {
				t.Errorf("mean %v, numpy %v", got, want)
			}
			if got, want := Std(xs), hexFloat(t, c.Std); !same(got, want) {
				t.Errorf("std %v, numpy %v", got, want)
			}
			s := Sorted(xs)
			if got, want := Median(s), hexFloat(t, c.Median); !same(got, want) {
				t.Errorf("median %v, numpy %v", got, want)
			}
			for _, pc := range c.Percentiles {
				p := pc[0].(float64)
				if got, want := Percentile(s, p), hexFloat(t, pc[1].(string)); !same(got, want) {
					t.Errorf("p%v: %v, numpy %v", p, got, want)
				}
			}
		})
	}
}

func TestEmptyIsZero(t *testing.T) {
	// The original computes np.mean(xs or 0): no samples give 0, not NaN.
	for name, got := range map[string]float64{
		"mean": Mean(nil), "std": Std(nil), "median": Median(nil), "p99": Percentile(nil, 99),
	} {
		if got != 0 {
			t.Errorf("%s of nothing = %v, want 0", name, got)
		}
	}
}
