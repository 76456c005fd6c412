package schemas

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// agenticOutputs are upstream process_agentic_result.py's own outputs:
// those scripts/gen-agentic-result-testdata.py made for this schema (every
// job shape and server backend, power fields added by upstream's
// power_adapter.py) and those summarize's tests read.
func agenticOutputs(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, glob := range []string{"testdata/agentic-result/*.json", "../tools/summarize/testdata/agentic/*.json"} {
		paths, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out[p] = data
		}
	}
	if len(out) < 16 {
		t.Fatalf("only %d upstream agentic outputs", len(out))
	}
	return out
}

func TestAgenticResultAcceptsUpstreamOutputs(t *testing.T) {
	v := mustValidator(t)
	for p, data := range agenticOutputs(t) {
		if err := v.ValidateJSON(AgenticResult, data); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		// An agentic result is not a fixed-seq-len one, and the other way
		// round: collect tells them apart by scenario_type alone.
		if err := v.ValidateJSON(ProcessedResult, data); err == nil {
			t.Errorf("%s passes as a fixed-seq-len processed result", p)
		}
	}
}

// The outputs cover what upstream writes in each shape; the test data
// must keep doing so when it is regenerated.
func TestAgenticOutputsCoverTheShapes(t *testing.T) {
	docs := agenticOutputs(t)
	seen := map[string]bool{}
	for _, data := range docs {
		s := string(data)
		for what, marker := range map[string]string{
			"multinode":           `"is_multinode": true`,
			"aggregated":          `"num_decode_gpu": 0`,
			"offload":             `"kv_offloading": "dram"`,
			"router":              `"router": {`,
			"kv transfer":         `"kv_p2p_transfer"`,
			"role hardware":       `"prefill_hw"`,
			"warnings":            `"warnings": [`,
			"power measured":      `"power_valid": 1`,
			"power not measured":  `"power_valid": 0`,
			"nothing profiled":    `"qps": {}`,
			"qps mean only":       `"samples": 0`,
			"expected outputs":    `"output_expected": {` + "\n",
			"error categories":    `"HTTPStatusError": `,
			"sglang":              `"adapter": "sglang"`,
			"atom":                `"adapter": "atom"`,
			"dynamo":              `"adapter": "dynamo-vllm"`,
			"no adapter":          `"adapter": "none"`,
			"offload bytes":       `"bytes_gpu_to_cpu": 1`,
			"pool tokens":         `"kv_cache_pool_tokens": 5`,
			"recipe fingerprint":  `"recipe_fingerprint": "abab`,
			"backend and version": `"version": "0.11.0"`,
		} {
			if strings.Contains(s, marker) {
				seen[what] = true
			}
		}
	}
	for _, what := range []string{"multinode", "aggregated", "offload", "router", "kv transfer", "role hardware", "warnings",
		"power measured", "power not measured", "nothing profiled", "qps mean only", "expected outputs", "error categories",
		"sglang", "atom", "dynamo", "no adapter", "offload bytes", "pool tokens", "recipe fingerprint", "backend and version"} {
		if !seen[what] {
			t.Errorf("no upstream output shows %s", what)
		}
	}
}

func TestAgenticResultRejects(t *testing.T) {
	v := mustValidator(t)
	base, err := os.ReadFile("testdata/agentic-result/single-vllm.json")
	if err != nil {
		t.Fatal(err)
	}
	multi, err := os.ReadFile("testdata/agentic-result/multi-dynamo-router.json")
	if err != nil {
		t.Fatal(err)
	}
	src := string(base)
	at := func(path ...string) func(m map[string]any) map[string]any {
		return func(m map[string]any) map[string]any {
			for _, p := range path {
				m = m[p].(map[string]any)
			}
			return m
		}
	}
	top := at()
	for _, c := range []struct {
		name string
		doc  string
		f    func(m map[string]any)
		want []string
	}{
		{"conc as string", src, func(m map[string]any) { top(m)["conc"] = "32" }, []string{`/conc: expected integer, got string "32"`}},
		{"no scenario type", src, func(m map[string]any) { delete(m, "scenario_type") }, []string{"/scenario_type: required key is missing"}},
		{"fixed-seq-len scenario", src, func(m map[string]any) { m["scenario_type"] = "fixed-seq-len" },
			[]string{`/scenario_type: expected "agentic-coding"`}},
		{"empty offload tier", src, func(m map[string]any) { m["kv_offloading"] = "" },
			[]string{`/kv_offloading: `}},
		{"offload without backend", src, func(m map[string]any) { m["kv_offloading"] = "dram" },
			[]string{"/kv_offload_backend: expected the offload backend"}},
		{"backend without offload", src, func(m map[string]any) { m["kv_offload_backend"] = map[string]any{"name": "lmcache"} },
			[]string{"/kv_offload_backend: expected null: kv_offloading is none"}},
		{"no request metrics", src, func(m map[string]any) { delete(m, "request_metrics") },
			[]string{"/request_metrics: required key is missing"}},
		{"p90 interactivity as string", src, func(m map[string]any) {
			at("request_metrics", "latency", "e2e_norm_intvty")(m)["p90"] = "fast"
		}, []string{`/request_metrics/latency/e2e_norm_intvty/p90: expected number, got string "fast"`}},
		{"a distribution missing its p95", src, func(m map[string]any) { delete(at("request_metrics", "latency", "ttft")(m), "p95") },
			[]string{"/request_metrics/latency/ttft/p95: required when"}},
		{"per-GPU throughput without its parts", src, func(m map[string]any) {
			delete(at("request_metrics", "throughput", "per_gpu")(m), "input_tput_tps")
		}, []string{"/request_metrics/throughput/per_gpu/input_tput_tps: required when"}},
		{"unknown adapter", src, func(m map[string]any) { at("server_metrics")(m)["adapter"] = "tgi" },
			[]string{"/server_metrics/adapter: must be one of"}},
		{"server cache key missing", src, func(m map[string]any) { delete(at("server_metrics", "cache")(m), "gpu_cache_hit_rate") },
			[]string{"/server_metrics/cache/gpu_cache_hit_rate: required key is missing"}},
		{"hit rate as string", src, func(m map[string]any) { at("server_metrics", "cache")(m)["gpu_cache_hit_rate"] = "78%" },
			[]string{`/server_metrics/cache/gpu_cache_hit_rate: expected number or null, got string "78%"`}},
		{"error count as float", src, func(m map[string]any) {
			at("request_accounting", "error_categories")(m)["HTTPStatusError"] = 1.5
		}, []string{"/request_accounting/error_categories/HTTPStatusError: expected integer"}},
		{"unknown top-level key", src, func(m map[string]any) { m["tput_per_gpu"] = 1.0 },
			[]string{"/tput_per_gpu: unknown key"}},
		{"single node without pp", src, func(m map[string]any) { delete(m, "pp") }, []string{"/pp: required key is missing"}},
		{"power metric without power_valid", src, func(m map[string]any) {
			delete(m, "power_valid")
		}, []string{"/power_valid: required key is missing"}},
		{"power_valid 0 with a metric", src, func(m map[string]any) { m["power_valid"] = 0 },
			[]string{": power_valid is 0: no power metric may be present"}},
		{"multinode without decode tp", string(multi), func(m map[string]any) { delete(m, "decode_tp") },
			[]string{"/decode_tp: required key is missing"}},
		{"prefill hardware alone", string(multi), func(m map[string]any) { delete(m, "decode_hw") },
			[]string{"/decode_hw: required when prefill_hw is given"}},
		{"router without version", string(multi), func(m map[string]any) { delete(at("router")(m), "version") },
			[]string{"/router/version: required key is missing"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := edit(t, c.doc, c.f)
			err := v.ValidateJSON(AgenticResult, []byte(doc))
			wantViolations(t, err, c.want)
		})
	}
}

// BenchmarkValidateAgenticResult: one result through the fast path, as
// collect validates each file of a sweep.
func BenchmarkValidateAgenticResult(b *testing.B) {
	v := mustValidator(b)
	data, err := os.ReadFile("testdata/agentic-result/multi-dynamo-router.json")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := DecodeJSON(data)
	if err != nil {
		b.Fatal(err)
	}
	if err := v.Validate(AgenticResult, doc); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := v.Validate(AgenticResult, doc); err != nil {
			b.Fatal(err)
		}
	}
}
