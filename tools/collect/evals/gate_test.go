package evals

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
)

func validator(t testing.TB) *schemas.Validator {
	t.Helper()
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseThresholds(t *testing.T) {
	v := validator(t)
	cases := []struct {
		name, text string
		prefix     string
		task       string
		wantMin    string
		wantFrom   string
		wantErr    string
	}{
		{"model first", "default: {gsm8k: 0.9}\nmodels: {dsr1: {gsm8k: 0.91}}\n", "dsr1", "gsm8k", "0.91", "models.dsr1", ""},
		{"default next", "default: {gsm8k: 0.9}\nmodels: {dsr1: {gsm8k: 0.91}}\n", "gptoss", "gsm8k", "0.9", "default", ""},
		{"model without the task", "default: {gsm8k: 0.9}\nmodels: {dsr1: {gpqa: 0.3}}\n", "dsr1", "gsm8k", "0.9", "default", ""},
		{"min-score last", "default: {gsm8k: 0.9}\n", "dsr1", "mmlu", "0.85", "min-score", ""},
		{"unknown prefix", "models: {dsr1: {gsm8k: 0.91}}\n", "", "gsm8k", "0.85", "min-score", ""},
		{"integer threshold", "default: {gsm8k: 1}\n", "", "gsm8k", "1", "default", ""},
		{"legacy flat", "gsm8k: 0.95\n", "", "gsm8k", "0.95", "default", ""},
		{"JSON", `{"default": {"gsm8k": 0.8}}`, "", "gsm8k", "0.8", "default", ""},
		{"above one", "default:\n  gsm8k: 91\n", "", "", "", "", "t.yaml:2:10: default.gsm8k:"},
		{"not a number", "models:\n  dsr1:\n    gsm8k: high\n", "", "", "", "", "t.yaml:3:12: models.dsr1.gsm8k:"},
		{"unknown top key", "default: {gsm8k: 0.9}\nmodel: {dsr1: {}}\n", "", "", "", "", "t.yaml:2:1: model:"},
		{"not a mapping", "- gsm8k\n", "", "", "", "", "t.yaml:1:1:"},
		{"empty", "", "", "", "", "", "empty thresholds file"},
		{"bad YAML", "default: {gsm8k: [\n", "", "", "", "", "t.yaml:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			th, err := ParseThresholds(v, "t.yaml", []byte(c.text))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m, from := th.Lookup(c.prefix, c.task, MinOf(0.85))
			if m.Text != c.wantMin || from != c.wantFrom {
				t.Errorf("Lookup(%q, %q) = %s from %s, want %s from %s", c.prefix, c.task, m.Text, from, c.wantMin, c.wantFrom)
			}
		})
	}
}

// TestRepositoryThresholds: the shipped thresholds load, and name upstream's
// per-model numbers.
func TestRepositoryThresholds(t *testing.T) {
	th, err := LoadThresholds(validator(t), filepath.Join("..", "..", "..", "configs", "eval-thresholds.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ prefix, task, want string }{
		{"dsr1", "gsm8k", "0.91"}, {"qwen3.5", "gsm8k", "0.94"}, {"toy", "gsm8k", "0.9"}, {"glm5", "swebench_lite", "0.5"},
	} {
		if m, _ := th.Lookup(c.prefix, c.task, MinOf(0.85)); m.Text != c.want {
			t.Errorf("%s/%s: %s, want %s", c.prefix, c.task, m.Text, c.want)
		}
	}
}

func TestParseExpectedConcs(t *testing.T) {
	cases := []struct {
		in   string
		want []int64
		ok   bool
	}{
		{"16 64 256", []int64{16, 64, 256}, true},
		{" 8\t4 ", []int64{8, 4}, true},
		{"1_6", []int64{16}, true},
		{"", nil, false},
		{"16 16", nil, false},
		{"0", nil, false},
		{"-4", nil, false},
		{"4.0", nil, false},
		{"four", nil, false},
	}
	for _, c := range cases {
		got, err := ParseExpectedConcs(c.in)
		if (err == nil) != c.ok || strings.Join(int64s(got), ",") != strings.Join(int64s(c.want), ",") {
			t.Errorf("ParseExpectedConcs(%q) = %v, %v", c.in, got, err)
		}
	}
}

func int64s(xs []int64) []string {
	var out []string
	for _, x := range xs {
		out = append(out, strconv.FormatInt(x, 10))
	}
	return out
}

func TestPyIntOr(t *testing.T) {
	cases := []struct {
		in   any
		want int64
	}{
		{"8", 8}, {" 8\n", 8}, {"+8", 8}, {"-8", -8}, {"1_000", 1000}, {"1__0", -1}, {"_1", -1}, {"1_", -1},
		{"8.0", -1}, {"eight", -1}, {"", -1}, {"+-8", -1}, {8.9, 8}, {-8.9, -8}, {true, 1}, {false, 0}, {nil, -1},
		{[]any{}, -1}, {json.Number("12"), 12},
	}
	for _, c := range cases {
		if got := pyIntOr(c.in, -1); got != c.want {
			t.Errorf("pyIntOr(%#v) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestManifestErrors(t *testing.T) {
	cases := []struct {
		name     string
		meta     string
		files    []string
		expected []int64
		want     []string
	}{
		{"not batched, not told", `{"conc": 4}`, []string{"results_a.json"}, nil, nil},
		{"complete batch", `{"eval_concs": [4, 8], "completed_eval_concs": [4, 8], "failed_eval_concs": []}`,
			[]string{"results_a_conc4.json", "results_a_conc8.json"}, []int64{4, 8}, nil},
		{"a file without suffix", `{"eval_concs": [4], "completed_eval_concs": [4], "failed_eval_concs": []}`,
			[]string{"results_a_conc4.json", "results_b.json"}, nil, []string{"batched eval result lacks a concurrency suffix: results_b.json"}},
		{"an extra file", `{"eval_concs": [4], "completed_eval_concs": [4], "failed_eval_concs": []}`,
			[]string{"results_a_conc4.json", "results_a_conc8.json"}, nil, []string{"batched eval has unexpected result files for concurrency: 8"}},
		{"completed more than asked", `{"eval_concs": [4], "completed_eval_concs": [4, 8], "failed_eval_concs": []}`,
			[]string{"results_a_conc4.json"}, nil, []string{"batched eval completed unexpected concurrency: 8"}},
		{"duplicates", `{"eval_concs": [4, 4], "completed_eval_concs": [4, 4], "failed_eval_concs": []}`,
			[]string{"results_a_conc4.json"}, nil, []string{"batched eval metadata contains duplicate expected concurrencies",
				"batched eval metadata contains duplicate completed concurrencies"}},
		{"not lists", `{"eval_concs": "4 8", "completed_eval_concs": [], "failed_eval_concs": []}`, nil, nil,
			[]string{"batched eval metadata must contain list-valued concurrency fields"}},
		{"bad value", `{"eval_concs": [4, 0], "completed_eval_concs": [], "failed_eval_concs": []}`, nil, nil,
			[]string{"batched eval metadata contains an invalid concurrency"}},
		{"float value", `{"eval_concs": [4.0], "completed_eval_concs": [], "failed_eval_concs": []}`, nil, nil,
			[]string{"batched eval metadata contains an invalid concurrency"}},
		{"told two, not batched", `{"conc": 4}`, []string{"results_a.json"}, []int64{4, 8},
			[]string{"workflow requested multiple concurrencies but batched eval metadata is missing"}},
		{"told one, two files", `{"conc": 4}`, []string{"results_a.json", "results_b.json"}, []int64{4},
			[]string{"eval must produce exactly one result file"}},
		{"told one, conc a string", `{"conc": "4"}`, []string{"results_a.json"}, []int64{4},
			[]string{"eval metadata concurrency does not match workflow request"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := results.DecodeOrdered([]byte(c.meta))
			if err != nil {
				t.Fatal(err)
			}
			got := manifestErrors("meta_env.json", doc.(*pyjson.Object), nil, c.files, c.expected)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
	// An unreadable meta matters only where a batch was asked for or left.
	if got := manifestErrors("m.json", nil, os.ErrNotExist, []string{"results_a.json"}, nil); got != nil {
		t.Errorf("unreadable meta, plain eval: %q", got)
	}
	if got := manifestErrors("m.json", nil, os.ErrNotExist, []string{"results_a_conc4.json"}, nil); len(got) != 1 ||
		!strings.HasPrefix(got[0], "batched eval result files exist but m.json is unavailable or invalid: ") {
		t.Errorf("unreadable meta, batched files: %q", got)
	}
}

// TestGateTable: one row per results file and task, the verdict per row,
// and the failing job's manifest errors under the table.
func TestGateTable(t *testing.T) {
	dir := t.TempDir()
	job := filepath.Join(dir, "eval_a")
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(job, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(job, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(MetaFile, `{"is_multinode": false, "infmax_model_prefix": "dsr1", "hw": "b200", "framework": "sglang", "precision": "fp8",
		"spec_decoding": "none", "tp": 8, "ep": 1, "conc": 64, "eval_concs": [64], "completed_eval_concs": [64], "failed_eval_concs": []}`)
	write("results_x_conc64.json", `{"results": {"gsm8k": {"exact_match,strict-match": 0.95, "exact_match_stderr,strict-match": 0.01,
		"exact_match,flexible-extract": 0.905}, "other": {"acc": 0.2}}, "lm_eval_version": "0.4"}`)
	th, err := ParseThresholds(validator(t), "th.yaml", []byte("models: {dsr1: {gsm8k: 0.91}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Gate(dir, GateOptions{Thresholds: th, MinScore: MinOf(0.85), MetricPrefix: "exact_match,"})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Jobs) != 1 || g.Failed() != 1 {
		t.Fatalf("%d jobs, %d failed", len(g.Jobs), g.Failed())
	}
	md := g.Markdown("th.yaml")
	for _, want := range []string{
		"1 eval job(s): **1 failed**; 2 metric(s) checked, 1 below the threshold.",
		"| dsr1           | B200       | SGLANG      | FP8         | none          | tp8/ep1       |     64 | gsm8k  | strict-match 0.9500, flexible-extract 0.9050 | 0.91        | models.dsr1      | FAIL     | results_x_conc64.json |",
		"| other  | no metric named exact_match,...",
		"batched eval produced every requested concurrency",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
}

// FuzzParseThresholds: any file either loads or is refused with a
// positioned error; a loaded one answers every lookup with a fraction.
func FuzzParseThresholds(f *testing.F) {
	f.Add([]byte("default:\n  gsm8k: 0.9\nmodels:\n  dsr1:\n    gsm8k: 0.91\n"))
	f.Add([]byte("gsm8k: 1\n"))
	f.Add([]byte(`{"models": {"": {"t": 0.5}}}`))
	f.Add([]byte("default: &a {x: 0.1}\nmodels: {m: *a}\n"))
	v := validator(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := ParseThresholds(v, "t.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "t.yaml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for prefix, tasks := range th.Models {
			for task := range tasks {
				if m, from := th.Lookup(prefix, task, MinOf(0.85)); m.Value < 0 || m.Value > 1 || from != "models."+prefix {
					t.Fatalf("%s/%s: %v from %s", prefix, task, m, from)
				}
			}
		}
	})
}

// FuzzParseExpectedConcs: accepted lists are unique positive integers.
func FuzzParseExpectedConcs(f *testing.F) {
	for _, s := range []string{"16 64 256", "", "1_6", "4 4", "-1", " 8 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseExpectedConcs(s)
		if err != nil {
			return
		}
		seen := map[int64]bool{}
		for _, n := range got {
			if n <= 0 || seen[n] {
				t.Fatalf("%q gave %v", s, got)
			}
			seen[n] = true
		}
	})
}

// FuzzTodayRow feeds arbitrary meta_env.json documents (today's shape):
// every row built from them is valid against the aggregate's schema.
func FuzzTodayRow(f *testing.F) {
	f.Add([]byte(`{"is_multinode": true, "prefill_tp": "4", "decode_dp_attention": null, "dp_attention": true, "conc": "1_6"}`))
	f.Add([]byte(`{"is_multinode": "True", "tp": "x", "ep": 2.5, "hw": "h200", "isl": [], "eval_concs": [1]}`))
	f.Add([]byte(`{"is_multinode": false, "hw": 1}`))
	v := validator(f)
	m := metric{task: "gsm8k", strict: 0.9, source: "r.json"}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := results.DecodeOrdered(data)
		if err != nil {
			return
		}
		meta, ok := doc.(*pyjson.Object)
		if !ok {
			return
		}
		r, err := buildRowToday(meta, m, -1)
		if err != nil {
			return
		}
		out, err := results.MarshalIndent([]any{r.doc})
		if err != nil {
			t.Fatal(err)
		}
		if err := v.ValidateJSON(schemas.EvalResults, out); err != nil {
			t.Fatalf("%s\n%v", out, err)
		}
	})
}
