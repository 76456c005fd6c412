package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// mainRuns is a fake of the GitHub API for `collect baseline`: the
// successful run-sweep.yml runs on main (two to a page), each with a
// results_bmk artifact holding testdata run-<N>.json as agg_bmk.json, run
// 101's expired; the download URL is a signed one on the same server,
// which must not get the token.
type mainRuns struct {
	t        *testing.T
	dir      string // the main-runs fixtures
	runs     []int  // run numbers, newest first
	expired  map[int]bool
	mu       sync.Mutex
	requests []string
	blobAuth []string
}

func newMainRuns(t *testing.T, runs []int, expired map[int]bool) *mainRuns {
	dir, err := filepath.Abs(filepath.Join("..", "summarize", "testdata", "compare", "main-runs"))
	if err != nil {
		t.Fatal(err)
	}
	return &mainRuns{t: t, dir: dir, runs: runs, expired: expired}
}

func (g *mainRuns) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.requests = append(g.requests, r.URL.RequestURI())
	g.mu.Unlock()
	const api = "/api/v3/repos/inferencex/inferencex-go/actions/"
	if strings.HasPrefix(r.URL.Path, "/blob/") {
		g.mu.Lock()
		g.blobAuth = append(g.blobAuth, r.Header.Get("Authorization"))
		g.mu.Unlock()
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/blob/"))
		data, err := os.ReadFile(filepath.Join(g.dir, fmt.Sprintf("run-%d.json", n)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		var zb bytes.Buffer
		zw := zip.NewWriter(&zb)
		f, _ := zw.Create("agg_bmk.json")
		_, _ = f.Write(data)
		_ = zw.Close()
		w.Header().Set("Content-Type", "application/zip")
		_, _ = w.Write(zb.Bytes())
		return
	}
	if r.Header.Get("Authorization") != "Bearer test-token" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message": "Bad credentials"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	q := r.URL.Query()
	switch {
	case r.URL.Path == api+"workflows/run-sweep.yml/runs":
		if q.Get("branch") != "main" || q.Get("status") != "success" || q.Get("event") != "push" {
			g.t.Errorf("runs listed with %s", r.URL.RawQuery)
		}
		page, _ := strconv.Atoi(q.Get("page"))
		page = max(page, 1)
		from := (page - 1) * 2
		var runs []map[string]any
		for i := from; i < min(from+2, len(g.runs)); i++ {
			n := g.runs[i]
			runs = append(runs, map[string]any{"id": 9000 + n, "run_number": n, "head_sha": fmt.Sprintf("%040d", n),
				"html_url":   fmt.Sprintf("https://github.com/inferencex/inferencex-go/actions/runs/%d", 9000+n),
				"created_at": fmt.Sprintf("2026-07-%02dT10:00:00Z", n-90)})
		}
		if from+2 < len(g.runs) {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?page=%d>; rel="next"`, r.Host, r.URL.Path, page+1))
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"total_count": len(g.runs), "workflow_runs": runs})
	case strings.HasPrefix(r.URL.Path, api+"runs/") && strings.HasSuffix(r.URL.Path, "/artifacts"):
		id, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, api+"runs/"), "/artifacts"))
		n := id - 9000
		arts := []map[string]any{
			{"id": 100000 + n, "name": "server_logs_x", "size_in_bytes": 10, "expired": false},
			{"id": n, "name": "results_bmk", "size_in_bytes": 2000, "expired": g.expired[n]},
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"total_count": len(arts), "artifacts": arts})
	case strings.HasPrefix(r.URL.Path, api+"artifacts/") && strings.HasSuffix(r.URL.Path, "/zip"):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, api+"artifacts/"), "/zip"))
		w.Header().Set("Location", fmt.Sprintf("http://%s/blob/%d?sig=abc", r.Host, n))
		w.WriteHeader(http.StatusFound)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message": "Not Found"}`)
	}
}

// TestBaselineFromMainRuns: each result of the pull request's sweep gets
// main's newest result of its configuration, of the same recipe where main
// has one; an expired artifact is passed over; a configuration main never
// measured has none.
func TestBaselineFromMainRuns(t *testing.T) {
	api := newMainRuns(t, []int{103, 102, 101, 100}, map[int]bool{101: true})
	srv := httptest.NewServer(api)
	defer srv.Close()
	results, _ := filepath.Abs(filepath.Join("..", "summarize", "testdata", "compare", "results"))
	work := t.TempDir()
	t.Chdir(work)
	summary := filepath.Join(work, "summary.md")
	if err := os.WriteFile(summary, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_TOKEN": "test-token", "GITHUB_REPOSITORY": "inferencex/inferencex-go",
		"GITHUB_API_URL": srv.URL + "/api/v3/", "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}
	code, _, stderr := invoke(t, env, "baseline", results, "--output", "baseline.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile("baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	var base []map[string]any
	if err := json.Unmarshal(data, &base); err != nil {
		t.Fatal(err)
	}
	// Which run each current result's baseline came from, by its numbers.
	got := map[string]float64{}
	for _, b := range base {
		got[fmt.Sprintf("%v %v %v", b["hw"], b["framework"], b["conc"])] = b["tput_per_gpu"].(float64)
	}
	want := map[string]float64{
		"h200 sglang 4":        380,     // run 100: the same recipe, though run 103 is newer
		"h200 sglang 64":       2600,    // run 103: the newest, another recipe
		"b200 sglang 16":       1900.25, // run 102
		"h100 vllm 16":         1100,    // run 103, the same recipe (run 102 has an older one)
		"mi300x vllm 64":       2100,    // run 100: run 101's artifact expired
		"b200-trt trt 128":     3700,    // run 100
		"gb200 dynamo-trt 256": 1500.5,  // run 102, multi-node
	}
	if len(got) != len(want) || len(base) != len(want) {
		t.Errorf("baseline holds %d results %v, want %d", len(base), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("baseline of %s: tput %v, want %v", k, got[k], v)
		}
	}
	for _, a := range api.blobAuth {
		if a != "" {
			t.Errorf("the artifact download got the token: %q", a)
		}
	}
	if len(api.blobAuth) != 3 {
		t.Errorf("%d artifacts downloaded, want 3 (runs 103, 102, 100)", len(api.blobAuth))
	}
	for _, want := range []string{"run 101 (", "artifact results_bmk has expired", "baselines for 7 of 8 result(s) from 4 run(s) read"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	md, _ := os.ReadFile(summary)
	if !strings.Contains(string(md), "7 of 8 result(s) have a baseline") || !strings.Contains(string(md), "[#103](https://github.com/inferencex/inferencex-go/actions/runs/9103)") {
		t.Errorf("job summary:\n%s", md)
	}
}

// TestBaselineStopsWhenAllFound: once every configuration has its recipe's
// baseline, older runs are not read.
func TestBaselineStopsWhenAllFound(t *testing.T) {
	api := newMainRuns(t, []int{103, 102, 101, 100}, nil)
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "summarize", "testdata", "compare", "results", "bmk_gptoss_h100_vllm_conc16_d", "agg_d.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "agg_d.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_TOKEN": "test-token", "GITHUB_REPOSITORY": "inferencex/inferencex-go", "GITHUB_API_URL": srv.URL + "/api/v3/"}
	out := filepath.Join(t.TempDir(), "b.json")
	code, _, stderr := invoke(t, env, "baseline", dir, "--output", out)
	if code != 0 || !strings.Contains(stderr, "from 1 run(s) read") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, r := range api.requests {
		if strings.Contains(r, "page=2") {
			t.Errorf("read a second page of runs: %s", r)
		}
	}
}

func TestBaselineCommandLine(t *testing.T) {
	api := newMainRuns(t, nil, nil)
	srv := httptest.NewServer(api)
	defer srv.Close()
	results, _ := filepath.Abs(filepath.Join("..", "summarize", "testdata", "compare", "results"))
	good := map[string]string{"GITHUB_TOKEN": "test-token", "GITHUB_REPOSITORY": "inferencex/inferencex-go", "GITHUB_API_URL": srv.URL + "/api/v3/"}
	badToken := map[string]string{"GITHUB_TOKEN": "wrong", "GITHUB_REPOSITORY": "inferencex/inferencex-go", "GITHUB_API_URL": srv.URL + "/api/v3/"}
	out := filepath.Join(t.TempDir(), "b.json")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no token", map[string]string{"GITHUB_REPOSITORY": "a/b"}, []string{"baseline", results}, 2, "missing required environment variables: GITHUB_TOKEN"},
		{"bad repository", map[string]string{"GITHUB_TOKEN": "x", "GITHUB_REPOSITORY": "ab"}, []string{"baseline", results}, 2, "expected OWNER/REPO"},
		{"bad max runs", good, []string{"baseline", results, "--max-runs", "0"}, 2, "--max-runs: expected at least 1"},
		{"no results", good, []string{"baseline", t.TempDir(), "--output", out}, 1, "nothing to find a baseline for"},
		{"bad credentials", badToken, []string{"baseline", results, "--output", out}, 1, "401"},
		{"no runs on main", good, []string{"baseline", results, "--output", out}, 0, "baselines for 0 of 8 result(s) from 0 run(s) read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := invoke(t, c.env, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, c.code, c.want)
			}
		})
	}
	if data, err := os.ReadFile(out); err != nil || string(data) != "[]" {
		t.Errorf("with no runs the baseline is empty: %q, %v", data, err)
	}
}

// TestBaselineLeavesAgenticOut: agentic results have no fixed-seq-len
// configuration to find in main's aggregates: this sweep's are left out (and
// said so), main's agentic rows are passed over, and a sweep of agentic jobs
// alone gets an empty baseline without asking GitHub.
func TestBaselineLeavesAgenticOut(t *testing.T) {
	api := newMainRuns(t, []int{103, 102, 101, 100}, nil)
	agenticRow, err := os.ReadFile(filepath.Join("..", "..", "schemas", "testdata", "agentic-result", "single-vllm.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Main's newest run aggregated an agentic job too.
	mainDir := t.TempDir()
	copyTree(t, api.dir, mainDir)
	api.dir = mainDir
	run103 := filepath.Join(mainDir, "run-103.json")
	data, err := os.ReadFile(run103)
	if err != nil {
		t.Fatal(err)
	}
	mixed := strings.TrimSpace(string(data))
	mixed = mixed[:len(mixed)-1] + ", " + string(agenticRow) + "]"
	if err := os.WriteFile(run103, []byte(mixed), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	env := map[string]string{"GITHUB_TOKEN": "test-token", "GITHUB_REPOSITORY": "inferencex/inferencex-go", "GITHUB_API_URL": srv.URL + "/api/v3/"}

	dir := t.TempDir()
	fixed, err := os.ReadFile(filepath.Join("..", "summarize", "testdata", "compare", "results", "bmk_gptoss_h100_vllm_conc16_d", "agg_d.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"agg_d.json": fixed, "agentic.json": agenticRow} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "b.json")
	code, _, stderr := invoke(t, env, "baseline", dir, "--output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "1 agentic result(s) under "+dir+" left out") || !strings.Contains(stderr, "baselines for 1 of 1 result(s)") {
		t.Errorf("stderr:\n%s", stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var base []map[string]any
	if err := json.Unmarshal(got, &base); err != nil || len(base) != 1 || base[0]["scenario_type"] != nil {
		t.Errorf("baseline %s (%v), want main's one fixed-seq-len result", got, err)
	}

	// Agentic jobs alone.
	only := t.TempDir()
	if err := os.WriteFile(filepath.Join(only, "agentic.json"), agenticRow, 0o644); err != nil {
		t.Fatal(err)
	}
	requests := len(api.requests)
	code, _, stderr = invoke(t, env, "baseline", only, "--output", out)
	if code != 0 {
		t.Fatalf("agentic only: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(out); string(got) != "[]" {
		t.Errorf("agentic only: baseline %q, want []", got)
	}
	if len(api.requests) != requests {
		t.Errorf("agentic only: %d GitHub requests", len(api.requests)-requests)
	}
}
