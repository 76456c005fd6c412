package repocheck

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeLoadgen records its arguments (one per line) and writes the result
// file loadgen would write; with FAKE_LOADGEN_SLEEP it becomes a process
// that runs that long and writes nothing.
const fakeLoadgen = `#!/usr/bin/env bash
printf '%s\n' "$@" > "$RECORD"
if [[ -n "${FAKE_LOADGEN_SLEEP:-}" ]]; then
    exec sleep "$FAKE_LOADGEN_SLEEP"
fi
dir="" name=""
while (($# > 0)); do
    case "$1" in
        --result-dir) dir=$2; shift 2 ;;
        --result-filename) name=$2; shift 2 ;;
        *) shift ;;
    esac
done
echo '{"completed": 40}' > "$dir/$name"
`

// healthServer answers GET /health with 200 once ready is set.
func healthServer(t *testing.T, ready *atomic.Bool) (port string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" && ready.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// runLib sources benchmarks/benchmark_lib.sh in a job's environment, starts
// `server` (a command standing in for the serving stack) in the background
// as SERVER_PID, and runs run_standard_benchmark with args.
func runLib(t *testing.T, env []string, server string, args ...string) (code int, out string, dir string) {
	t.Helper()
	root := repoRoot(t)
	dir = t.TempDir()
	write(t, dir, "bin/loadgen", fakeLoadgen)
	if err := os.Chmod(filepath.Join(dir, "bin", "loadgen"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "source \"$LIB\"\n" + server + " >/dev/null 2>&1 &\nSERVER_PID=$!\nrun_standard_benchmark " + strings.Join(args, " ") +
		"\nstatus=$?\nkill \"$SERVER_PID\" 2>/dev/null\nexit \"$status\"\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"LIB=" + filepath.Join(root, "benchmarks", "benchmark_lib.sh"),
		"WORKSPACE_DIR=" + dir,
		"LOADGEN_BIN=" + filepath.Join(dir, "bin", "loadgen"),
		"RECORD=" + filepath.Join(dir, "args"),
		"HEALTH_POLL_INTERVAL=0.1",
		"MODEL=org/model", "ISL=1024", "OSL=128", "CONC=4", "RANDOM_RANGE_RATIO=0.8", "RESULT_FILENAME=job",
	}, env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 5 * time.Second
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("run_standard_benchmark did not return; output:\n%s", buf.String())
	}
	return code, buf.String(), dir
}

func TestStandardBenchmarkRunsLoadgen(t *testing.T) {
	var ready atomic.Bool
	ready.Store(true)
	port := healthServer(t, &ready)
	code, out, dir := runLib(t, []string{"PORT=" + port}, "sleep 60", "--backend", "openai", "--use-chat-template")
	if code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := []string{
		"--model", "org/model", "--backend", "openai", "--base-url", "http://127.0.0.1:" + port,
		"--dataset-name", "random", "--random-input-len", "1024", "--random-output-len", "128",
		"--random-range-ratio", "0.8", "--num-prompts", "40", "--max-concurrency", "4",
		"--request-rate", "inf", "--ignore-eos", "--save-result", "--num-warmups", "8",
		"--percentile-metrics", "ttft,tpot,itl,e2el", "--result-dir", dir, "--result-filename", "job.json",
		"--use-chat-template",
	}
	if !slices.Equal(got, want) {
		t.Errorf("loadgen arguments:\n%q\nwant\n%q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "job.json")); err != nil {
		t.Errorf("no result in the workspace: %v", err)
	}
}

func TestStandardBenchmarkWaitsForHealth(t *testing.T) {
	var ready atomic.Bool
	port := healthServer(t, &ready)
	time.AfterFunc(500*time.Millisecond, func() { ready.Store(true) })
	start := time.Now()
	code, out, _ := runLib(t, []string{"PORT=" + port}, "sleep 60", "--backend", "vllm")
	if code != 0 {
		t.Fatalf("exit %d; output:\n%s", code, out)
	}
	if time.Since(start) < 500*time.Millisecond {
		t.Errorf("the benchmark did not wait for /health")
	}
	if !strings.Contains(out, "is healthy") {
		t.Errorf("output does not say the server became healthy:\n%s", out)
	}
}

func TestStandardBenchmarkFailures(t *testing.T) {
	var never, always atomic.Bool
	always.Store(true)
	cases := []struct {
		name    string
		ready   *atomic.Bool
		env     []string
		server  string
		wantOut string
	}{
		{"server dies while starting", &never, nil, "sleep 0.3", "exited before it became healthy"},
		{"server dies during the benchmark", &always, []string{"FAKE_LOADGEN_SLEEP=20"}, "sleep 1", "died during the benchmark"},
		{"job variable missing", &always, []string{"CONC="}, "sleep 60", "required environment variables are not set: CONC"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := healthServer(t, c.ready)
			start := time.Now()
			code, out, _ := runLib(t, append([]string{"PORT=" + port}, c.env...), c.server, "--backend", "vllm")
			if code == 0 || !strings.Contains(out, c.wantOut) {
				t.Errorf("exit %d, output:\n%s\nwant a failure saying %q", code, out, c.wantOut)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("took %s to notice", d)
			}
		})
	}
}

// TestHealthWithoutCurl checks the /dev/tcp fallback of the health probe.
func TestHealthWithoutCurl(t *testing.T) {
	var ready atomic.Bool
	port := healthServer(t, &ready)
	root := repoRoot(t)
	bashPath, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	probe := func() int {
		// PATH holds nothing but bash: no curl.
		cmd := exec.Command(bashPath, "-c", `source "$LIB"; _server_healthy "$PORT"`)
		cmd.Env = []string{"PATH=" + t.TempDir(), "LIB=" + filepath.Join(root, "benchmarks", "benchmark_lib.sh"), "PORT=" + port}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return 0
	}
	if code := probe(); code == 0 {
		t.Error("healthy while /health answers 503")
	}
	ready.Store(true)
	if code := probe(); code != 0 {
		t.Errorf("exit %d while /health answers 200", code)
	}
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
}
