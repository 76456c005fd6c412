package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/schemas"
)

// TestAgenticJobsOnSimulatedServer runs two agentic-coding jobs through the
// template (benchmarks/agentic/toy_fp8_sim_sim.sh: loadgen replay on
// synthesized traces against the simulated server with a prefix cache, then
// resultproc agentic), collect and summarize: both results exist, pass the
// validity check, carry the server's cache metrics, and the run with a DRAM
// offload tier finds more of its prefixes cached than the one without.
func TestAgenticJobsOnSimulatedServer(t *testing.T) {
	root := repoRoot(t)
	for _, tool := range []string{"matrixgen", "loadgen", "resultproc", "collect", "summarize"} {
		if _, err := os.Stat(filepath.Join(root, "bin", tool)); err != nil {
			t.Fatalf("bin/%s is missing: run make build first", tool)
		}
	}
	tokenizer := filepath.Join(root, "tools", "loadgen", "bench", "testdata", "tinytok")
	out := filepath.Join(t.TempDir(), "out")
	var log strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{
		Root: root,
		Out:  out,
		MatrixArgs: []string{"full-sweep", "--single-node",
			"--config-files", filepath.Join("tools", "e2e", "pipeline", "testdata", "agentic-master.yaml"),
			"--runner-config", filepath.Join("tools", "e2e", "pipeline", "testdata", "agentic-runners.yaml")},
		Env: []string{"TOKENIZER=" + tokenizer, "SIM_AGENTIC_DURATION=4"},
		Log: &log,
	})
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, log.String())
	}
	t.Log("\n" + log.String())
	if len(res.Jobs) != 2 {
		t.Fatalf("%d jobs, want 2", len(res.Jobs))
	}
	hit := map[string]float64{}
	for _, job := range res.Jobs {
		name := job.ResultFilename
		path := filepath.Join(out, "results", "bmk_agentic_"+name, name+".json")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("job %s uploaded no agentic result: %v", name, err)
		}
		var r struct {
			Scenario     string `json:"scenario_type"`
			KVOffloading string `json:"kv_offloading"`
			Successful   int    `json:"num_requests_successful"`
			PoolTokens   *int64 `json:"kv_cache_pool_tokens"`
			Accounting   struct {
				Profiled     int `json:"records_profiled"`
				ErrorDropped int `json:"records_error_dropped"`
			} `json:"request_accounting"`
			Server struct {
				Present bool `json:"present"`
				Cache   struct {
					GPU     *float64 `json:"gpu_cache_hit_rate"`
					CPU     *float64 `json:"cpu_cache_hit_rate"`
					Overall *float64 `json:"overall_cache_hit_rate"`
				} `json:"cache"`
			} `json:"server_metrics"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if r.Scenario != "agentic-coding" || r.Successful == 0 {
			t.Errorf("%s: scenario %q with %d successful requests", name, r.Scenario, r.Successful)
		}
		// The validity check of the template passed (the job did not
		// fail); the error rate is in the result too.
		if r.Accounting.ErrorDropped*10 > r.Accounting.Profiled+r.Accounting.ErrorDropped {
			t.Errorf("%s: %d of %d requests failed", name, r.Accounting.ErrorDropped, r.Accounting.Profiled)
		}
		// The sim logs vLLM's "GPU KV cache size: N tokens" line, which the
		// vLLM adapter reads from server.log: the script's 8,192 tokens.
		if r.PoolTokens == nil || *r.PoolTokens != 8192 {
			t.Errorf("%s: kv_cache_pool_tokens %v, want 8192 (from the sim's server.log)", name, r.PoolTokens)
		}
		if !r.Server.Present || r.Server.Cache.GPU == nil {
			t.Fatalf("%s: no server cache metrics (present=%v)", name, r.Server.Present)
		}
		// Upstream's vLLM adapter: the share of prompt tokens found in
		// either tier when the server says by source, else GPU hits plus
		// the CPU tier's hits on what the GPU missed.
		total := *r.Server.Cache.GPU
		switch {
		case r.Server.Cache.Overall != nil && r.KVOffloading != "none":
			total = *r.Server.Cache.Overall
		case r.Server.Cache.CPU != nil:
			total += (1 - *r.Server.Cache.GPU) * *r.Server.Cache.CPU
		}
		hit[r.KVOffloading] = total
		for _, f := range []string{"aiperf_artifacts/profile_export.jsonl", "aiperf_artifacts/server_metrics_export.json", "benchmark_command.txt", "server.log"} {
			if _, err := os.Stat(filepath.Join(out, "artifacts", "agentic_"+name, "results", f)); err != nil {
				t.Errorf("%s: artifact %s not uploaded: %v", name, f, err)
			}
		}
	}
	t.Logf("prefix cache hit rate (both tiers): without offload %.4f, with DRAM offload %.4f", hit["none"], hit["dram"])
	if !(hit["dram"] > hit["none"]) {
		t.Errorf("the DRAM offload tier did not raise the hit rate: none %.4f, dram %.4f", hit["none"], hit["dram"])
	}
	// collect put both agentic results into the sweep's aggregate, as
	// upstream's collect_results.py does, each one an agentic-result.
	agg, err := os.ReadFile(res.Aggregate)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(agg, &rows); err != nil {
		t.Fatalf("%s: %v", res.Aggregate, err)
	}
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	agentic := 0
	for i, row := range rows {
		if row["scenario_type"] != "agentic-coding" {
			continue
		}
		agentic++
		if err := v.ValidateValue(schemas.AgenticResult, row); err != nil {
			t.Errorf("%s[%d]: %v", res.Aggregate, i, err)
		}
	}
	if agentic != 2 {
		t.Errorf("%s has %d agentic rows, want one per agentic job (2)", res.Aggregate, agentic)
	}
	if !strings.Contains(res.Summary, "## AgentX Results (agentic-coding)") {
		t.Errorf("summary has no AgentX table:\n%s", res.Summary)
	}
}

// TestUploadRecursiveGlob: upload-artifact's results/** takes every file
// below results/, at any depth, and its !excludes leave files out.
func TestUploadRecursiveGlob(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	for _, f := range []string{"results/benchmark.log", "results/aiperf_artifacts/profile_export.jsonl",
		"results/aiperf_artifacts/inputs.json", "other.txt"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step := Step{Uses: "actions/upload-artifact@x", With: map[string]string{"name": "agentic_job",
		"path": "results/**\n!results/aiperf_artifacts/inputs.json\n", "if-no-files-found": "error"}}
	var log strings.Builder
	if err := uploadArtifact(out, dir, step, Contexts{}, &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	_ = filepath.WalkDir(filepath.Join(out, "artifacts", "agentic_job"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Join(out, "artifacts", "agentic_job"), p)
			got = append(got, rel)
		}
		return err
	})
	want := []string{"results/aiperf_artifacts/profile_export.jsonl", "results/benchmark.log"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("uploaded %v, want %v", got, want)
	}
}
