package schemas

import (
	"encoding/json"
	"errors"
	"slices"
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

func TestEveryKindCompiles(t *testing.T) {
	v := mustValidator(t)
	for _, k := range Kinds() {
		if _, _, err := v.schema(k); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

func TestKindsHaveFiles(t *testing.T) {
	want := []Kind{Matrix, MasterConfig, MasterConfigFeb2026, MatrixEntryMultiNode, MatrixEntrySingleNode,
		MatrixEntryAgenticSingleNode, MatrixEntryAgenticMultiNode, Runners, RunnersFeb2026, RawResult, Changelog, ChangelogMatrix,
		ProcessedResult, ProcessedResults, EvalResults, RunStats, EvalThresholds, PowerValidation, PowerWindow,
		WekaTrace, AIPerfRecord, AIPerfProfileExport, AIPerfServerMetrics, AgenticResult}
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

const todaySingle = `{"image": "img:1", "model": "org/m", "model-prefix": "dsr1", "precision": "fp8",
 "framework": "sglang", "runner": "cluster:h200-nv", "isl": 8192, "osl": 1024, "tp": 8, "pp": 1, "dcp-size": 1, "pcp-size": 1,
 "conc": 4, "max-model-len": 9472, "ep": 1, "dp-attn": false, "spec-decoding": "none", "exp-name": "dsr1_8k1k",
 "disagg": false, "run-eval": true, "eval-only": true, "router": {"name": "sglang-router", "version": "0.3.2"},
 "recipe-fingerprint": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`

const todayMulti = `{"image": "img:1", "model": "org/m", "model-prefix": "dsr1", "precision": "fp4",
 "framework": "dynamo-trt", "runner": "gb200", "isl": 8192, "osl": 1024, "spec-decoding": "mtp",
 "prefill": {"hardware": "b200", "num-worker": 1, "tp": 4, "pp": 1, "dcp-size": 1, "pcp-size": 2, "ep": 4, "dp-attn": true, "additional-settings": ["A=1"]},
 "decode": {"hardware": "h100", "num-worker": 2, "tp": 8, "pp": 1, "dcp-size": 2, "pcp-size": 1, "ep": 8, "dp-attn": true, "additional-settings": []},
 "conc": [16, 32], "max-model-len": 9472, "exp-name": "dsr1_8k1k", "disagg": true, "run-eval": true, "eval-conc": 32,
 "kv-p2p-transfer": "nixl"}`

const agenticSingle = `{"image": "img:1", "model": "org/m", "model-prefix": "dsv4", "precision": "fp4", "framework": "vllm",
 "runner": "cluster:b200-dgxc", "tp": 8, "pp": 1, "dcp-size": 1, "pcp-size": 1, "ep": 1, "dp-attn": false, "spec-decoding": "mtp",
 "conc": 4, "kv-offloading": "dram", "total-cpu-dram-gb": 3080, "duration": 3600, "exp-name": "dsv4_tp8_conc4_kvdram-vllm-simple_spec-mtp",
 "scenario-type": "agentic-coding", "kv-offload-backend": {"name": "vllm-simple"}, "run-eval": false}`

const agenticMulti = `{"image": "img:1", "model": "org/m", "model-prefix": "dsr1", "precision": "fp4", "framework": "dynamo-vllm",
 "runner": "cluster:gb200-nv", "spec-decoding": "none",
 "prefill": {"num-worker": 1, "tp": 4, "pp": 1, "dcp-size": 1, "pcp-size": 1, "ep": 4, "dp-attn": true, "additional-settings": []},
 "decode": {"num-worker": 1, "tp": 8, "pp": 1, "dcp-size": 1, "pcp-size": 1, "ep": 8, "dp-attn": true, "additional-settings": []},
 "conc": [64], "kv-offloading": "none", "total-cpu-dram-gb": 0, "duration": 3600, "exp-name": "dsr1_p1x4ep4dpa_d1x8ep8dpa_conc64",
 "disagg": true, "scenario-type": "agentic-coding", "kv-p2p-transfer": "nixl"}`

const rawResult = `{"date": "20260205-101500", "backend": "vllm", "model_id": "openai/gpt-oss-120b",
 "tokenizer_id": "openai/gpt-oss-120b", "best_of": 1, "num_prompts": 40, "request_rate": "inf", "burstiness": 1.0,
 "max_concurrency": 4, "duration": 12.5, "completed": 40, "total_input_tokens": 40960, "total_output_tokens": 40960,
 "request_throughput": 3.2, "request_goodput:": null, "output_throughput": 3276.8, "total_token_throughput": 6553.6,
 "mean_ttft_ms": 80.5, "median_ttft_ms": 70.1, "std_ttft_ms": 9.0, "p99_ttft_ms": 120.0, "p99.9_itl_ms": 30.5,
 "mean_e2el_ms": 1200.0, "exp_name": "gptoss_1k1k"}`

const processedSingle = `{"hw": "h200", "conc": 4, "image": "img:1", "model": "openai/gpt-oss-120b",
 "infmax_model_prefix": "gptoss", "framework": "vllm", "precision": "fp4", "spec_decoding": "none", "disagg": false,
 "isl": 1024, "osl": 1024, "is_multinode": false, "tp": 8, "ep": 1, "dp_attention": "false", "tput_per_gpu": 819.2,
 "output_tput_per_gpu": 409.6, "input_tput_per_gpu": 409.6, "median_ttft": 0.0701, "median_tpot": 0.01,
 "median_intvty": 100.0, "median_e2el": 1.2, "p99_itl": 0.03, "std_intvty": null}`

const processedMulti = `{"hw": "gb200", "conc": 64, "image": "img:1", "model": "deepseek-ai/DeepSeek-R1",
 "infmax_model_prefix": "dsr1", "framework": "dynamo-trt", "precision": "fp4", "spec_decoding": "mtp", "disagg": true,
 "isl": 1024, "osl": 1024, "is_multinode": true, "prefill_tp": 4, "prefill_ep": 4, "prefill_dp_attention": "true",
 "prefill_num_workers": 5, "decode_tp": 8, "decode_ep": 8, "decode_dp_attention": "true", "decode_num_workers": 1,
 "num_prefill_gpu": 20, "num_decode_gpu": 8, "tput_per_gpu": 1000.0, "output_tput_per_gpu": 2000.0,
 "input_tput_per_gpu": 600.0, "median_ttft": 0.5, "median_tpot": 0.02, "median_intvty": 50.0, "median_e2el": 20.0}`

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
			[]string{`/foo: unknown key (expected one of: conc, dcp-size, disagg,`}},
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
		{"feb runners ok", RunnersFeb2026, `{"h200": ["h200-nv_0", "h200-cw_1"]}`, nil},
		{"feb runners empty list", RunnersFeb2026, `{"h200": []}`, []string{`/h200: must not be empty`}},
		{"feb runners duplicate node", RunnersFeb2026, `{"h200": ["a_0", "a_0"]}`, []string{`/h200: must not list the same value twice (index 0 and 1 are equal)`}},
		{"feb runners not a list", RunnersFeb2026, `{"h200": "h200_0"}`, []string{`/h200: expected array, got string "h200_0"`}},
		{"runners ok", Runners, `{"labels": {"h200": ["h200-nv_0"], "cluster:h200-nv": ["h200-nv_0"]},
			"hardware": {"cluster:h200-nv": {"available-cpu-dram-mib": 2000000, "gpus-per-node": 8}}}`, nil},
		{"runners without labels", Runners, `{"hardware": {}}`, []string{`/labels: required key is missing`}},
		{"runners unknown section", Runners, `{"labels": {}, "nodes": {}}`, []string{`/nodes: unknown key (expected one of: hardware, labels)`}},
		{"runners empty label", Runners, `{"labels": {"h200": []}}`, []string{`/labels/h200: must not be empty`}},
		{"runners bad label", Runners, `{"labels": {"h200 nv": ["a_0"]}}`, []string{`/labels/h200 nv: a runner label must be`}},
		{"runners hardware unknown field", Runners, `{"labels": {}, "hardware": {"cluster:x": {"available-cpu-dram-mib": 1, "gpus-per-node": 8, "cpus": 4}}}`,
			[]string{`/hardware/cluster:x/cpus: unknown key (expected one of: available-cpu-dram-mib, gpus-per-node)`}},
		{"runners hardware zero gpus", Runners, `{"labels": {}, "hardware": {"cluster:x": {"available-cpu-dram-mib": 1, "gpus-per-node": 0}}}`,
			[]string{`/hardware/cluster:x/gpus-per-node: must be >= 1, got 0`}},
		{"runners hardware dram as text", Runners, `{"labels": {}, "hardware": {"cluster:x": {"available-cpu-dram-mib": "2TB", "gpus-per-node": 8}}}`,
			[]string{`/hardware/cluster:x/available-cpu-dram-mib: expected integer, got string "2TB"`}},
		{"runners hardware not a mapping", Runners, `{"labels": {}, "hardware": {"cluster:x": [8]}}`,
			[]string{`/hardware/cluster:x: expected object, got array`}},
		{"runners hardware missing dram", Runners, `{"labels": {}, "hardware": {"cluster:x": {"gpus-per-node": 8}}}`,
			[]string{`/hardware/cluster:x/available-cpu-dram-mib: required key is missing`}},
		{"single entry today ok", MatrixEntrySingleNode, todaySingle, nil},
		{"single entry pp alone", MatrixEntrySingleNode, edit(t, singleNodeEntry, func(m map[string]any) { m["pp"] = 2 }),
			[]string{`/dcp-size: required when pp is given`, `/pcp-size: required when pp is given`}},
		{"single entry router image version", MatrixEntrySingleNode, edit(t, todaySingle, func(m map[string]any) {
			m["router"] = map[string]any{"name": "r", "version": "image:x"}
		}), []string{`/router/version: `}},
		{"single entry bad fingerprint", MatrixEntrySingleNode, edit(t, todaySingle, func(m map[string]any) { m["recipe-fingerprint"] = "ABC" }),
			[]string{`/recipe-fingerprint: does not match pattern`}},
		{"single entry disagg", MatrixEntrySingleNode, edit(t, singleNodeEntry, func(m map[string]any) { m["disagg"] = true }),
			[]string{`/disagg: must be false, got boolean true`}},
		{"multi entry today ok", MatrixEntryMultiNode, todayMulti, nil},
		{"multi entry worker pp alone", MatrixEntryMultiNode, edit(t, multiNodeEntry, func(m map[string]any) { m["prefill"].(map[string]any)["pp"] = 1 }),
			[]string{`/prefill/dcp-size: required when pp is given`}},
		{"agentic single ok", MatrixEntryAgenticSingleNode, agenticSingle, nil},
		{"agentic single bad offload", MatrixEntryAgenticSingleNode, edit(t, agenticSingle, func(m map[string]any) { m["kv-offloading"] = "disk" }),
			[]string{`/kv-offloading: must be one of "none", "dram", got string "disk"`}},
		{"agentic single negative dram", MatrixEntryAgenticSingleNode, edit(t, agenticSingle, func(m map[string]any) { m["total-cpu-dram-gb"] = -1 }),
			[]string{`/total-cpu-dram-gb: must be >= 0, got -1`}},
		{"agentic single needs duration", MatrixEntryAgenticSingleNode, edit(t, agenticSingle, func(m map[string]any) { delete(m, "duration") }),
			[]string{`/duration: required key is missing`}},
		{"agentic multi ok", MatrixEntryAgenticMultiNode, agenticMulti, nil},
		{"matrix routes agentic", Matrix, "[" + agenticSingle + "," + agenticMulti + "," + todaySingle + "," + todayMulti + "]", nil},
		{"matrix routes agentic by scenario-type", Matrix, "[" + edit(t, agenticSingle, func(m map[string]any) { delete(m, "kv-offloading") }) + "]",
			[]string{`/0/kv-offloading: required key is missing`}},
		{"raw result ok", RawResult, rawResult, nil},
		{"raw result rate inf only", RawResult, edit(t, rawResult, func(m map[string]any) { m["request_rate"] = "fast" }),
			[]string{`/request_rate: must be "inf" or a positive number`}},
		{"raw result bad metric", RawResult, edit(t, rawResult, func(m map[string]any) { m["p99_ttft_ms"] = "slow" }),
			[]string{`/p99_ttft_ms: expected number, got string "slow"`}},
		{"raw result loadgen extras", RawResult, edit(t, rawResult, func(m map[string]any) {
			m["simulated"] = "yes"
			m["errors_by_kind"] = map[string]any{"bogus": map[string]any{"count": 1, "first_error": "x"}}
			m["queue_wait"] = map[string]any{"mean_ms": 1, "median_ms": -1, "p99_ms": 1, "max_ms": 1}
		}), []string{`/errors_by_kind/bogus: must be one of`, `/queue_wait/median_ms: must be >= 0`, `/simulated: expected boolean`}},
		{"processed single ok", ProcessedResult, processedSingle, nil},
		{"processed multi ok", ProcessedResult, processedMulti, nil},
		{"processed single disagg", ProcessedResult, edit(t, processedSingle, func(m map[string]any) { m["disagg"] = true }),
			[]string{`/disagg: a single-node result cannot be disaggregated`}},
		{"processed single without tp", ProcessedResult, edit(t, processedSingle, func(m map[string]any) { delete(m, "tp") }),
			[]string{`/tp: required key is missing`}},
		{"processed multi without gpus", ProcessedResult, edit(t, processedMulti, func(m map[string]any) { delete(m, "num_decode_gpu") }),
			[]string{`/num_decode_gpu: required key is missing`}},
		{"processed conc as string", ProcessedResult, edit(t, processedSingle, func(m map[string]any) { m["conc"] = "4" }),
			[]string{`/conc: expected integer, got string "4"`}},
		{"processed intvty as string", ProcessedResult, edit(t, processedSingle, func(m map[string]any) { m["p99_intvty"] = "fast" }),
			[]string{`/p99_intvty: expected a number of tokens per second per user`}},
		{"processed no median e2el", ProcessedResult, edit(t, processedSingle, func(m map[string]any) { delete(m, "median_e2el") }),
			[]string{`/median_e2el: required key is missing`}},
		{"processed today single ok", ProcessedResult, edit(t, processedSingle, func(m map[string]any) {
			m["recipe_fingerprint"] = strings.Repeat("0a", 32)
			m["pp"], m["dcp_size"], m["pcp_size"] = 2, 1, 2
			m["router"] = map[string]any{"name": "vllm-router", "version": "0.1.14"}
			m["kv_p2p_transfer"] = "nixl"
			m["num_prompts"], m["completed"], m["failed"], m["canceled"] = 10, 9, 1, 0
			m["errors_by_kind"] = map[string]any{"timeout": map[string]any{"count": 1, "first_error": "x"}}
		}), nil},
		{"processed today fingerprint needs sizes", ProcessedResult, edit(t, processedSingle, func(m map[string]any) {
			m["recipe_fingerprint"] = ""
		}), []string{`/pp: required when recipe_fingerprint is given`, `/pcp_size: required when recipe_fingerprint is given`}},
		{"processed bad fingerprint", ProcessedResult, edit(t, processedSingle, func(m map[string]any) {
			m["recipe_fingerprint"] = "ABC"
			m["pp"], m["dcp_size"], m["pcp_size"] = 1, 1, 1
		}), []string{`/recipe_fingerprint: expected the recipe fingerprint`}},
		{"processed router extra key", ProcessedResult, edit(t, processedSingle, func(m map[string]any) {
			m["router"] = map[string]any{"name": "r", "version": "1", "mode": "x"}
		}), []string{`/router/mode: unknown key`}},
		{"processed zero pp", ProcessedResult, edit(t, processedSingle, func(m map[string]any) { m["pp"] = 0 }),
			[]string{`/pp: must be >= 1, got 0`}},
		{"processed failed without counts", ProcessedResult, edit(t, processedSingle, func(m map[string]any) { m["failed"] = 1 }),
			[]string{`/num_prompts: required when failed is given`}},
		{"processed bad failure kind", ProcessedResult, edit(t, processedSingle, func(m map[string]any) {
			m["num_prompts"], m["completed"], m["failed"] = 1, 0, 1
			m["errors_by_kind"] = map[string]any{"oops": map[string]any{"count": 1, "first_error": "x"}}
		}), []string{`/errors_by_kind/oops: must be one of`}},
		{"processed aggregated multi ok", ProcessedResult, edit(t, processedMulti, func(m map[string]any) {
			m["num_decode_gpu"], m["decode_tp"], m["decode_ep"], m["decode_num_workers"] = 0, 0, 0, 0
		}), nil},
		{"processed aggregated multi with decode tp", ProcessedResult, edit(t, processedMulti, func(m map[string]any) {
			m["num_decode_gpu"], m["decode_num_workers"] = 0, 0
		}), []string{`/decode_tp: an aggregated result (no decode GPUs) has decode_tp 0`}},
		{"processed decode workers with decode GPUs", ProcessedResult, edit(t, processedMulti, func(m map[string]any) { m["decode_num_workers"] = 0 }),
			[]string{`/decode_num_workers: must be >= 1, got 0`}},
		{"processed half role hardware", ProcessedResult, edit(t, processedMulti, func(m map[string]any) { m["prefill_hw"] = "gb200" }),
			[]string{`/decode_hw: required when prefill_hw is given`}},
		{"raw result wall clock", RawResult, edit(t, rawResult, func(m map[string]any) {
			m["benchmark_start_time_unix"], m["benchmark_end_time_unix"] = 1785881100.5, "later"
		}), []string{`/benchmark_end_time_unix: expected number, got string "later"`}},
		{"processed list ok", ProcessedResults, "[" + processedSingle + "," + processedMulti + "]", nil},
		{"processed list bad item", ProcessedResults, "[" + processedSingle + ", {}]", []string{`/1/hw: required key is missing`}},
		{"eval rows ok", EvalResults, `[{"model": "m", "hw": "H200", "framework": "vllm", "precision": "fp8", "spec_decoding": "none",
 "tp": 8, "ep": 1, "conc": 32, "dp_attention": "false", "task": "gsm8k", "em_strict": 0.95, "em_strict_se": 0.006,
 "em_flexible": 0.96, "em_flexible_se": "N/A", "n_eff": 1319, "source": "x/results.json", "score": 0.95,
 "score_name": "em_strict", "score_se": 0.006}]`, nil},
		{"eval rows bad score name", EvalResults, `[{"model": "m", "hw": "H200", "framework": "vllm", "precision": "fp8", "spec_decoding": "none",
 "tp": 8, "ep": 1, "conc": 32, "dp_attention": "false", "task": "gsm8k", "em_strict": null, "em_strict_se": null,
 "em_flexible": null, "em_flexible_se": null, "n_eff": null, "source": "x", "score": null, "score_name": "f1", "score_se": null}]`,
			[]string{`/0/score_name: must be one of`}},
		{"run stats ok", RunStats, `{"h200": {"n_success": 3, "total": 4}, "b200": {"n_success": 0, "total": 0}}`, nil},
		{"run stats negative", RunStats, `{"h200": {"n_success": -1, "total": 4}}`, []string{`/h200/n_success: must be >= 0`}},
		{"changelog ok", Changelog, `[{"config-keys": ["dsr1-*"], "description": ["x"], "pr-link": "https://x/1"}, {"config-keys": ["a"], "description": ["y"], "pr-link": "p", "evals-only": true}]`, nil},
		{"changelog unknown field", Changelog, `[{"config-keys": ["a"], "description": ["x"], "pr-link": "p", "author": "me"}]`,
			[]string{"/0/author: unknown key (expected one of: all-evals, append-only, config-keys, description, eval-min-prefill-ep, evals-only, pr-link, scenario-type)"}},
		{"changelog v2 fields ok", Changelog, `[{"config-keys": ["a"], "description": ["x"], "pr-link": "p", "all-evals": true, "eval-min-prefill-ep": 8,
			"scenario-type": ["agentic-coding"]}, {"config-keys": ["a"], "description": ["x"], "pr-link": "p", "append-only": true, "evals-only": false}]`, nil},
		{"changelog append-only with evals", Changelog, `[{"config-keys": ["a"], "description": ["x"], "pr-link": "p", "append-only": true, "evals-only": true,
			"eval-min-prefill-ep": 2}]`, []string{"/0/eval-min-prefill-ep: append-only cannot be combined", "/0/evals-only: append-only cannot be combined"}},
		{"changelog bad scenario", Changelog, `[{"config-keys": ["a"], "description": ["x"], "pr-link": "p", "scenario-type": ["long-context"]}]`,
			[]string{`/0/scenario-type/0: must be one of "fixed-seq-len", "agentic-coding"`}},
		{"changelog zero prefill ep", Changelog, `[{"config-keys": ["a"], "description": ["x"], "pr-link": "p", "eval-min-prefill-ep": 0}]`,
			[]string{`/0/eval-min-prefill-ep: must be >= 1, got 0`}},
		{"changelog empty keys", Changelog, `[{"config-keys": [], "description": ["x"], "pr-link": "p"}]`, []string{"/0/config-keys: must not be empty"}},
		{"changelog description string", Changelog, `[{"config-keys": ["a"], "description": "x", "pr-link": "p"}]`, []string{`/0/description: expected array, got string "x"`}},
		{"changelog bad key", Changelog, `[{"config-keys": ["a b"], "description": ["x"], "pr-link": "p"}]`, []string{"/0/config-keys/0: must be a config key or a pattern"}},
		{"changelog matrix ok", ChangelogMatrix, `{"single_node": {"1k8k": [` + singleNodeEntry + `]}, "multi_node": {"2048_128": [` + multiNodeEntry + `]},
			"changelog_metadata": {"base_ref": "a", "head_ref": "b", "entries": [{"config-keys": ["a"], "description": ["x"], "pr-link": "p", "evals-only": false}]}}`, nil},
		{"changelog matrix bad bucket", ChangelogMatrix, `{"single_node": {"2k": [` + singleNodeEntry + `]}, "multi_node": {},
			"changelog_metadata": {"base_ref": "a", "head_ref": "b", "entries": [{"config-keys": ["a"], "description": ["x"], "pr-link": "p"}]}}`,
			[]string{"/changelog_metadata/entries/0/evals-only: required key is missing", "/single_node/2k: does not match pattern"}},
		{"changelog matrix v2 ok", ChangelogMatrix, `{"single_node": {"8k1k": [` + todaySingle + `], "agentic": [` + agenticSingle + `]},
			"multi_node": {"agentic": [` + agenticMulti + `]}, "evals": [` + todaySingle + `], "agentic_evals": [], "multinode_evals": [` + todayMulti + `],
			"multinode_agentic_evals": [], "changelog_metadata": {"base_ref": "a", "head_ref": "b", "entries": [{"config-keys": ["a"],
			"description": ["x"], "pr-link": "p", "evals-only": false, "all-evals": false, "append-only": false}]}}`, nil},
		{"changelog matrix fixed row in agentic evals", ChangelogMatrix, `{"single_node": {}, "multi_node": {}, "agentic_evals": [` + todaySingle + `],
			"changelog_metadata": {"base_ref": "a", "head_ref": "b", "entries": [{"config-keys": ["a"], "description": ["x"], "pr-link": "p", "evals-only": false}]}}`,
			[]string{"/agentic_evals/0/kv-offloading: required key is missing"}},
		{"master wildcard key", MasterConfig, `{"dsr1-*": {}}`, []string{`/dsr1-*: the wildcard '*' is not allowed`}},
		{"feb master wildcard key", MasterConfigFeb2026, `{"dsr1-*": {}}`, []string{`/dsr1-*: the wildcard '*' is not allowed`}},
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
			wantViolations(t, err, c.want)
		})
	}
}

// wantViolations checks that err is a validation *Error and that each of
// want begins one of its "pointer: message" lines.
func wantViolations(t *testing.T, err error, want []string) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("want *Error, got %v", err)
	}
	var got []string
	for _, vi := range se.Violations {
		got = append(got, vi.Pointer+": "+vi.Message)
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("missing violation %q in:\n%s", w, strings.Join(got, "\n"))
		}
	}
}

// TestMasterConfigConcRules holds both master config formats to the same
// rules for a search-space point's concurrencies and the entry's names.
func TestMasterConfigConcRules(t *testing.T) {
	v := mustValidator(t)
	for _, format := range []struct {
		kind Kind
		open string // the JSON up to the search-space list
		ptr  string // its pointer
	}{
		{MasterConfigFeb2026, `"seq-len-configs": [{"isl": 1024, "osl": 1024, "search-space": [`, "/k/seq-len-configs/0/search-space/0"},
		{MasterConfig, `"scenarios": {"fixed-seq-len": [{"isl": 1024, "osl": 1024, "search-space": [`, "/k/scenarios/fixed-seq-len/0/search-space/0"},
	} {
		closing := "]}]}}"
		if format.kind == MasterConfig {
			closing = "]}]}}}"
		}
		entry := func(space string, extra string) string {
			return `{"k": {"image": "i", "model": "m", "model-prefix": "p", "precision": "fp8", "framework": "vllm"` + extra + `,
			"runner": "h200", "multinode": false, ` + format.open + space + closing
		}
		p := format.ptr
		cases := []struct {
			name, doc, want string
		}{
			{"range ok", entry(`{"tp": 8, "conc-start": 4, "conc-end": 64}`, ""), ""},
			{"list ok", entry(`{"tp": 8, "conc-list": [1, 3]}`, ""), ""},
			{"both", entry(`{"tp": 8, "conc-list": [1], "conc-start": 1, "conc-end": 2}`, ""), p + "/conc-start: conc-list cannot be combined"},
			{"neither", entry(`{"tp": 8}`, ""), p + ": needs the concurrencies"},
			{"start only", entry(`{"tp": 8, "conc-start": 4}`, ""), p + "/conc-end: required when conc-start is given"},
			{"zero start", entry(`{"tp": 8, "conc-start": 0, "conc-end": 4}`, ""), p + "/conc-start: must be >= 1, got 0"},
			{"negative list", entry(`{"tp": 8, "conc-list": [4, -1]}`, ""), p + "/conc-list/1: must be >= 1, got -1"},
			{"empty list", entry(`{"tp": 8, "conc-list": [], "conc-start": 1, "conc-end": 2}`, ""), p + "/conc-list: must not be empty"},
			{"disagg single node", entry(`{"tp": 8, "conc-list": [4]}`, `, "disagg": true`), "/k/disagg: disagg: true needs multinode: true"},
			{"plain names", entry(`{"tp": 8, "conc-list": [4]}`, `, "precision": "fp 8"`), "/k/precision: must be a plain name"},
			{"multinode shape on single node", entry(`{"conc-list": [4], "prefill": {}}`, ""), p + "/prefill: unknown key"},
		}
		for _, c := range cases {
			t.Run(string(format.kind)+"/"+c.name, func(t *testing.T) {
				err := v.ValidateJSON(format.kind, []byte(c.doc))
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
}

// TestMasterConfigToday covers the fields of today's format that the
// schema checks on its own (cross-field rules are pkg/config's).
func TestMasterConfigToday(t *testing.T) {
	v := mustValidator(t)
	doc := func(entry string) string {
		return `{"k": {"image": "i", "model": "m", "model-prefix": "p", "precision": "fp8", "framework": "vllm", ` + entry + `}}`
	}
	single := func(point string) string {
		return doc(`"runner": "cluster:h200-nv", "multinode": false, "scenarios": {"fixed-seq-len": [{"isl": 1, "osl": 1, "search-space": [` + point + `]}]}`)
	}
	agentic := func(top, point string) string {
		return doc(`"runner": "cluster:h200-nv", "multinode": false, "scenarios": {"agentic-coding": [{` + top + `"search-space": [` + point + `]}]}`)
	}
	multi := func(top, point string) string {
		return doc(`"runner": "gb200", "multinode": true` + top + `, "scenarios": {"fixed-seq-len": [{"isl": 1, "osl": 1, "search-space": [` + point + `]}]}`)
	}
	const w = `{"num-worker": 1, "tp": 4, "ep": 1, "dp-attn": false}`
	cases := []struct {
		name, doc, want string
	}{
		{"single ok", single(`{"tp": 8, "pp": 2, "dcp-size": 4, "pcp-size": 1, "router": {"name": "r", "version": "1.0"}, "conc-list": [4]}`), ""},
		{"no scenario", doc(`"runner": "h200", "multinode": false, "scenarios": {}`), "/k/scenarios: needs at least one scenario"},
		{"empty scenario", doc(`"runner": "h200", "multinode": false, "scenarios": {"fixed-seq-len": []}`), "/k/scenarios/fixed-seq-len: must not be empty"},
		{"unknown scenario", doc(`"runner": "h200", "multinode": false, "scenarios": {"long-context": []}`), "/k/scenarios/long-context: unknown key"},
		{"old key", doc(`"runner": "h200", "multinode": false, "seq-len-configs": []`), "/k/seq-len-configs: unknown key"},
		{"pp zero", single(`{"tp": 8, "pp": 0, "conc-list": [4]}`), ".../pp: must be >= 1, got 0"},
		{"dcp-size string", single(`{"tp": 8, "dcp-size": "2", "conc-list": [4]}`), `/dcp-size: expected integer, got string "2"`},
		{"router without version", single(`{"tp": 8, "router": {"name": "r"}, "conc-list": [4]}`), "/router/version: required key is missing"},
		{"router extra key", single(`{"tp": 8, "router": {"name": "r", "version": "1", "url": "x"}, "conc-list": [4]}`), "/router/url: unknown key"},
		{"router image version", single(`{"tp": 8, "router": {"name": "r", "version": "image:x"}, "conc-list": [4]}`), "/router/version: must be the component's own release"},
		{"p2p on single node", single(`{"tp": 8, "kv-p2p-transfer": "nixl", "conc-list": [4]}`), "/kv-p2p-transfer: kv-p2p-transfer is only valid in a multinode: true config"},
		{"multi ok", multi(`, "kv-p2p-transfer": "nixl", "router": {"name": "r", "version": "1"}`, `{"conc-list": [4], "prefill": `+w+`, "decode": `+w+`}`), ""},
		{"worker hardware ok", multi("", `{"conc-list": [4], "prefill": {"hardware": "b200", "num-worker": 1, "tp": 4, "pp": 1, "pcp-size": 2, "ep": 1, "dp-attn": false}, "decode": `+w+`}`), ""},
		{"worker unknown key", multi("", `{"conc-list": [4], "prefill": {"num-worker": 1, "tp": 4, "ep": 1, "dp-attn": false, "gpus": 4}, "decode": `+w+`}`), "/prefill/gpus: unknown key"},
		{"empty p2p", multi(`, "kv-p2p-transfer": ""`, `{"conc-list": [4], "prefill": `+w+`, "decode": `+w+`}`), "/k/kv-p2p-transfer: must not be empty"},
		{"agentic ok", agentic(`"dram-utilization": 0.8, `, `{"tp": 8, "kv-offloading": "dram", "kv-offload-backend": {"name": "hicache"}, "conc-list": [1, 2]}`), ""},
		{"agentic utilization zero", agentic(`"dram-utilization": 0, `, `{"tp": 8, "kv-offloading": "none", "conc-list": [1]}`), "/dram-utilization: must be in (0, 1]"},
		{"agentic utilization above one", agentic(`"dram-utilization": 1.5, `, `{"tp": 8, "kv-offloading": "none", "conc-list": [1]}`), "/dram-utilization: must be in (0, 1]"},
		{"agentic utilization string", agentic(`"dram-utilization": "0.8", `, `{"tp": 8, "kv-offloading": "none", "conc-list": [1]}`), `/dram-utilization: expected number, got string "0.8"`},
		{"agentic duration is not a field", agentic(`"duration": 1800, `, `{"tp": 8, "kv-offloading": "none", "conc-list": [1]}`), "/duration: unknown key"},
		{"agentic offloading missing", agentic("", `{"tp": 8, "conc-list": [1]}`), "/kv-offloading: required key is missing"},
		{"agentic offloading bad", agentic("", `{"tp": 8, "kv-offloading": "disk", "conc-list": [1]}`), `/kv-offloading: must be one of "none", "dram"`},
		{"agentic backend extra", agentic("", `{"tp": 8, "kv-offloading": "dram", "kv-offload-backend": {"name": "x", "tier": 2}, "conc-list": [1]}`), "/kv-offload-backend/tier: unknown key"},
		{"agentic workers on single node", agentic("", `{"tp": 8, "kv-offloading": "none", "prefill": {}, "conc-list": [1]}`), "/prefill: unknown key"},
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
			want := strings.TrimPrefix(c.want, "...")
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("want %q in error, got %v", want, err)
			}
		})
	}
}

func TestValidateItems(t *testing.T) {
	v := mustValidator(t)
	single, err := DecodeJSON([]byte(singleNodeEntry))
	if err != nil {
		t.Fatal(err)
	}
	multi, err := DecodeJSON([]byte(multiNodeEntry))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := DecodeJSON([]byte(edit(t, singleNodeEntry, func(m map[string]any) { m["tp"] = 0 })))
	if err != nil {
		t.Fatal(err)
	}
	items := make([]any, 300)
	for i := range items {
		items[i] = single
		if i%3 == 0 {
			items[i] = multi
		}
	}
	kindOf := func(i int) Kind {
		if i%3 == 0 {
			return MatrixEntryMultiNode
		}
		return MatrixEntrySingleNode
	}
	if err := v.ValidateItems(items, kindOf, 4); err != nil {
		t.Fatal(err)
	}
	if err := v.ValidateItems(nil, func(i int) Kind { return []Kind{}[i] }, 4); err != nil {
		t.Fatal(err)
	}
	items[250], items[7] = bad, bad
	err = v.ValidateItems(items, kindOf, 3)
	var se *Error
	if !errors.As(err, &se) || len(se.Violations) != 2 || se.Violations[0].Pointer != "/7/tp" || se.Violations[1].Pointer != "/250/tp" {
		t.Fatalf("got %v", err)
	}
	// Same verdicts as validating the list as a Matrix.
	whole := v.Validate(Matrix, items)
	if !errors.As(whole, &se) || len(se.Violations) != 2 || se.Violations[0].Pointer != "/7/tp" {
		t.Fatalf("Matrix validation: %v", whole)
	}
}

func TestValidatePropertiesMatchesValidate(t *testing.T) {
	v := mustValidator(t)
	docs := []string{
		`{}`,
		`{"a*": {}, "b": {"image": 1}, "c": {"image": "i", "model": "m", "model-prefix": "p", "precision": "fp8", "framework": "f", "runner": "r", "multinode": false, "seq-len-configs": []}}`,
		`{"c": {"image": "i", "model": "m", "model-prefix": "p", "precision": "fp8", "framework": "f", "runner": "r", "multinode": false, "scenarios": {"fixed-seq-len": []}}, "d": {}}`,
	}
	for _, d := range docs {
		doc, err := DecodeJSON([]byte(d))
		if err != nil {
			t.Fatal(err)
		}
		whole := v.Validate(MasterConfig, doc)
		for _, workers := range []int{1, 2, 5} {
			split := v.ValidateProperties(MasterConfig, doc.(map[string]any), workers)
			if (whole == nil) != (split == nil) || (whole != nil && whole.Error() != split.Error()) {
				t.Errorf("%s with %d workers:\n%v\nvs\n%v", d, workers, split, whole)
			}
		}
	}
}

func TestValidateRejectsNonJSONValues(t *testing.T) {
	v := mustValidator(t)
	if err := v.Validate(RunnersFeb2026, map[string]any{"a": []string{"x"}}); err == nil {
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
