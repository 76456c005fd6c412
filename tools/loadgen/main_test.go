package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/golden"
)

// binary is loadgen built once for the tests that run it as a process.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "loadgen-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "loadgen")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building loadgen: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

func runLoadgen(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func TestHelp(t *testing.T) {
	out, _, status := runLoadgen(t, "--help")
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	checkGolden(t, "help.txt", []byte(out))
	out, _, status = runLoadgen(t, "sim-server", "--help")
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	checkGolden(t, "sim-server-help.txt", []byte(out))
	for _, sub := range [][]string{{"replay"}, {"traces", "synth"}, {"traces", "check"}} {
		out, _, status = runLoadgen(t, append(sub, "--help")...)
		if status != 0 {
			t.Fatalf("%v: status %d", sub, status)
		}
		checkGolden(t, strings.Join(sub, "-")+"-help.txt", []byte(out))
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--model", "m", "--bogus"}, "loadgen: error: unrecognized arguments: --bogus"},
		{[]string{"--backend", "vllm"}, "loadgen: error: the following arguments are required: --model"},
		{[]string{"--model", "m"}, `loadgen: error: --dataset-name is "sharegpt"`},
		{[]string{"--model", "m", "--dataset-name", "random", "--goodput", "ttft"}, `loadgen: error: argument --goodput: "ttft" is not KEY:VALUE`},
		{[]string{"--model", "m", "--dataset-name", "random", "--seed", "-1"}, "loadgen: error: argument --seed: must be between 0 and 4294967295"},
		{[]string{"--model", "m", "--dataset-name", "random", "--random-range-ratio", "2"}, "loadgen: error: argument --random-range-ratio: must be between 0 and 1, got 2.0"},
		{[]string{"--model", "m", "--dataset-name", "random", "--save-result", "--result-dir", "/nonexistent/dir"}, "loadgen: error: argument --result-dir: /nonexistent/dir is not a directory"},
		{[]string{"sim-server", "--error-rate", "2"}, "loadgen sim-server: error: error rate must be between 0 and 1, got 2"},
		{[]string{"sim-server", "--portt", "1"}, "loadgen sim-server: error: unrecognized arguments: --portt (did you mean --port?)"},
	}
	var all bytes.Buffer
	for _, tt := range tests {
		_, stderr, status := runLoadgen(t, tt.args...)
		if status != 2 || !strings.HasPrefix(stderr, tt.want) {
			t.Errorf("%v: status %d, stderr %q; want 2 and %q", tt.args, status, stderr, tt.want)
		}
		fmt.Fprintf(&all, "$ loadgen %s\n%s", strings.Join(tt.args, " "), stderr)
	}
	checkGolden(t, "usage-errors.txt", all.Bytes())
}

// startSimServer starts `loadgen sim-server` and returns its URL.
func startSimServer(t *testing.T, args ...string) string {
	t.Helper()
	url, _ := startSim(t, args...)
	return url
}

// startSim starts the sim server in its own process and returns its URL
// and the process.
func startSim(t *testing.T, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"sim-server", "--model", "m"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://127.0.0.1:") {
		t.Fatalf("sim-server said %q, %v", line, err)
	}
	return strings.TrimSpace(line), cmd
}

func promptFile(t *testing.T, n, warm int) string {
	t.Helper()
	var b strings.Builder
	for i := range n + warm {
		fmt.Fprintf(&b, `{"prompt": "%s %d", "prompt_len": 50, "output_len": 32, "warmup": %v}`+"\n", strings.Repeat("word ", 49), i, i >= n)
	}
	path := filepath.Join(t.TempDir(), "prompts.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readResult(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunAgainstSimServerWithFaults(t *testing.T) {
	url := startSimServer(t, "--decode-step-ms", "2", "--seed", "5", "--error-rate", "0.1", "--drop-rate", "0.1",
		"--malformed-rate", "0.1", "--stall-rate", "0.1")
	dir := t.TempDir()
	stdout, stderr, status := runLoadgen(t, "--model", "m", "--backend", "vllm", "--base-url", url,
		"--dataset-name", "jsonl", "--dataset-path", promptFile(t, 60, 8), "--num-prompts", "60",
		"--max-concurrency", "8", "--num-warmups", "8", "--ignore-eos", "--save-result", "--save-detailed",
		"--result-dir", dir, "--result-filename", "r.json", "--percentile-metrics", "ttft,tpot,itl,e2el",
		"--stream-stall-timeout", "0.3", "--disable-tqdm")
	// Around 40% of requests fail: more than the default 5%.
	if status != 1 || !strings.Contains(stderr, "FAIL: request failure rate ") || !strings.Contains(stderr, "exceeds 5% threshold") {
		t.Fatalf("status %d\n%s\n%s", status, stdout, stderr)
	}
	r := readResult(t, filepath.Join(dir, "r.json"))
	kinds := r["errors_by_kind"].(map[string]any)
	for _, k := range []string{"http_status", "dropped_stream", "parse_error", "stall"} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no %s failures in %v", k, kinds)
		}
	}
	failed, completed := r["failed"].(float64), r["completed"].(float64)
	if failed+completed != 60 || completed == 0 {
		t.Errorf("failed %v + completed %v != 60", failed, completed)
	}
	if len(r["errors"].([]any)) != 60 || len(r["itls"].([]any)) != 60 {
		t.Errorf("detailed arrays are not one per prompt")
	}
	if r["simulated"] != true {
		t.Error("not labelled simulated")
	}
}

func TestInterruptWritesPartialResult(t *testing.T) {
	url := startSimServer(t, "--decode-step-ms", "20")
	dir := t.TempDir()
	cmd := exec.Command(binary, "--model", "m", "--base-url", url, "--dataset-name", "jsonl",
		"--dataset-path", promptFile(t, 100, 0), "--num-prompts", "100", "--max-concurrency", "4", "--ignore-eos",
		"--save-result", "--result-dir", dir, "--result-filename", "r.json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // a few requests done, most still to go
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v\n%s", err, stderr.String())
	}
	r := readResult(t, filepath.Join(dir, "r.json"))
	if r["partial"] != true || r["stop_reason"] != "received interrupt" || r["completed"].(float64) >= 100 {
		t.Errorf("partial %v, reason %v, completed %v", r["partial"], r["stop_reason"], r["completed"])
	}
}

// A server killed mid-run stops the run at once: the requests its death
// broke count as canceled, not as failures, before the once-a-second
// process check would have noticed.
func TestServerDeathStopsTheRun(t *testing.T) {
	url, sim := startSim(t, "--decode-step-ms", "5")
	dir := t.TempDir()
	cmd := exec.Command(binary, "--model", "m", "--base-url", url, "--dataset-name", "jsonl",
		"--dataset-path", promptFile(t, 2000, 0), "--num-prompts", "2000", "--max-concurrency", "16", "--ignore-eos",
		"--save-result", "--result-dir", dir, "--result-filename", "r.json", "--disable-tqdm",
		"--server-pid", fmt.Sprint(sim.Process.Pid))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	_ = sim.Process.Kill()
	_ = sim.Wait()
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v\n%s", err, stderr.String())
	}
	r := readResult(t, filepath.Join(dir, "r.json"))
	want := fmt.Sprintf("server process %d exited", sim.Process.Pid)
	if r["partial"] != true || r["stop_reason"] != want || r["failed"] != 0.0 || r["completed"].(float64) == 0 {
		t.Errorf("partial %v, reason %v, failed %v, completed %v, errors %v", r["partial"], r["stop_reason"], r["failed"],
			r["completed"], r["errors_by_kind"])
	}
}

func TestRandomDatasetEndToEnd(t *testing.T) {
	tiny, err := filepath.Abs("bench/testdata/tinytok")
	if err != nil {
		t.Fatal(err)
	}
	url := startSimServer(t, "--decode-step-ms", "1", "--tokenizer", tiny)
	dir := t.TempDir()
	stdout, stderr, status := runLoadgen(t, "--model", "m", "--tokenizer", tiny, "--base-url", url,
		"--dataset-name", "random", "--random-input-len", "64", "--random-output-len", "16", "--random-range-ratio", "0.8",
		"--num-prompts", "24", "--max-concurrency", "4", "--request-rate", "inf", "--ignore-eos", "--save-result",
		"--num-warmups", "8", "--percentile-metrics", "ttft,tpot,itl,e2el", "--result-dir", dir, "--result-filename", "r.json")
	if status != 0 {
		t.Fatalf("status %d\n%s\n%s", status, stdout, stderr)
	}
	r := readResult(t, filepath.Join(dir, "r.json"))
	pc := r["prompt_len_check"].(map[string]any)
	if r["completed"] != 24.0 || pc["dataset_mismatched"] != 0.0 || pc["server_mismatched"] != 0.0 || pc["server_reported"] != 24.0 {
		t.Errorf("completed %v, prompt_len_check %v", r["completed"], pc)
	}
	if !strings.Contains(stderr, "Input/Output Length Statistics") {
		t.Errorf("stderr %s", stderr)
	}
}

func TestDatasetFileFeedsABenchmark(t *testing.T) {
	tiny, err := filepath.Abs("bench/testdata/tinytok")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	if _, stderr, status := runLoadgen(t, "dataset", "--tokenizer", tiny, "--random-input-len", "32", "--random-output-len", "8",
		"--num-prompts", "10", "--out", prompts); status != 0 {
		t.Fatalf("loadgen dataset: status %d\n%s", status, stderr)
	}
	url := startSimServer(t, "--decode-step-ms", "1", "--tokenizer", tiny)
	_, stderr, status := runLoadgen(t, "--model", "m", "--base-url", url, "--dataset-name", "jsonl", "--dataset-path", prompts,
		"--num-prompts", "10", "--ignore-eos", "--save-result", "--result-dir", dir, "--result-filename", "r.json", "--disable-tqdm")
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	r := readResult(t, filepath.Join(dir, "r.json"))
	pc := r["prompt_len_check"].(map[string]any)
	if r["completed"] != 10.0 || r["total_output_tokens"] != 80.0 || pc["server_mismatched"] != 0.0 || pc["server_reported"] != 10.0 {
		t.Errorf("completed %v, output %v, prompt_len_check %v", r["completed"], r["total_output_tokens"], pc)
	}
}

func TestTracesSynthAndCheck(t *testing.T) {
	args := []string{"traces", "synth", "--traces", "2", "--seed", "3", "--min-turns", "2", "--max-turns", "3",
		"--first-input", "300", "--shared-prefix", "128", "--turn-input", "100", "--output-tokens", "20", "--max-context", "1000",
		"--subagent-rate", "1", "--background-rate", "0.5"}
	out, stderr, status := runLoadgen(t, args...)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	checkGolden(t, "traces-synth.jsonl", []byte(out))
	file := filepath.Join(t.TempDir(), "t.jsonl")
	if _, stderr, status := runLoadgen(t, append(args, "--output", file)...); status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	b, _ := os.ReadFile(file)
	if string(b) != out {
		t.Error("--output wrote something else than standard output got")
	}
	out, stderr, status = runLoadgen(t, "traces", "check", file)
	if status != 0 {
		t.Fatalf("check: status %d: %s", status, stderr)
	}
	checkGolden(t, "traces-check.txt", []byte(out))
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, append(b, []byte(`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "shared", "requests": []}`+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, status = runLoadgen(t, "traces", "check", bad)
	if status != 2 || !strings.Contains(stderr, bad+`:3: hash_id_scope: unknown hash id scope "shared"`) {
		t.Errorf("bad trace: status %d: %s", status, stderr)
	}
	_, stderr, status = runLoadgen(t, "traces", "synth", "--traces", "0")
	if status != 2 || !strings.Contains(stderr, "traces must be at least 1") {
		t.Errorf("--traces 0: status %d: %s", status, stderr)
	}
}

// TestReplayEndToEnd runs the built loadgen replay against the built
// simulated server on synthesized traces, and upstream's file layout comes
// out: the three artifacts, valid by their schemas.
func TestReplayEndToEnd(t *testing.T) {
	tiny := filepath.Join("bench", "testdata", "tinytok")
	url := startSimServer(t, "--decode-step-ms", "1", "--prefill-ms-per-token", "0.0001")
	dir := t.TempDir()
	traces := filepath.Join(dir, "traces.jsonl")
	if _, stderr, status := runLoadgen(t, "traces", "synth", "--traces", "3", "--min-turns", "3", "--max-turns", "5",
		"--first-input", "600", "--shared-prefix", "128", "--turn-input", "100", "--output-tokens", "8", "--think-time", "0.05",
		"--output", traces); status != 0 {
		t.Fatal(stderr)
	}
	art := filepath.Join(dir, "aiperf_artifacts")
	out, stderr, status := runLoadgen(t, "replay", "--url", url, "--model", "m", "--tokenizer", tiny, "--concurrency", "2",
		"--benchmark-duration", "1.5", "--input-file", traces, "--custom-dataset-type", "weka_trace", "--output-artifact-dir", art,
		"--warmup-requests-per-lane", "1", "--slice-duration", "0.5", "--stats-interval", "0", "--use-server-token-count",
		"--streaming", "--no-gpu-telemetry", "--tokenizer-trust-remote-code", "--random-seed", "42")
	if status != 0 {
		t.Fatalf("status %d\n%s\n%s", status, out, stderr)
	}
	if !strings.Contains(out, "SIMULATED SERVER") || !strings.Contains(out, "Profiled requests completed:") {
		t.Errorf("summary:\n%s", out)
	}
	for _, name := range []string{"profile_export.jsonl", "profile_export_aiperf.json", "server_metrics_export.json"} {
		if fi, err := os.Stat(filepath.Join(art, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	var agg map[string]any
	b, _ := os.ReadFile(filepath.Join(art, "profile_export_aiperf.json"))
	if err := json.Unmarshal(b, &agg); err != nil {
		t.Fatal(err)
	}
	if n := agg["request_count"].(map[string]any)["avg"].(float64); n < 5 {
		t.Errorf("request_count %v", n)
	}
	if agg["loadgen"].(map[string]any)["simulated"] != true {
		t.Error("the simulated server was not noticed")
	}
	_, stderr, status = runLoadgen(t, "replay", "--url", url, "--model", "m", "--tokenizer", tiny, "--concurrency", "1",
		"--input-file", traces, "--scenario", "inferencex-agentx-mvp", "--output-artifact-dir", art)
	if status != 2 || !strings.Contains(stderr, "a local --input-file cannot be proven to be the scenario's corpus") {
		t.Errorf("scenario rules: status %d: %s", status, stderr)
	}
}

// TestReplayCacheCapacityEndToEnd replays the same synthesized multi-turn
// traces against two simulated servers that differ only in KV capacity:
// the prefix-cache hit rate the replay exports from their /metrics must be
// higher with more capacity.
func TestReplayCacheCapacityEndToEnd(t *testing.T) {
	tiny := filepath.Join("bench", "testdata", "tinytok")
	dir := t.TempDir()
	traces := filepath.Join(dir, "traces.jsonl")
	if _, stderr, status := runLoadgen(t, "traces", "synth", "--traces", "4", "--min-turns", "4", "--max-turns", "6",
		"--first-input", "600", "--shared-prefix", "128", "--turn-input", "100", "--output-tokens", "8", "--think-time", "0.02",
		"--output", traces); status != 0 {
		t.Fatal(stderr)
	}
	hitRate := func(capacity string) float64 {
		url := startSimServer(t, "--decode-step-ms", "1", "--prefill-ms-per-token", "0.0001", "--kv-cache-tokens", capacity)
		art := filepath.Join(dir, "art-"+capacity)
		out, stderr, status := runLoadgen(t, "replay", "--url", url, "--model", "m", "--tokenizer", tiny, "--concurrency", "4",
			"--benchmark-duration", "1.5", "--input-file", traces, "--custom-dataset-type", "weka_trace", "--output-artifact-dir", art,
			"--slice-duration", "0.5", "--stats-interval", "0", "--use-server-token-count", "--server-metrics-interval", "0.1",
			"--streaming", "--no-gpu-telemetry", "--tokenizer-trust-remote-code", "--random-seed", "42")
		if status != 0 {
			t.Fatalf("capacity %s: status %d\n%s\n%s", capacity, status, out, stderr)
		}
		b, err := os.ReadFile(filepath.Join(art, "server_metrics_export.json"))
		if err != nil {
			t.Fatal(err)
		}
		var sm struct {
			Metrics map[string]struct {
				Series []struct {
					Stats map[string]float64 `json:"stats"`
				} `json:"series"`
			} `json:"metrics"`
		}
		if err := json.Unmarshal(b, &sm); err != nil {
			t.Fatal(err)
		}
		total := func(name string) float64 {
			m, ok := sm.Metrics[name]
			if !ok || len(m.Series) == 0 {
				t.Fatalf("capacity %s: %s not in server_metrics_export.json", capacity, name)
			}
			return m.Series[0].Stats["total"]
		}
		q := total("vllm:prefix_cache_queries")
		if q <= 0 {
			t.Fatalf("capacity %s: no prefix cache queries exported", capacity)
		}
		return total("vllm:prefix_cache_hits") / q
	}
	small, large := hitRate("64"), hitRate("1000000")
	t.Logf("prefix cache hit rate: %.3f with 64 tokens of KV, %.3f with 1,000,000", small, large)
	if !(large > small+0.2) {
		t.Fatalf("hit rate did not follow capacity: %.3f (64 tokens) vs %.3f (1M tokens)", small, large)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 8192: "8,192", 1048576: "1,048,576", 123456789: "123,456,789"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
