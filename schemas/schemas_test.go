package schemas

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func mustValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestKindsHaveFiles(t *testing.T) {
	want := []Kind{Matrix, MasterConfig, MatrixEntryMultiNode, MatrixEntrySingleNode, Runners, RawResult}
	got := map[Kind]bool{}
	for _, k := range Kinds() {
		got[k] = true
	}
	for _, k := range want {
		if !got[k] {
			t.Errorf("no schema file for kind %s", k)
		}
	}
}

const singleNodeEntry = `{"image": "img:1", "model": "org/m", "model-prefix": "dsr1", "precision": "fp8",
 "framework": "sglang", "runner": "h200", "isl": 1024, "osl": 1024, "tp": 8, "conc": 4,
 "max-model-len": 2248, "ep": 1, "dp-attn": false, "spec-decoding": "none", "exp-name": "dsr1_1k1k",
 "disagg": false, "run-eval": false}`

const multiNodeEntry = `{"image": "img:1", "model": "org/m", "model-prefix": "dsr1", "precision": "fp4",
 "framework": "dynamo-trt", "runner": "gb200", "isl": 1024, "osl": 1024, "spec-decoding": "mtp",
 "prefill": {"num-worker": 1, "tp": 4, "ep": 4, "dp-attn": true, "additional-settings": ["A=1"]},
 "decode": {"num-worker": 2, "tp": 8, "ep": 8, "dp-attn": true, "additional-settings": []},
 "conc": [1, 2], "max-model-len": 2248, "exp-name": "dsr1_1k1k", "disagg": true, "run-eval": false}`

const rawResult = `{"date": "20260205-101500", "backend": "vllm", "model_id": "openai/gpt-oss-120b",
 "tokenizer_id": "openai/gpt-oss-120b", "best_of": 1, "num_prompts": 40, "request_rate": "inf", "burstiness": 1.0,
 "max_concurrency": 4, "duration": 12.5, "completed": 40, "total_input_tokens": 40960, "total_output_tokens": 40960,
 "request_throughput": 3.2, "request_goodput:": null, "output_throughput": 3276.8, "total_token_throughput": 6553.6,
 "mean_ttft_ms": 80.5, "median_ttft_ms": 70.1, "std_ttft_ms": 9.0, "p99_ttft_ms": 120.0, "p99.9_itl_ms": 30.5,
 "mean_e2el_ms": 1200.0, "exp_name": "gptoss_1k1k"}`

// edit decodes a JSON object, applies f to it and re-encodes it.
func edit(t *testing.T, src string, f func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidate(t *testing.T) {
	v := mustValidator(t)
	type tc struct {
		name string
		kind Kind
		doc  string
		want []string // "pointer: message substring"; empty means valid
	}
	cases := []tc{
		{"single entry ok", MatrixEntrySingleNode, singleNodeEntry, nil},
		{"multi entry ok", MatrixEntryMultiNode, multiNodeEntry, nil},
		{"single entry tp as string", MatrixEntrySingleNode, edit(t, singleNodeEntry, func(m map[string]any) { m["tp"] = "8" }),
			[]string{`/tp: expected integer, got string "8"`}},
		{"single entry dp-attn as 1", MatrixEntrySingleNode, edit(t, singleNodeEntry, func(m map[string]any) { m["dp-attn"] = 1 }),
			[]string{`/dp-attn: expected boolean, got number 1`}},
		{"single entry missing run-eval", MatrixEntrySingleNode, edit(t, singleNodeEntry, func(m map[string]any) { delete(m, "run-eval") }),
			[]string{`/run-eval: required key is missing`}},
		{"single entry unknown key", MatrixEntrySingleNode, edit(t, singleNodeEntry, func(m map[string]any) { m["foo"] = 1 }),
			[]string{`/foo: unknown key (expected one of: conc, disagg,`}},
		{"single entry bad spec decoding", MatrixEntrySingleNode, edit(t, singleNodeEntry, func(m map[string]any) { m["spec-decoding"] = "eagle" }),
			[]string{`/spec-decoding: must be one of "mtp", "draft_model", "none", got string "eagle"`}},
		{"single entry zero conc", MatrixEntrySingleNode, edit(t, singleNodeEntry, func(m map[string]any) { m["conc"] = 0 }),
			[]string{`/conc: must be >= 1, got 0`}},
		{"multi entry missing additional-settings", MatrixEntryMultiNode, edit(t, multiNodeEntry, func(m map[string]any) {
			delete(m["decode"].(map[string]any), "additional-settings")
		}), []string{`/decode/additional-settings: required key is missing`}},
		{"multi entry conc not a list", MatrixEntryMultiNode, edit(t, multiNodeEntry, func(m map[string]any) { m["conc"] = 4 }),
			[]string{`/conc: expected array, got number 4`}},
		{"matrix of both", Matrix, "[" + singleNodeEntry + "," + multiNodeEntry + "]", nil},
		{"matrix routes by prefill", Matrix, "[" + edit(t, multiNodeEntry, func(m map[string]any) { delete(m, "decode") }) + "]",
			[]string{`/0/decode: required key is missing`}},
		{"runners ok", Runners, `{"h200": ["h200-nv_0", "h200-cw_1"]}`, nil},
		{"runners empty list", Runners, `{"h200": []}`, []string{`/h200: must not be empty`}},
		{"runners duplicate node", Runners, `{"h200": ["a_0", "a_0"]}`, []string{`/h200: has duplicate`}},
		{"runners not a list", Runners, `{"h200": "h200_0"}`, []string{`/h200: expected array, got string "h200_0"`}},
		{"raw result ok", RawResult, rawResult, nil},
		{"raw result rate inf only", RawResult, edit(t, rawResult, func(m map[string]any) { m["request_rate"] = "fast" }),
			[]string{`/request_rate: must be "inf" or a positive number`}},
		{"raw result bad metric", RawResult, edit(t, rawResult, func(m map[string]any) { m["p99_ttft_ms"] = "slow" }),
			[]string{`/p99_ttft_ms: expected number, got string "slow"`}},
		{"raw result loadgen extras", RawResult, edit(t, rawResult, func(m map[string]any) {
			m["simulated"] = "yes"
			m["errors_by_kind"] = map[string]any{"bogus": map[string]any{"count": 1, "first_error": "x"}}
			m["median_queue_wait_ms"] = -1
		}), []string{`/errors_by_kind/bogus: must be one of`, `/median_queue_wait_ms: must be >= 0`, `/simulated: expected boolean`}},
		{"master wildcard key", MasterConfig, `{"dsr1-*": {}}`, []string{`/dsr1-*: the wildcard '*' is not allowed`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := v.ValidateJSON(c.kind, []byte(c.doc))
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want *Error, got %v", err)
			}
			var got []string
			for _, vi := range se.Violations {
				got = append(got, vi.Pointer+": "+vi.Message)
			}
			for _, w := range c.want {
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing violation %q in:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func TestMasterConfigConcRules(t *testing.T) {
	v := mustValidator(t)
	entry := func(space string, extra string) string {
		return `{"k": {"image": "i", "model": "m", "model-prefix": "p", "precision": "fp8", "framework": "vllm",
			"runner": "h200", "multinode": false` + extra + `, "seq-len-configs": [{"isl": 1024, "osl": 1024,
			"search-space": [` + space + `]}]}}`
	}
	cases := []struct {
		name, doc, want string
	}{
		{"range ok", entry(`{"tp": 8, "conc-start": 4, "conc-end": 64}`, ""), ""},
		{"list ok", entry(`{"tp": 8, "conc-list": [1, 3]}`, ""), ""},
		{"both", entry(`{"tp": 8, "conc-list": [1], "conc-start": 1, "conc-end": 2}`, ""), "/k/seq-len-configs/0/search-space/0: conc-list cannot be combined"},
		{"neither", entry(`{"tp": 8}`, ""), "/k/seq-len-configs/0/search-space/0: needs the concurrencies"},
		{"start only", entry(`{"tp": 8, "conc-start": 4}`, ""), "/k/seq-len-configs/0/search-space/0/conc-end: required when conc-start is given"},
		{"zero start", entry(`{"tp": 8, "conc-start": 0, "conc-end": 4}`, ""), "/k/seq-len-configs/0/search-space/0/conc-start: must be >= 1, got 0"},
		{"negative list", entry(`{"tp": 8, "conc-list": [4, -1]}`, ""), "/k/seq-len-configs/0/search-space/0/conc-list/1: must be >= 1, got -1"},
		{"disagg single node", entry(`{"tp": 8, "conc-list": [4]}`, `, "disagg": true`), "/k/disagg: disagg: true needs multinode: true"},
		{"multinode shape on single node", entry(`{"conc-list": [4], "prefill": {}}`, ""), "/k/seq-len-configs/0/search-space/0/prefill: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := v.ValidateJSON(MasterConfig, []byte(c.doc))
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want %q in error, got %v", c.want, err)
			}
		})
	}
}

func TestValidateRejectsNonJSONValues(t *testing.T) {
	v := mustValidator(t)
	if err := v.Validate(Runners, map[string]any{"a": []string{"x"}}); err == nil {
		t.Fatal("want an error for a []string value")
	}
	if err := v.Validate("nope", nil); err == nil {
		t.Fatal("want an error for an unknown kind")
	}
}

func BenchmarkValidateSingleNodeEntry(b *testing.B) {
	v := mustValidator(b)
	doc, err := DecodeJSON([]byte(singleNodeEntry))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Validate(MatrixEntrySingleNode, doc); err != nil {
			b.Fatal(err)
		}
	}
}
