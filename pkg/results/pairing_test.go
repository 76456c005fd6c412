package results

import (
	"os"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/schemas"
)

func processed(t testing.TB, doc string) *Processed {
	t.Helper()
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseProcessed(v, "t", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const pairBase = `"image": "i", "model": "m", "infmax_model_prefix": "dsr1", "framework": "sglang", "precision": "fp8",
 "spec_decoding": "none", "disagg": false, "isl": 1024, "osl": 1024, "is_multinode": false, "tp": 8, "ep": 1,
 "dp_attention": "false", "output_tput_per_gpu": 1, "input_tput_per_gpu": 1, "median_ttft": 0.1, "median_tpot": 0.01,
 "median_intvty": 100, "median_e2el": 1`

func res(t testing.TB, fields string) *Processed {
	return processed(t, "{"+pairBase+", "+fields+"}")
}

func TestHardware(t *testing.T) {
	for in, want := range map[string]string{"b200-trt": "b200", "H200": "h200", "gb200-multinode": "gb200", "mi355x-disagg": "mi355x",
		"h200-cw": "h200-cw", "b200-trt-x": "b200-trt-x"} {
		if got := Hardware(in); got != want {
			t.Errorf("Hardware(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBaselineKey(t *testing.T) {
	a := res(t, `"hw": "b200-trt", "conc": 4, "tput_per_gpu": 1`)
	b := res(t, `"hw": "b200", "conc": 4, "tput_per_gpu": 2, "pp": 1, "dcp_size": 1, "pcp_size": 1, "model": "other"`)
	if a.BaselineKey() != b.BaselineKey() {
		t.Errorf("the same configuration (hardware suffix, served model and default sizes aside) has two keys:\n%q\n%q", a.BaselineKey(), b.BaselineKey())
	}
	for _, diff := range []string{`"hw": "b200", "conc": 8`, `"hw": "h200", "conc": 4`, `"hw": "b200", "conc": 4, "pp": 2`} {
		if c := res(t, diff+`, "tput_per_gpu": 1`); c.BaselineKey() == a.BaselineKey() {
			t.Errorf("%s has the key of b200 conc 4", diff)
		}
	}
}

func TestPairWithBaseline(t *testing.T) {
	fp := func(c byte) string { return strings.Repeat(string(c), 64) }
	cur := []*Processed{
		res(t, `"hw": "h200", "conc": 4, "tput_per_gpu": 1, "recipe_fingerprint": "`+fp('a')+`", "pp": 1, "dcp_size": 1, "pcp_size": 1`),
		res(t, `"hw": "h200", "conc": 8, "tput_per_gpu": 1, "recipe_fingerprint": "`+fp('a')+`", "pp": 1, "dcp_size": 1, "pcp_size": 1`),
		res(t, `"hw": "h200", "conc": 16, "tput_per_gpu": 1`),
		res(t, `"hw": "h200", "conc": 32, "tput_per_gpu": 1`),
	}
	newest := res(t, `"hw": "h200", "conc": 4, "tput_per_gpu": 10, "recipe_fingerprint": "`+fp('b')+`", "pp": 1, "dcp_size": 1, "pcp_size": 1`)
	same := res(t, `"hw": "h200", "conc": 4, "tput_per_gpu": 20, "recipe_fingerprint": "`+fp('a')+`", "pp": 1, "dcp_size": 1, "pcp_size": 1`)
	other := res(t, `"hw": "h200", "conc": 8, "tput_per_gpu": 30, "recipe_fingerprint": "`+fp('c')+`", "pp": 1, "dcp_size": 1, "pcp_size": 1`)
	plain := res(t, `"hw": "h200", "conc": 16, "tput_per_gpu": 40`)
	pairs := PairWithBaseline(cur, []*Processed{newest, same, other, plain})
	want := []struct {
		base   *Processed
		recipe string
	}{{same, "same"}, {other, "changed"}, {plain, ""}, {nil, ""}}
	for i, w := range want {
		if pairs[i].Base != w.base || pairs[i].Recipe != w.recipe {
			t.Errorf("pair %d: base %v recipe %q, want %v %q", i, pairs[i].Base, pairs[i].Recipe, w.base, w.recipe)
		}
	}
}

func TestParseAggregate(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseAggregate(v, "a", []byte("[{"+pairBase+`, "hw": "h200", "conc": 4, "tput_per_gpu": 1}]`))
	if err != nil || len(rs) != 1 || rs[0].Source != "a[0]" {
		t.Fatalf("%v, %v", rs, err)
	}
	for _, bad := range []string{`{}`, `[1]`, `[`, `[{"hw": ""}]`} {
		if _, err := ParseAggregate(v, "a", []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "a") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// FuzzParseAggregate: any bytes are an aggregate or an error naming the source.
func FuzzParseAggregate(f *testing.F) {
	f.Add([]byte("[{" + pairBase + `, "hw": "h200", "conc": 4, "tput_per_gpu": 1}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"is_multinode": true}]`))
	if agentic, err := os.ReadFile("../../schemas/testdata/agentic-result/multi-dynamo-router.json"); err == nil {
		f.Add([]byte("[" + string(agentic) + "]"))
	}
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseAggregate(v, "src", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "src") {
				t.Fatalf("error without the source: %v", err)
			}
			return
		}
		for _, r := range rs {
			_ = r.BaselineKey()
			_ = r.Identity()
			_ = r.Label()
		}
	})
}
