package schemas

import (
	"encoding/json"
	"math/big"
	"testing"
)

func TestPlainNumber(t *testing.T) {
	for _, c := range []struct {
		s           string
		ok, integer bool
	}{
		{"0", true, true}, {"-0", true, true}, {"42", true, true}, {"-1234567890123456789012", true, true},
		{"8.0", true, false}, {"1e2", true, false}, {"1E+2", true, false}, {"-0.5e-3", true, false},
		{"", false, false}, {"-", false, false}, {"01", false, false}, {"1.", false, false}, {".5", false, false},
		{"1e", false, false}, {"+1", false, false}, {"1/3", false, false}, {"0x10", false, false}, {"Inf", false, false},
		{"1 ", false, false}, {"1e123456", false, false}, {"1e99999", true, false},
	} {
		ok, integer := plainNumber(c.s)
		if ok != c.ok || ok && integer != c.integer {
			t.Errorf("plainNumber(%q) = %v, %v; want %v, %v", c.s, ok, integer, c.ok, c.integer)
		}
	}
}

// TestNumberBoundsOnTheEdge: values whose float64 lands on a bound (or
// past float64's range) are decided exactly, as the library decides them.
func TestNumberBoundsOnTheEdge(t *testing.T) {
	v := mustValidator(t)
	_, fs, err := v.schema(AgenticResult)
	if err != nil || fs == nil {
		t.Fatal("no fast path", err)
	}
	// request_metrics.qps.window_seconds: exclusiveMinimum 0.
	for _, c := range []struct {
		n    string
		want bool
	}{{"1e-400", true}, {"0.0", false}, {"-0", false}, {"0e5", false}, {"1e400", true}, {"-1e-400", false}, {"5e-324", true}} {
		doc := map[string]any{"window_seconds": json.Number(c.n), "samples": json.Number("0"), "mean": json.Number("1")}
		qps := fs.props["request_metrics"]
		if qps.ref != nil {
			qps = qps.ref
		}
		got, known := qps.props["qps"].valid(doc)
		if !known || got != c.want {
			t.Errorf("window_seconds %s: valid=%v known=%v, want %v", c.n, got, known, c.want)
		}
	}
}

// FuzzNumberFastPath: what the fast path reads from a number's text agrees
// with its exact value.
func FuzzNumberFastPath(f *testing.F) {
	for _, s := range []string{"0", "-12", "8.0", "1e2", "1.5e-7", "123456789012345678", "1e400", "1e-400", "9007199254740993", "1e1000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		plain, integer := plainNumber(s)
		if !plain {
			return
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("%q is plain but not a number", s)
		}
		if integer && !r.IsInt() {
			t.Fatalf("%q read as an integer", s)
		}
		if got := integral(json.Number(s)); got != r.IsInt() {
			t.Fatalf("integral(%q) = %v", s, got)
		}
		x, exact, ok := approxNumber(s)
		if !ok {
			return
		}
		if nearest, _ := r.Float64(); x != nearest {
			t.Fatalf("approxNumber(%q) = %v, nearest float64 %v", s, x, nearest)
		}
		if exact && new(big.Rat).SetFloat64(x).Cmp(r) != 0 {
			t.Fatalf("approxNumber(%q) = %v said exact", s, x)
		}
	})
}
