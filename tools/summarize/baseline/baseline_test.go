package baseline

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
)

func TestParseThreshold(t *testing.T) {
	ok := map[string]float64{"5%": 0.05, "5": 0.05, " 2.5 % ": 0.025, "0": 0, "0%": 0, "99.9%": 0.999}
	for in, want := range ok {
		got, err := ParseThreshold(in)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("ParseThreshold(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "-1%", "100%", "five", "NaN", "5%%", "0x10"} {
		if _, err := ParseThreshold(in); err == nil {
			t.Errorf("ParseThreshold(%q): no error", in)
		}
	}
}

func FuzzParseThreshold(f *testing.F) {
	f.Add("5%")
	f.Add("1e1")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseThreshold(s)
		if err == nil && (v < 0 || v >= 1 || math.IsNaN(v)) {
			t.Fatalf("%q -> %v", s, v)
		}
	})
}

func result(t *testing.T, v *schemas.Validator, conc int, tput, tpot string) *results.Processed {
	t.Helper()
	doc := `{"hw": "h200", "conc": ` + strconv.Itoa(conc) + `, "image": "i", "model": "m", "infmax_model_prefix": "p", "framework": "f",
	 "precision": "fp8", "spec_decoding": "none", "disagg": false, "isl": 1024, "osl": 1024, "is_multinode": false,
	 "tp": 8, "ep": 1, "dp_attention": "false", "tput_per_gpu": ` + tput + `, "output_tput_per_gpu": 1, "input_tput_per_gpu": 1,
	 "median_ttft": 0.1, "median_tpot": ` + tpot + `, "median_intvty": null, "median_e2el": 1}`
	r, err := results.ParseProcessed(v, "x", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestJudge(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name                string
		bt, bp, ct, cp      string
		regressed, improved bool
		why                 string
	}{
		{"same", "100", "0.01", "100", "0.01", false, false, ""},
		{"throughput down 6%", "100", "0.01", "94", "0.01", true, false, "throughput per GPU -6.00%"},
		{"throughput down 5% exactly", "100", "0.01", "95", "0.01", false, false, ""},
		{"tpot up 10%", "100", "0.01", "100", "0.011", true, false, "median TPOT +10.00%"},
		{"faster", "100", "0.01", "120", "0.008", false, true, ""},
		{"baseline failed (0)", "0", "0", "100", "0.01", false, false, ""},
		{"current failed (0)", "100", "0.01", "0", "0", true, false, "throughput per GPU -100.00%"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := judge(result(t, v, 4, c.bt, c.bp), result(t, v, 4, c.ct, c.cp), 0.05)
			if m.Regressed != c.regressed || m.Improved != c.improved {
				t.Errorf("regressed %v improved %v (why %v)", m.Regressed, m.Improved, m.Why)
			}
			if c.why != "" && (len(m.Why) == 0 || m.Why[0] != c.why) {
				t.Errorf("why %v, want %q first", m.Why, c.why)
			}
		})
	}
}

func TestCompareListsUnmatched(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	base := []*results.Processed{result(t, v, 1, "100", "0.01"), result(t, v, 2, "100", "0.01")}
	cur := []*results.Processed{result(t, v, 2, "100", "0.01"), result(t, v, 4, "100", "0.01")}
	c, err := Compare(base, cur, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Matches) != 1 || len(c.OnlyBaseline) != 1 || len(c.OnlyCurrent) != 1 || c.OnlyBaseline[0].Int("conc") != 1 {
		t.Errorf("matches %d, only baseline %d, only current %d", len(c.Matches), len(c.OnlyBaseline), len(c.OnlyCurrent))
	}
	if _, err := Compare(append(base, base[0]), cur, 0.05); err == nil || !strings.Contains(err.Error(), "the baseline has more than one result") {
		t.Errorf("duplicates: %v", err)
	}
}
