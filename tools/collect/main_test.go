package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/golden"
)

// invoke runs the tool in-process with an environment map.
func invoke(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name+".golden"), []byte(got))
}

// writeFiles writes each of files (relative path: content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// resultsLikeUpstream runs `results DIR bmk` (and flags) into a fresh
// output directory and checks its stdout and agg_bmk.json against what
// upstream's collect_results.py wrote, recorded in testdata/origName. It
// returns the aggregate, the output directory and stderr.
func resultsLikeUpstream(t *testing.T, origName string, args ...string) (got []byte, out, stderr string) {
	t.Helper()
	var orig map[string]any
	readOriginal(t, origName, &orig)
	out = t.TempDir()
	args = append([]string{"results"}, args...)
	args = append(args, "--output-dir", out)
	code, stdout, stderr := invoke(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != orig["stdout"] {
		t.Errorf("stdout %q, upstream printed %q", stdout, orig["stdout"])
	}
	got, err := os.ReadFile(filepath.Join(out, "agg_bmk.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != orig["agg_bmk.json"] {
		t.Errorf("agg_bmk.json differs from upstream's")
	}
	return got, out, stderr
}

func readOriginal(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("%v (run scripts/gen-results-golden.py)", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestResultsLikeOriginal(t *testing.T) {
	_, out, stderr := resultsLikeUpstream(t, "original-results.json", "testdata/results", "bmk")
	checkGolden(t, "results-ok", strings.ReplaceAll(stderr, out, "OUT"))
}

// TestResultsTodayLikeUpstream: today's results (recipe fingerprints,
// PP/DCP/PCP, heterogeneous and aggregated multi-node, router and KV
// transfer, loadgen's request accounting) aggregate byte for byte as
// upstream main's collect_results.py aggregates them, accounting included.
func TestResultsTodayLikeUpstream(t *testing.T) {
	got, out, stderr := resultsLikeUpstream(t, "original-results-today.json", "../summarize/testdata/sweep-today/results", "bmk")
	for _, want := range []string{`"failed": 3`, `"canceled": 4`, `"recipe_fingerprint": "`, `"decode_pp": 2`, `"prefill_hw": "gb200"`, `"num_decode_gpu": 0`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the aggregate has no %s", want)
		}
	}
	checkGolden(t, "results-today", strings.ReplaceAll(stderr, out, "OUT"))
}

const validResult = "testdata/results/bmk_dsr1_1024_1024_fp8_sglang_tp8_ep1_dpa_false_conc4_specdecode_none_h200-nv_0/agg_dsr1_1024_1024_fp8_sglang_tp8_ep1_dpa_false_conc4_specdecode_none_h200-nv_0.json"

// dirtyDir makes a results directory with one good result, a copy of it
// under another name (a duplicate configuration), one that breaks the
// schema and one that is not JSON.
func dirtyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	good, err := os.ReadFile(validResult)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"bmk_a/agg_a.json":         string(good),
		"bmk_a_retry/agg_a.json":   string(good),
		"bmk_b/agg_b.json":         strings.Replace(string(good), `"tp": 8`, `"tp": "8"`, 1),
		"bmk_c/agg_c.json":         string(good[:200]),
		"bmk_d/agg_d.json":         strings.Replace(strings.Replace(string(good), `"conc": 4`, `"conc": 8`, 1), `"hw": "h200",`, ``, 1),
		"server_logs_x/server.log": "not json, not .json",
	}
	writeFiles(t, dir, files)
	return dir
}

func TestResultsReportsBadFiles(t *testing.T) {
	dir := dirtyDir(t)
	out := t.TempDir()
	code, _, stderr := invoke(t, nil, "results", dir, "bmk", "--output-dir", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	stderr = strings.ReplaceAll(strings.ReplaceAll(stderr, dir, "DIR"), out, "OUT")
	checkGolden(t, "results-bad-files", stderr)
	for _, want := range []string{"DIR/bmk_b/agg_b.json: tp: expected integer", "DIR/bmk_c/agg_c.json:9:1: invalid JSON", "DIR/bmk_d/agg_d.json: hw: required key is missing",
		"2 results for one configuration", "left out 3 invalid file(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q", want)
		}
	}
	var agg []map[string]any
	data, err := os.ReadFile(filepath.Join(out, "agg_bmk.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &agg); err != nil || len(agg) != 2 {
		t.Fatalf("aggregate has %d results (%v), want the 2 valid ones", len(agg), err)
	}

	// --strict: the same directory is fatal, and nothing is written.
	out2 := t.TempDir()
	code, _, stderr = invoke(t, map[string]string{"GITHUB_ACTIONS": "true"}, "results", dir, "bmk", "--output-dir", out2, "--strict")
	if code != 2 {
		t.Fatalf("--strict: exit %d, want 2", code)
	}
	if !strings.Contains(stderr, "::error file="+dir+"/bmk_b/agg_b.json::") {
		t.Errorf("--strict in a workflow: no error annotation on the bad file:\n%s", stderr)
	}
	if entries, _ := os.ReadDir(out2); len(entries) != 0 {
		t.Errorf("--strict wrote %v", entries)
	}
}

func TestResultsNothingToCollect(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"empty dir", []string{"results", empty, "bmk", "--output-dir", empty}, 1, "no processed results found (nothing written)"},
		{"missing dir", []string{"results", filepath.Join(empty, "nope"), "bmk"}, 1, "nope: no such file or directory"},
		{"missing prefix", []string{"results", empty}, 2, "PREFIX"},
		{"unknown command", []string{"result", empty, "x"}, 2, `unknown command "result"`},
		{"no command", nil, 2, "a command is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := invoke(t, nil, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.want)
			}
		})
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("wrote %v", entries)
	}
}

type evalOriginal struct {
	Exit   int    `json:"exit"`
	Stdout string `json:"stdout"`
	Agg    string `json:"agg_eval_bmk.json"`
}

// evalWorkdir lays out testdata/<name> as eval_results/ in a fresh working
// directory, with the modification times the fixtures ask for.
func evalWorkdir(t *testing.T, name string) string {
	t.Helper()
	work := t.TempDir()
	copyTree(t, filepath.Join("testdata", name), filepath.Join(work, "eval_results"))
	if data, err := os.ReadFile(filepath.Join("testdata", name, "mtimes.json")); err == nil {
		var mt map[string]int64
		if err := json.Unmarshal(data, &mt); err != nil {
			t.Fatal(err)
		}
		for rel, sec := range mt {
			ts := time.Unix(sec, 0)
			if err := os.Chtimes(filepath.Join(work, "eval_results", rel), ts, ts); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Chdir(work)
	return work
}

func TestEvalsLikeOriginal(t *testing.T) {
	var orig map[string]evalOriginal
	readOriginal(t, "original-evals.json", &orig)
	wd, _ := os.Getwd()
	evalWorkdir(t, "evals")
	code, stdout, stderr := invoke(t, nil, "evals", "eval_results/", "bmk")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != orig["evals"].Stdout {
		t.Errorf("table differs from the original's:\n--- got ---\n%s\n--- original ---\n%s", stdout, orig["evals"].Stdout)
	}
	got, err := os.ReadFile("agg_eval_bmk.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != orig["evals"].Agg {
		t.Errorf("agg_eval_bmk.json differs from the original's:\n--- got ---\n%s\n--- original ---\n%s", got, orig["evals"].Agg)
	}
	// What the original passed over in silence is named here.
	for _, want := range []string{"eval_results/eval_broken_meta/meta_env.json:1:", "eval_results/eval_no_results: no lm-eval-harness results file"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not name %q:\n%s", want, stderr)
		}
	}
	t.Chdir(wd)
	checkGolden(t, "evals-stderr", stderr)
}

func TestEvalsStrict(t *testing.T) {
	evalWorkdir(t, "evals")
	code, _, stderr := invoke(t, nil, "evals", "eval_results", "bmk", "--strict")
	if code != 2 || !strings.Contains(stderr, "--strict: 2 eval file(s) could not be used") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
	if _, err := os.Stat("agg_eval_bmk.json"); err == nil {
		t.Error("--strict wrote the aggregate")
	}
}

// TestEvalsFlatArtifact: download-artifact puts a lone artifact's files
// straight into the download folder; the original found nothing there.
func TestEvalsFlatArtifact(t *testing.T) {
	var orig map[string]evalOriginal
	readOriginal(t, "original-evals.json", &orig)
	if !strings.Contains(orig["evals-flat"].Stdout, "No eval results found") {
		t.Fatalf("the original found the flat artifact after all: %s", orig["evals-flat"].Stdout)
	}
	wd, _ := os.Getwd()
	evalWorkdir(t, "evals-flat")
	code, stdout, stderr := invoke(t, nil, "evals", "eval_results/", "bmk")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The same row as the job's folder gives in the full layout.
	if !strings.Contains(stdout, "| deepseek-ai/DeepSeek-R1-0528 | H200       | SGLANG      | FP8") || !strings.Contains(stdout, "94.69% ±0.61%") {
		t.Errorf("flat artifact not read:\n%s", stdout)
	}
	agg, err := os.ReadFile("agg_eval_bmk.json")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(wd)
	checkGolden(t, "evals-flat", stdout+"-- agg_eval_bmk.json --\n"+string(agg)+"\n")
}

func TestEvalsNoEvalJobs(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	code, stdout, stderr := invoke(t, nil, "evals", "eval_results/", "all")
	if code != 0 || stdout != "> No eval results found to summarize.\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if data, err := os.ReadFile("agg_eval_all.json"); err != nil || string(data) != "[]" {
		t.Errorf("agg_eval_all.json: %q, %v", data, err)
	}
}

// githubAPI serves the recorded responses of testdata/github the way
// api.github.com does: the run, and its jobs in pages linked by Link
// headers. rateLimited makes the first request for page 2 answer 403 with
// the rate limit exhausted until resetIn from now.
type githubAPI struct {
	t           *testing.T
	rateLimited bool
	resetIn     time.Duration
	mu          sync.Mutex
	requests    []string
	limitedOnce bool
}

func (g *githubAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.requests = append(g.requests, r.URL.RequestURI())
	g.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != "Bearer test-token" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4990")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	w.Header().Set("X-RateLimit-Resource", "core")
	const runPath = "/api/v3/repos/inferencex/inferencex-go/actions/runs/21654321987"
	switch r.URL.Path {
	case runPath:
		http.ServeFile(w, r, "testdata/github/run.json")
	case runPath + "/jobs":
		if r.URL.Query().Get("filter") != "all" {
			g.t.Errorf("jobs listed without filter=all: %s", r.URL)
		}
		page := r.URL.Query().Get("page")
		if page == "" {
			page = "1"
		}
		g.mu.Lock()
		limit := g.rateLimited && page == "2" && !g.limitedOnce
		if limit {
			g.limitedOnce = true
		}
		g.mu.Unlock()
		if limit {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(g.resetIn).Unix(), 10))
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message": "API rate limit exceeded for installation ID 123.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`)
			return
		}
		n, _ := strconv.Atoi(page)
		base := "http://" + r.Host + runPath + "/jobs?filter=all&per_page=100&page="
		var links []string
		if n < 3 {
			links = append(links, fmt.Sprintf(`<%s%d>; rel="next"`, base, n+1), fmt.Sprintf(`<%s3>; rel="last"`, base))
		}
		if n > 1 {
			links = append(links, fmt.Sprintf(`<%s%d>; rel="prev"`, base, n-1), fmt.Sprintf(`<%s1>; rel="first"`, base))
		}
		if len(links) > 0 {
			w.Header().Set("Link", strings.Join(links, ", "))
		}
		http.ServeFile(w, r, "testdata/github/jobs-page"+page+".json")
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}`)
	}
}

func githubEnv(url string) map[string]string {
	return map[string]string{"GITHUB_TOKEN": "test-token", "GITHUB_REPOSITORY": "inferencex/inferencex-go",
		"GITHUB_RUN_ID": "21654321987", "GITHUB_API_URL": url + "/api/v3/"}
}

type successOriginal struct {
	Exit   int                       `json:"exit"`
	Stdout string                    `json:"stdout"`
	Stats  map[string]map[string]int `json:"stats"`
}

func TestSuccessRateLikeOriginal(t *testing.T) {
	var orig successOriginal
	readOriginal(t, "original-success-rate.json", &orig)
	api := &githubAPI{t: t}
	srv := httptest.NewServer(api)
	defer srv.Close()
	work := t.TempDir()
	name := filepath.Join(work, "run_stats")
	code, stdout, stderr := invoke(t, githubEnv(srv.URL), "success-rate", name, "--runner-config", "testdata/runners.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The original printed three log lines before the table; this tool
	// logs on stderr and prints the table alone.
	_, table, ok := strings.Cut(orig.Stdout, "Run Sweep\n")
	if !ok {
		t.Fatalf("unexpected original output %q", orig.Stdout)
	}
	if stdout != table {
		t.Errorf("table differs from the original's:\n--- got ---\n%s\n--- original ---\n%s", stdout, table)
	}
	data, err := os.ReadFile(name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]int
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(orig.Stats) {
		t.Errorf("stats %v, the original's %v", got, orig.Stats)
	}
	checkGolden(t, "success-rate", string(data)+"\n-- stderr --\n"+strings.ReplaceAll(stderr, work, "WORK"))
	if len(api.requests) != 4 {
		t.Errorf("%d requests (%v), want the run and 3 pages of jobs", len(api.requests), api.requests)
	}
}

func TestSuccessRateWaitsForRateLimit(t *testing.T) {
	api := &githubAPI{t: t, rateLimited: true, resetIn: time.Second}
	srv := httptest.NewServer(api)
	defer srv.Close()
	name := filepath.Join(t.TempDir(), "run_stats")
	code, _, stderr := invoke(t, githubEnv(srv.URL), "success-rate", name, "--runner-config", "testdata/runners.yaml", "--max-wait", "10s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "rate limited by the GitHub API; waiting") {
		t.Errorf("no word about the wait:\n%s", stderr)
	}
	if n := strings.Count(strings.Join(api.requests, "\n"), "page=2"); n != 2 {
		t.Errorf("page 2 requested %d times, want 2 (limited, then retried): %v", n, api.requests)
	}
}

func TestSuccessRateGivesUpOnLongRateLimit(t *testing.T) {
	api := &githubAPI{t: t, rateLimited: true, resetIn: 40 * time.Minute}
	srv := httptest.NewServer(api)
	defer srv.Close()
	name := filepath.Join(t.TempDir(), "run_stats")
	start := time.Now()
	code, _, stderr := invoke(t, githubEnv(srv.URL), "success-rate", name, "--runner-config", "testdata/runners.yaml")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	if !strings.Contains(stderr, "GitHub API rate limit exhausted (5000 requests per hour), it resets at") ||
		!strings.Contains(stderr, "page 2") {
		t.Errorf("unclear message:\n%s", stderr)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("waited %s before giving up", time.Since(start))
	}
	if _, err := os.Stat(name + ".json"); err == nil {
		t.Error("wrote the stats file after failing")
	}
}

func TestSuccessRateBadSetup(t *testing.T) {
	srv := httptest.NewServer(&githubAPI{t: t})
	defer srv.Close()
	env := githubEnv(srv.URL)
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range env {
			m[a] = b
		}
		m[k] = v
		return m
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no environment", map[string]string{}, nil, 2, "missing required environment variables: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_RUN_ID"},
		{"bad repository", with("GITHUB_REPOSITORY", "inferencex"), nil, 2, "GITHUB_REPOSITORY: expected OWNER/REPO"},
		{"bad run id", with("GITHUB_RUN_ID", "latest"), nil, 2, `GITHUB_RUN_ID: expected a positive integer, got "latest"`},
		{"bad token", with("GITHUB_TOKEN", "nope"), nil, 1, "401 Bad credentials"},
		{"unknown run", with("GITHUB_RUN_ID", "42"), nil, 1, "getting run 42 of inferencex/inferencex-go"},
		{"missing runner config", env, []string{"--runner-config", "testdata/none.yaml"}, 2, "testdata/none.yaml"},
		{"bad max wait", env, []string{"--max-wait", "soon"}, 2, "expected a duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"success-rate", filepath.Join(t.TempDir(), "s"), "--runner-config", "testdata/runners.yaml"}, c.args...)
			code, _, stderr := invoke(t, c.env, args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.want)
			}
		})
	}
}

// TestBinary runs the built tool as a workflow step would.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "collect")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := httptest.NewServer(&githubAPI{t: t})
	defer srv.Close()
	work := t.TempDir()
	summary := filepath.Join(work, "summary.md")
	output := filepath.Join(work, "output")
	for _, f := range []string{summary, output} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	abs, _ := filepath.Abs("testdata")
	env := []string{"PATH=" + os.Getenv("PATH"), "GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary, "GITHUB_OUTPUT=" + output}
	for k, v := range githubEnv(srv.URL) {
		env = append(env, k+"="+v)
	}
	for _, args := range [][]string{
		{"results", filepath.Join(abs, "results"), "bmk"},
		{"success-rate", "run_stats", "--runner-config", filepath.Join(abs, "runners.yaml")},
		{"evals", filepath.Join(abs, "evals"), "bmk"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = work, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	for _, f := range []string{"agg_bmk.json", "run_stats.json", "agg_eval_bmk.json"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Error(err)
		}
	}
	sum, _ := os.ReadFile(summary)
	if !strings.Contains(string(sum), "## GPU Success Rates") || !strings.Contains(string(sum), "| mi355x |         4 |       7 | 57.14%  |") {
		t.Errorf("step summary:\n%s", sum)
	}
	if !strings.Contains(string(sum), "## Eval Summary\n\n| Model ") {
		t.Errorf("no eval table under its heading in the step summary:\n%s", sum)
	}
	out, _ := os.ReadFile(output)
	if !strings.Contains(string(out), "results-count<<") || !strings.Contains(string(out), "\n38\n") {
		t.Errorf("step outputs:\n%s", out)
	}

	// stdout redirected into the summary, as the original workflow did:
	// the table goes there once.
	if err := os.WriteFile(summary, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(summary, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "success-rate", "run_stats", "--runner-config", filepath.Join(abs, "runners.yaml"))
	cmd.Dir, cmd.Env, cmd.Stdout = work, env, f
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	sum, _ = os.ReadFile(summary)
	if n := strings.Count(string(sum), "GPU Success Rates"); n != 1 {
		t.Errorf("table in the summary %d times:\n%s", n, sum)
	}
}

// TestResultsAgenticLikeUpstream: a sweep of fixed-seq-len and agentic-coding
// jobs aggregates byte for byte as upstream's collect_results.py aggregates
// it (scripts/gen-collect-agentic-golden.py): both kinds in one list, in
// path order, agentic rows as process_agentic_result.py wrote them (power
// fields included).
func TestResultsAgenticLikeUpstream(t *testing.T) {
	got, out, stderr := resultsLikeUpstream(t, "original-results-agentic.json", "testdata/results-agentic", "bmk", "--strict")
	for _, want := range []string{`"scenario_type": "agentic-coding"`, `"avg_power_w": 635.0`, `"tput_per_gpu": `, `"is_multinode": true`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the aggregate has no %s", want)
		}
	}
	if !strings.Contains(stderr, "wrote "+filepath.Join(out, "agg_bmk.json")+": 6 results") {
		t.Errorf("stderr: %s", stderr)
	}
}

// TestResultsBadAgentic: an agentic result that breaks its schema is named
// with the field path, and a fixed-seq-len result is still held to its own
// schema beside it; two agentic jobs of one configuration are duplicates.
func TestResultsBadAgentic(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "testdata/results-agentic", dir)
	agentic := filepath.Join(dir, "bmk_agentic_dsr1_tp8_conc32_kvnone_fp8_vllm_ep1_dpa_false", "dsr1_tp8_conc32_kvnone_fp8_vllm_ep1_dpa_false.json")
	data, err := os.ReadFile(agentic)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), `"adapter": "vllm"`, `"adapter": 7`, 1)
	bad = strings.Replace(bad, `"kv_offloading": "none"`, `"kv_offloading": 7`, 1)
	if bad == string(data) {
		t.Fatal("the fixture changed: nothing replaced")
	}
	files := map[string]string{
		"bmk_agentic_x/x.json": bad,
		// scenario_type decides the schema: without it, a copy of an agentic
		// result is a broken fixed-seq-len one.
		"bmk_agentic_y/y.json": strings.Replace(string(data), `"scenario_type": "agentic-coding",`, ``, 1),
		// The same agentic job again under another name.
		"bmk_agentic_z/z.json": string(data),
	}
	writeFiles(t, dir, files)
	out := t.TempDir()
	code, _, stderr := invoke(t, nil, "results", dir, "bmk", "--output-dir", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	stderr = strings.ReplaceAll(strings.ReplaceAll(stderr, dir, "DIR"), out, "OUT")
	for _, want := range []string{
		`DIR/bmk_agentic_x/x.json: kv_offloading: expected string, got number 7`,
		"DIR/bmk_agentic_x/x.json: server_metrics.adapter: must be one of",
		"DIR/bmk_agentic_y/y.json: isl: required key is missing",
		"2 results for one configuration (dsr1 cluster:b200-dgxc vllm fp8 agentic tp8 ep1 dpa=false kv=none conc=32)",
		"left out 2 invalid file(s)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr)
		}
	}
	var agg []map[string]any
	got, err := os.ReadFile(filepath.Join(out, "agg_bmk.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &agg); err != nil || len(agg) != 7 {
		t.Fatalf("aggregate has %d results (%v), want the 7 valid ones", len(agg), err)
	}
}
