package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildTool builds one of the workspace's tools into dir.
func buildTool(t *testing.T, dir, name, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

func caseEnv(t *testing.T, dir string, override map[string]string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			k, v, _ := strings.Cut(line, "=")
			env[k] = v
		}
	}
	for k, v := range override {
		env[k] = v
	}
	out := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// TestPipeline runs the built tools one after the other as the workflows
// do: resultproc in each benchmark job, then collect and summarize on the
// downloaded artifacts, with the aggregate as its own baseline.
func TestPipeline(t *testing.T) {
	bins := t.TempDir()
	resultproc := buildTool(t, bins, "resultproc", "../resultproc")
	collect := buildTool(t, bins, "collect", "../collect")
	summarize := buildTool(t, bins, "summarize", ".")

	work := t.TempDir()
	artifacts := filepath.Join(work, "results")
	jobs := map[string]map[string]string{
		"single-node":         nil,
		"single-node-tp4-dpa": nil,
		"multi-node":          nil,
		// The same configuration as single-node but for its framework: a
		// run in which no request completed.
		"failed-run": {"FRAMEWORK": "vllm"},
	}
	for name, override := range jobs {
		caseDir := filepath.Join("..", "resultproc", "testdata", "cases", name)
		jobDir := filepath.Join(work, "job-"+name)
		if err := os.MkdirAll(jobDir, 0o755); err != nil {
			t.Fatal(err)
		}
		raws, _ := filepath.Glob(filepath.Join(caseDir, "*.json"))
		for _, r := range raws {
			if filepath.Base(r) == "original.json" {
				continue
			}
			data, err := os.ReadFile(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(jobDir, filepath.Base(r)), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(resultproc)
		cmd.Dir, cmd.Env = jobDir, caseEnv(t, caseDir, override)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("resultproc %s: %v\n%s", name, err, out)
		}
		outs, _ := filepath.Glob(filepath.Join(jobDir, "agg_*.json"))
		if len(outs) != 1 {
			t.Fatalf("resultproc %s wrote %v", name, outs)
		}
		art := filepath.Join(artifacts, "bmk_"+name)
		if err := os.MkdirAll(art, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(outs[0], filepath.Join(art, filepath.Base(outs[0]))); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command(collect, "results", "results/", "bmk")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("collect: %v\n%s", err, out)
	}
	var agg []map[string]any
	data, _ := os.ReadFile(filepath.Join(work, "agg_bmk.json"))
	if err := json.Unmarshal(data, &agg); err != nil || len(agg) != len(jobs) {
		t.Fatalf("agg_bmk.json: %d results, %v", len(agg), err)
	}

	var stdout, stderr bytes.Buffer
	cmd = exec.Command(summarize, "results/", "--html", "report.html", "--baseline", "agg_bmk.json")
	cmd.Dir, cmd.Stdout, cmd.Stderr = work, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("summarize: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"## Single-Node Results", "## Multi-Node Results", "| dsr1    | deepseek-ai/DeepSeek-R1-0528 | GB200",
		"4 configuration(s) in both runs: **0 regressed**", "| MI355X     | VLLM        | FP4"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
	page, err := os.ReadFile(filepath.Join(work, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Not plotted, no interactivity (a median TPOT of 0): dsr1 h200 vllm fp8") {
		t.Errorf("the failed run is not listed as unplotted")
	}
}
