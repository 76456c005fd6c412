package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEvalsTodayLikeUpstream: today's eval artifacts (meta_env.json with
// is_multinode, batched concurrencies) give upstream main's
// collect_eval_results.py output byte for byte, in both table orders.
func TestEvalsTodayLikeUpstream(t *testing.T) {
	var up map[string]struct {
		Exit   int    `json:"exit"`
		Stdout string `json:"stdout"`
		Agg    string `json:"agg_eval_all.json"`
	}
	readOriginal(t, "upstream-evals-today.json", &up)
	for _, c := range []struct{ name, sortBy string }{{"default", ""}, {"hw", "hw"}} {
		t.Run(c.name, func(t *testing.T) {
			evalWorkdir(t, "evals-today")
			args := []string{"evals", "eval_results/", "all"}
			if c.sortBy != "" {
				args = append(args, c.sortBy)
			}
			code, stdout, stderr := invoke(t, nil, args...)
			if code != up[c.name].Exit {
				t.Fatalf("exit %d, upstream %d: %s", code, up[c.name].Exit, stderr)
			}
			if stdout != up[c.name].Stdout {
				t.Errorf("tables differ from upstream's:\n--- got ---\n%s\n--- upstream ---\n%s", stdout, up[c.name].Stdout)
			}
			got, err := os.ReadFile("agg_eval_all.json")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != up[c.name].Agg {
				t.Errorf("agg_eval_all.json differs from upstream's:\n--- got ---\n%s\n--- upstream ---\n%s", got, up[c.name].Agg)
			}
			// The job folder without results, which upstream skipped in
			// silence, is named.
			if !strings.Contains(stderr, "eval_results/eval_no_results: no lm-eval-harness results file") {
				t.Errorf("stderr does not name the folder without results:\n%s", stderr)
			}
		})
	}
}

type gateCase struct {
	Name       string            `json:"name"`
	Dir        string            `json:"dir"`
	Args       []string          `json:"args"`
	Env        map[string]string `json:"env"`
	Thresholds string            `json:"thresholds"`
}

// TestGateLikeUpstream runs the accuracy gate on one job's folder, as the
// benchmark template's "Verify eval scores" step does, and compares every
// check (and every manifest error) with what upstream's validate_scores.py
// printed for the same folder and arguments, and the exit status.
func TestGateLikeUpstream(t *testing.T) {
	var up map[string]struct {
		Exit   int    `json:"exit"`
		Stdout string `json:"stdout"`
		Stderr string `json:"stderr"`
	}
	readOriginal(t, "upstream-gate.json", &up)
	data, err := os.ReadFile(filepath.Join("testdata", "gate", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []gateCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != len(up) {
		t.Fatalf("%d cases, %d upstream results: rerun scripts/gen-evals-today-golden.py", len(cases), len(up))
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want, ok := up[c.Name]
			if !ok {
				t.Fatalf("no upstream result: rerun scripts/gen-evals-today-golden.py")
			}
			thresholds := filepath.Join(root, "configs", "eval-thresholds.yaml")
			if c.Thresholds != "" {
				thresholds, _ = filepath.Abs(filepath.Join("testdata", "gate", c.Thresholds))
			}
			work := t.TempDir()
			copyTree(t, filepath.Join("testdata", "evals-today", c.Dir), filepath.Join(work, "job"))
			t.Chdir(filepath.Join(work, "job"))
			args := append([]string{"evals", ".", "job", "--thresholds", thresholds, "--output-dir", work}, c.Args...)
			code, stdout, stderr := invoke(t, c.Env, args...)
			if code != want.Exit {
				t.Errorf("exit %d, upstream %d\nstdout:\n%s\nstderr:\n%s", code, want.Exit, stdout, stderr)
			}
			// Upstream prints a PASS or FAIL line per check and a FAIL line
			// per manifest error; the Go gate's table says the same.
			var upLines []string
			for _, l := range strings.Split(want.Stdout+want.Stderr, "\n") {
				if strings.HasPrefix(l, "PASS: ") || strings.HasPrefix(l, "FAIL: ") {
					if l == "PASS: batched eval produced every requested concurrency" {
						continue
					}
					upLines = append(upLines, l)
				}
			}
			var got []string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "PASS: ") || strings.HasPrefix(l, "FAIL: ") {
					got = append(got, l)
				}
			}
			// The reason a meta_env.json cannot be read is Python's
			// exception text upstream.
			for i, l := range upLines {
				if k := strings.Index(l, " is unavailable or invalid: "); k >= 0 {
					upLines[i] = l[:k] + " is unavailable or invalid"
				}
			}
			for i, l := range got {
				if k := strings.Index(l, " is unavailable or invalid: "); k >= 0 {
					got[i] = l[:k] + " is unavailable or invalid"
				}
			}
			if strings.Join(sortedCopy(got), "\n") != strings.Join(sortedCopy(upLines), "\n") {
				t.Errorf("checks differ from upstream's:\n--- got ---\n%s\n--- upstream ---\n%s", strings.Join(got, "\n"), strings.Join(upLines, "\n"))
			}
			if strings.Contains(want.Stdout, "PASS: batched eval produced every requested concurrency") !=
				strings.Contains(stdout, "batched eval produced every requested concurrency") {
				t.Errorf("batched eval completeness differs from upstream's:\n%s", stdout)
			}
			if !strings.Contains(stdout, "## Eval Gate") {
				t.Errorf("no gate table:\n%s", stdout)
			}
		})
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestEvalsGateCommandLine(t *testing.T) {
	work := t.TempDir()
	bad := filepath.Join(work, "bad.yaml")
	if err := os.WriteFile(bad, []byte("default:\n  gsm8k: 1.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good, _ := filepath.Abs(filepath.Join("..", "..", "configs", "eval-thresholds.yaml"))
	job, _ := filepath.Abs(filepath.Join("testdata", "evals-today", "eval_dsr1_8k1k_fp8_sglang_tp8_conc64_b200-nv_0"))
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"gate flag without thresholds", []string{"evals", job, "x", "--min-score", "0.5"}, 2, "--min-score needs --thresholds"},
		{"bad sort order", []string{"evals", job, "x", "model"}, 2, `SORT_BY: expected model_prefix or hw, got "model"`},
		{"bad thresholds", []string{"evals", job, "x", "--thresholds", bad}, 2, bad + ":2:10: default.gsm8k:"},
		{"missing thresholds", []string{"evals", job, "x", "--thresholds", bad + ".missing"}, 2, "file does not exist"},
		{"bad concurrencies", []string{"evals", job, "x", "--thresholds", good, "--expected-concs", "4 4"}, 2, "must be unique positive integers"},
		{"min score above one", []string{"evals", job, "x", "--thresholds", good, "--min-score", "85"}, 2, "--min-score: expected a fraction"},
		{"passes", []string{"evals", job, "x", "--thresholds", good}, 0, "1 eval job(s) passed the gate"},
		{"nothing to gate", []string{"evals", filepath.Join(work, "none"), "x", "--thresholds", good}, 1, "no eval job under"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := invoke(t, nil, append(c.args, "--output-dir", work)...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.want)
			}
		})
	}
}
