package evals

import (
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
)

func decode(t testing.TB, s string) *pyjson.Object {
	t.Helper()
	doc, err := results.DecodeOrdered([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc.(*pyjson.Object)
}

func TestExtract(t *testing.T) {
	doc := decode(t, `{"results": {
	  "t1": {"exact_match,strict-match": 0.9, "exact_match_stderr,strict-match": 0.01, "exact_match,flexible-extract": 0.95},
	  "t2": {"acc": 0.5},
	  "t3": {"f1,custom-extract": 0.7},
	  "t4": {}},
	 "configs": {
	  "t1": {"metric_list": [{"metric": "exact_match"}], "filter_list": [{"name": "strict-match"}, {"name": "flexible-extract"}]},
	  "t3": {"metric_list": [{"metric": "f1"}], "filter_list": [{"name": "custom-extract"}], "metadata": {"model": "meta-model"}}},
	 "n-samples": {"t1": {"effective": 100}},
	 "lm_eval_version": "0.4.9"}`)
	ms := extract("r.json", doc)
	if len(ms) != 4 {
		t.Fatalf("%d metrics", len(ms))
	}
	if ms[0].task != "t1" || ms[0].strict != 0.9 || ms[0].flex != 0.95 || ms[0].flexSE != nil {
		t.Errorf("t1: %+v", ms[0])
	}
	if ms[1].accuracy != 0.5 || ms[1].strict != nil {
		t.Errorf("t2: %+v", ms[1])
	}
	if ms[2].flex != 0.7 || ms[2].model != "meta-model" {
		t.Errorf("t3: %+v", ms[2])
	}
	if ms[3].strict != nil || ms[3].nEff != nil {
		t.Errorf("t4: %+v", ms[3])
	}
	if extract("r.json", decode(t, `{"results": {}}`)) != nil {
		t.Error("no results should extract nothing")
	}
}

func TestBuildRow(t *testing.T) {
	meta := decode(t, `{"hw": "mi355x", "framework": "VLLM", "precision": "FP4", "tp": "4", "conc": 8.0, "dp_attention": true, "spec_decoding": "mtp"}`)
	r, err := buildRow(meta, metric{task: "gsm8k", accuracy: 0.5, accuracySE: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pyjson.Marshal(r.doc)
	want := `{"model": "unknown", "hw": "MI355X", "framework": "vllm", "precision": "fp4", "spec_decoding": "mtp", "tp": 4, "ep": 1, "conc": 8, "dp_attention": "true", "task": "gsm8k", "em_strict": null, "em_strict_se": null, "em_flexible": null, "em_flexible_se": null, "n_eff": null, "source": "", "score": 0.5, "score_name": "accuracy", "score_se": 0.01}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if _, err := buildRow(decode(t, `{"tp": "eight"}`), metric{}); err == nil || !strings.Contains(err.Error(), `tp: expected an integer, got string "eight"`) {
		t.Errorf("bad tp: %v", err)
	}
	if _, err := buildRow(decode(t, `{"hw": 200}`), metric{}); err == nil || !strings.Contains(err.Error(), "hw: expected a string") {
		t.Errorf("bad hw: %v", err)
	}
}

func TestPercentages(t *testing.T) {
	cases := []struct {
		v       any
		pct, se string
	}{
		{0.94692, "94.69%", " ±94.69%"},
		{nil, "N/A", ""},
		{"N/A", "N/A", ""},
		{"0.5", "50.00%", " ±50.00%"},
		{true, "100.00%", " ±100.00%"},
		{0.00005, "0.01%", " ±0.01%"},
		{"nan", "nan%", " ±nan%"},
	}
	for _, c := range cases {
		if got := pct(c.v); got != c.pct {
			t.Errorf("pct(%v) = %q, want %q", c.v, got, c.pct)
		}
		if got := se(c.v); got != c.se {
			t.Errorf("se(%v) = %q, want %q", c.v, got, c.se)
		}
	}
}

// FuzzEvalFile feeds arbitrary lm-eval results files: extraction and row
// building must never panic.
func FuzzEvalFile(f *testing.F) {
	f.Add([]byte(`{"results": {"t": {"exact_match,strict-match": 0.9}}, "configs": {"t": {"filter_list": [{"name": "strict-match"}]}}}`))
	f.Add([]byte(`{"results": {"t": 1}, "configs": {"t": {"metric_list": [1], "filter_list": [{"name": 2}]}}, "n-samples": []}`))
	f.Add([]byte(`{"results": [], "configs": "x"}`))
	meta, _ := results.DecodeOrdered([]byte(`{"hw": "h200", "tp": 8}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := results.DecodeOrdered(data)
		if err != nil {
			return
		}
		o, ok := doc.(*pyjson.Object)
		if !ok {
			return
		}
		for _, m := range extract("r.json", o) {
			if _, err := buildRow(meta.(*pyjson.Object), m); err != nil {
				t.Fatal(err)
			}
		}
	})
}
