package pynum

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"
)

type pythonAnswers struct {
	Python  string             `json:"python"`
	Float   map[string]*string `json:"float"`
	Int     map[string]*string `json:"int"`
	Round   [][3]any           `json:"round"`
	SumMean [][3]any           `json:"sum_mean"`
}

func load(t *testing.T) pythonAnswers {
	t.Helper()
	data, err := os.ReadFile("testdata/python.json")
	if err != nil {
		t.Fatal(err)
	}
	var a pythonAnswers
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// parseRepr reads Python's repr of a float.
func parseRepr(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("repr %q: %v", s, err)
	}
	return f
}

func same(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b) || math.IsNaN(a) && math.IsNaN(b)
}

func TestFloatAndIntLikePython(t *testing.T) {
	a := load(t)
	for in, want := range a.Float {
		got, ok := Float(in)
		if (want != nil) != ok {
			t.Errorf("Float(%q) ok=%v, Python %v", in, ok, want)
			continue
		}
		if ok && !same(got, parseRepr(t, *want)) {
			t.Errorf("Float(%q) = %v, Python %s", in, got, *want)
		}
	}
	for in, want := range a.Int {
		got, ok := Int(in)
		if (want != nil) != ok || ok && strconv.FormatInt(got, 10) != *want {
			t.Errorf("Int(%q) = %v %v, Python %v", in, got, ok, want)
		}
	}
}

func TestRoundLikePython(t *testing.T) {
	a := load(t)
	if len(a.Round) < 300 {
		t.Fatalf("%d cases", len(a.Round))
	}
	for _, c := range a.Round {
		x := parseRepr(t, c[0].(string))
		n := int(c[1].(float64))
		want := parseRepr(t, c[2].(string))
		if got := Round(x, n); !same(got, want) {
			t.Errorf("Round(%s, %d) = %v, Python %v", c[0], n, got, want)
		}
	}
}

func TestSumAndMeanLikePython312(t *testing.T) {
	a := load(t)
	for _, c := range a.SumMean {
		var xs []float64
		for _, s := range c[0].([]any) {
			xs = append(xs, parseRepr(t, s.(string)))
		}
		if got, want := Sum(xs), parseRepr(t, c[1].(string)); !same(got, want) {
			t.Errorf("Sum(%v) = %v, Python %s %v", xs, got, a.Python, want)
		}
		if got, want := Mean(xs), parseRepr(t, c[2].(string)); !same(got, want) {
			t.Errorf("Mean(%v) = %v, Python %v", xs, got, want)
		}
	}
	// The naive sum is what a += loop gives: it differs on the classic case.
	if SumNaive([]float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}) == 1.0 {
		t.Error("SumNaive compensates")
	}
}

func TestStrip(t *testing.T) {
	for in, want := range map[string]string{" a ": "a", "\x1c\x1fb\u00a0": "b", "\u200bc": "\u200bc", "": ""} {
		if got := Strip(in); got != want {
			t.Errorf("Strip(%q) = %q, want %q", in, got, want)
		}
	}
}
