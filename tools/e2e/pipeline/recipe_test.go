package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestResultFilenameCarriesRecipe runs one job of a changelog matrix (an
// entry with a recipe fingerprint and pipeline parallelism) through the
// benchmark template: its result file is named with
// _pp<pp>-dcp<dcp>-pcp<pcp> and _recipe-<first 16 hex digits>, so two jobs
// that differ only there do not overwrite each other's results.
func TestResultFilenameCarriesRecipe(t *testing.T) {
	root := repoRoot(t)
	for _, tool := range []string{"matrixgen", "loadgen", "resultproc"} {
		if _, err := os.Stat(filepath.Join(root, "bin", tool)); err != nil {
			t.Fatalf("bin/%s is missing: run make build first", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME")}
	entries, err := matrix(ctx, root, []string{"test-config", "--no-evals", "--config-keys", "toy-fp8-sim-sim", "--conc", "2",
		"--config-files", filepath.Join("tools", "e2e", "pipeline", "testdata", "master.yaml"),
		"--runner-config", filepath.Join("tools", "e2e", "pipeline", "testdata", "runners.yaml")}, env)
	if err != nil {
		t.Fatal(err)
	}
	entry := entries[0]
	const fingerprint = "0123456789abcdef" + "fedcba9876543210" + "0123456789abcdef" + "fedcba9876543210"
	entry["recipe-fingerprint"] = fingerprint
	entry["pp"] = 1
	entry["dcp-size"] = 1
	entry["pcp-size"] = 2 // only the name sees it: the simulated stack ignores it

	tmpl, err := LoadTemplate(filepath.Join(root, ".github", "workflows", "benchmark-tmpl.yml"), "benchmark")
	if err != nil {
		t.Fatal(err)
	}
	with, err := CallerWith(filepath.Join(root, ".github", "workflows", "e2e-tests.yml"), callerThroughput)
	if err != nil {
		t.Fatal(err)
	}
	tokenizer := filepath.Join(root, "tools", "loadgen", "bench", "testdata", "tinytok")
	o := Options{JobTimeout: 2 * time.Minute,
		Env: []string{"TOKENIZER=" + tokenizer, "SIM_DECODE_STEP_MS=1", "SIM_PREFILL_MS_PER_TOKEN=0.001"}}
	out := t.TempDir()
	job, err := runJob(ctx, o, root, out, 0, tmpl, with, entry)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(job.ResultFilename, "_recipe-0123456789abcdef") || !strings.Contains(job.ResultFilename, "-pp1-dcp1-pcp2-") {
		t.Fatalf("result file %q: want the -pp1-dcp1-pcp2- topology and the _recipe-0123456789abcdef suffix", job.ResultFilename)
	}
	if _, err := os.Stat(filepath.Join(job.Dir, job.ResultFilename+".json")); err != nil {
		t.Errorf("the job wrote no result under its name: %v", err)
	}
}
