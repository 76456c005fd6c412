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
	"strings"
	"testing"
	"time"
)

// fakeReplay stands in for loadgen: it records its arguments and writes an
// artifact; FAKE_REPLAY_EXIT sets its status.
const fakeReplay = `#!/usr/bin/env bash
printf '%s\n' "$@" > "$RECORD.loadgen"
dir=""
while (($# > 0)); do
    case "$1" in
        --output-artifact-dir) dir=$2; shift 2 ;;
        *) shift ;;
    esac
done
mkdir -p "$dir"
echo '{"vllm:prefix_cache_hits": {}, "sglang:cache_hit_rate": {}, "atom:prefix_cache_hits": {}}' > "$dir/server_metrics_export.json"
exit "${FAKE_REPLAY_EXIT:-0}"
`

// fakeResultproc records each call (arguments and the variables upstream's
// aggregation reads) and writes the aggregate; FAKE_VALIDATE_EXIT sets the
// validity check's status.
const fakeResultproc = `#!/usr/bin/env bash
printf '%s|RESULT_DIR=%s|AGENTIC_OUTPUT_DIR=%s|RESULT_FILENAME=%s\n' "$*" "${RESULT_DIR:-}" "${AGENTIC_OUTPUT_DIR:-}" "$RESULT_FILENAME" >> "$RECORD.resultproc"
if [[ "$1 ${2:-}" == "agentic " ]]; then
    echo '{"scenario_type": "agentic-coding"}' > "$AGENTIC_OUTPUT_DIR/$RESULT_FILENAME.json"
fi
if [[ "$1" == validate-agentic ]]; then
    exit "${FAKE_VALIDATE_EXIT:-0}"
fi
`

// runAgenticLib sources benchmark_lib.sh and runs the agentic sequence of a
// benchmarks/agentic/ script with fake loadgen and resultproc binaries.
func runAgenticLib(t *testing.T, env ...string) (code int, out, dir string) {
	t.Helper()
	root := repoRoot(t)
	dir = t.TempDir()
	for name, body := range map[string]string{"bin/loadgen": fakeReplay, "bin/resultproc": fakeResultproc} {
		write(t, dir, name, body)
		if err := os.Chmod(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, dir, "traces.jsonl", "{}\n")
	script := `set -eo pipefail
source "$LIB"
resolve_trace_source
build_replay_cmd "$RESULT_DIR"
run_agentic_replay_and_write_outputs "$RESULT_DIR"
`
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"LIB=" + filepath.Join(root, "benchmarks", "benchmark_lib.sh"),
		"WORKSPACE_DIR=" + dir,
		"RECORD=" + filepath.Join(dir, "calls"),
		"GPUMON_BIN=/nonexistent", "ENABLE_AGENTX_POWER=0",
		"MODEL=org/model", "CONC=8", "TP=4", "DURATION=3600", "PORT=8123", "MAX_MODEL_LEN=0",
		"RESULT_FILENAME=job", "KV_OFFLOADING=none",
	}, env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, buf.String(), dir
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// TestAgenticReplayCommand pins the replay's command line to upstream's
// build_replay_cmd (AIPerf's flags, as loadgen replay takes them) and the
// aggregation and validity calls to upstream's process_agentic_result.py and
// validate_agentic_result.py.
func TestAgenticReplayCommand(t *testing.T) {
	cases := []struct {
		name    string
		env     []string
		changes map[string]string // flag -> value that differs from the base line
		extra   []string          // flags between --max-context-length and --output-artifact-dir, then the tail
		tail    []string
	}{
		{name: "public dataset", env: []string{"MODEL_PREFIX=dsv4"},
			tail: []string{"--public-dataset", "semianalysis_cc_traces_weka_062126"}},
		{name: "256k corpus for shorter contexts", env: []string{"MODEL_PREFIX=qwen3.5", "MAX_MODEL_LEN=262144"},
			extra: []string{"--max-context-length", "262144"},
			tail:  []string{"--public-dataset", "semianalysis_cc_traces_weka_062126_256k"}},
		{name: "local traces, short run", env: []string{"AGENTIC_TRACES=traces.jsonl", "DURATION=60", "SERVED_MODEL_NAME=served",
			"AIPERF_SERVER_METRICS_URLS=http://a:1/metrics,http://b:2/metrics"},
			changes: map[string]string{"--model": "served", "--benchmark-duration": "60"},
			extra:   []string{"--server-metrics", "http://a:1/metrics", "http://b:2/metrics"},
			tail:    []string{"--unsafe-override", "--input-file", "traces.jsonl"}},
		{name: "fast mode", env: []string{"MODEL_PREFIX=dsv4", "AIPERF_EXPERIMENTAL_FAST=1"},
			changes: map[string]string{"--benchmark-duration": "1200", "--warmup-requests-per-lane": "1"},
			tail:    []string{"--public-dataset", "semianalysis_cc_traces_weka_062126"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, dir := runAgenticLib(t, c.env...)
			if code != 0 {
				t.Fatalf("exit %d; output:\n%s", code, out)
			}
			base := [][2]string{
				{"--url", "http://localhost:8123"}, {"--endpoint", "/v1/chat/completions"}, {"--endpoint-type", "chat"},
				{"--streaming", ""}, {"--model", "org/model"}, {"--tokenizer", "org/model"}, {"--concurrency", "8"},
				{"--benchmark-duration", "3600"}, {"--stats-interval", "30"}, {"--random-seed", "42"},
				{"--failed-request-threshold", "0.10"}, {"--trajectory-start-min-ratio", "0.25"},
				{"--trajectory-start-max-ratio", "0.75"}, {"--warmup-requests-per-lane", "10"},
				{"--trace-idle-gap-cap-seconds", "300"}, {"--warmup-grace-period", "1800"}, {"--use-server-token-count", ""},
				{"--no-gpu-telemetry", ""}, {"--tokenizer-trust-remote-code", ""},
			}
			want := []string{"replay", "--scenario", "inferencex-agentx-mvp"}
			for _, kv := range base {
				want = append(want, kv[0])
				if v, ok := c.changes[kv[0]]; ok {
					want = append(want, v)
				} else if kv[1] != "" {
					want = append(want, kv[1])
				}
			}
			var metrics []string
			for i, f := range c.extra {
				if f == "--max-context-length" {
					want = append(want, f, c.extra[i+1])
				}
				if f == "--server-metrics" {
					metrics = c.extra[i:]
				}
			}
			want = append(want, "--num-dataset-entries", "393", "--slice-duration", "1.0")
			want = append(want, metrics...)
			want = append(want, "--output-artifact-dir", filepath.Join(dir, "results", "aiperf_artifacts"))
			want = append(want, c.tail...)
			if got := readLines(t, filepath.Join(dir, "calls.loadgen")); !slices.Equal(got, want) {
				t.Errorf("loadgen replay arguments:\n%q\nwant\n%q", got, want)
			}
			results := filepath.Join(dir, "results")
			wantCalls := []string{
				"agentic|RESULT_DIR=" + results + "|AGENTIC_OUTPUT_DIR=" + dir + "|RESULT_FILENAME=job",
				"validate-agentic " + filepath.Join(results, "aiperf_artifacts") + " --failed-request-threshold 0.10|RESULT_DIR=" + results + "|AGENTIC_OUTPUT_DIR=|RESULT_FILENAME=job",
			}
			if got := readLines(t, filepath.Join(dir, "calls.resultproc")); !slices.Equal(got, wantCalls) {
				t.Errorf("resultproc calls:\n%q\nwant\n%q", got, wantCalls)
			}
			if _, err := os.Stat(filepath.Join(dir, "job.json")); err != nil {
				t.Errorf("no aggregate in the workspace: %v", err)
			}
			if _, err := os.Stat(filepath.Join(results, "benchmark_command.txt")); err != nil {
				t.Errorf("no benchmark_command.txt: %v", err)
			}
		})
	}
}

// TestAgenticFailures: every output is written before a failure is
// returned, and each failure names itself.
func TestAgenticFailures(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		code int
		msg  string
	}{
		{"replay fails", []string{"FAKE_REPLAY_EXIT=1"}, 1, "the trace replay exited with 1"},
		{"too many errors", []string{"FAKE_VALIDATE_EXIT=3"}, 3, "not valid"},
		{"engine metrics missing", []string{"AIPERF_REQUIRED_SERVER_METRIC_PREFIX=dynamo_"}, 1, "has no metric named dynamo_*"},
		{"unknown corpus", []string{"WEKA_LOADER_OVERRIDE=nope"}, 1, "unknown WEKA_LOADER_OVERRIDE=nope"},
		{"bad duration", []string{"DURATION=1h"}, 1, "DURATION must be whole seconds"},
		{"bad metrics URLs", []string{"AIPERF_SERVER_METRICS_URLS=http://a,,http://b"}, 1, "AIPERF_SERVER_METRICS_URLS must be comma-separated URLs"},
		{"missing traces", []string{"AGENTIC_TRACES=nowhere.jsonl"}, 1, "AGENTIC_TRACES=nowhere.jsonl does not exist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, dir := runAgenticLib(t, c.env...)
			if code != c.code || !strings.Contains(out, c.msg) {
				t.Fatalf("exit %d, want %d with %q; output:\n%s", code, c.code, c.msg, out)
			}
			if c.code != 1 || strings.Contains(c.name, "replay") || strings.Contains(c.name, "metrics missing") {
				if _, err := os.Stat(filepath.Join(dir, "job.json")); err != nil {
					t.Errorf("the aggregate was not written before the failure: %v", err)
				}
			}
		})
	}
}

// TestAgenticOffloadChecks pins what the recipes' offload guards accept.
func TestAgenticOffloadChecks(t *testing.T) {
	root := repoRoot(t)
	cases := []struct {
		env  []string
		call string
		code int
		msg  string
	}{
		{[]string{"KV_OFFLOADING=none"}, "require_agentic_kv_offload_backend hicache", 1, ""},
		{[]string{"KV_OFFLOADING=dram", "KV_OFFLOAD_BACKEND=hicache", "TOTAL_CPU_DRAM_GB=512"}, "require_agentic_kv_offload_backend hicache", 0, ""},
		{[]string{"KV_OFFLOADING=dram", "KV_OFFLOAD_BACKEND=lmcache", "TOTAL_CPU_DRAM_GB=512"}, "require_agentic_kv_offload_backend hicache", 1, "offloads KV through hicache, but KV_OFFLOAD_BACKEND=lmcache"},
		{[]string{"KV_OFFLOADING=dram", "KV_OFFLOAD_BACKEND=hicache", "TOTAL_CPU_DRAM_GB=0"}, "require_agentic_kv_offload_backend hicache", 1, "positive TOTAL_CPU_DRAM_GB"},
		{[]string{"KV_OFFLOADING=none", "KV_OFFLOAD_BACKEND=hicache"}, "require_agentic_kv_offload_none", 1, "KV_OFFLOAD_BACKEND=hicache with KV_OFFLOADING=none"},
		{[]string{"KV_OFFLOADING=dram"}, "require_agentic_kv_offload_none", 1, "runs without KV offload"},
		{nil, "agentic_kv_offload_enabled", 1, "KV_OFFLOADING is not set"},
	}
	for _, c := range cases {
		cmd := exec.Command("bash", "-c", "source \"$LIB\"; "+c.call)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LIB=" + filepath.Join(root, "benchmarks", "benchmark_lib.sh"),
			"WORKSPACE_DIR=" + t.TempDir()}, c.env...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(string(out), c.msg) {
			t.Errorf("%v %s: exit %d %q, want %d with %q", c.env, c.call, code, out, c.code, c.msg)
		}
	}
}

// TestAgenticRecipes runs each framework's agentic script with fake server
// binaries (which only sleep; a local /health stands in), fake loadgen and
// resultproc: the server command line carries prefix caching and the job's
// KV offload, and the replay's outputs are written.
func TestAgenticRecipes(t *testing.T) {
	root := repoRoot(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	dram := []string{"KV_OFFLOADING=dram", "TOTAL_CPU_DRAM_GB=1600"}
	cases := []struct {
		script, command string
		env             []string
		want            []string
		not             []string
	}{
		{"dsv4_fp4_b200_vllm.sh", "vllm", nil,
			[]string{"vllm serve org/model", "--enable-prefix-caching", "--max-model-len 1048576", "--tensor-parallel-size 8", "--max-num-seqs 16"},
			[]string{"--kv-transfer-config"}},
		{"dsv4_fp4_b200_vllm.sh", "vllm", append([]string{"KV_OFFLOAD_BACKEND=vllm-simple", "DP_ATTENTION=true"}, dram...),
			[]string{"--kv-transfer-config", `\"cpu_bytes_to_use_per_rank\":200000000000`, "SimpleCPUOffloadConnector",
				"--data-parallel-size 8 --enable-expert-parallel"}, nil},
		{"qwen3.5_fp8_b200_sglang.sh", "sglang", nil,
			[]string{"-m sglang.launch_server --model-path org/model", "--page-size 64", "--context-length 262144", "--max-running-requests 16"},
			[]string{"--enable-hierarchical-cache"}},
		{"qwen3.5_fp8_b200_sglang.sh", "sglang", append([]string{"KV_OFFLOAD_BACKEND=hicache"}, dram...),
			// (1600 - 8) * 15 / 8 / 16 = 186 GB per rank.
			[]string{"--enable-hierarchical-cache --hicache-size 186", "--hicache-write-policy write_through_selective"}, nil},
		{"minimaxm3_fp4_b200_trt.sh", "trtllm", append([]string{"KV_OFFLOAD_BACKEND=native"}, dram...),
			[]string{"mpirun -n 1", "trtllm-serve org/model --tp_size 8"}, nil},
		{"glm5.2_fp4_mi355x_atom.sh", "atom", append([]string{"KV_OFFLOAD_BACKEND=lmcache"}, dram...),
			[]string{"-m atom.entrypoints.openai_server --model org/model", "--enable-prefix-caching", "lmcache_offload"}, nil},
	}
	for _, c := range cases {
		t.Run(c.script+" "+strings.Join(c.env, " "), func(t *testing.T) {
			dir := t.TempDir()
			fakes := filepath.Join(dir, "fakebin")
			for name, body := range map[string]string{"bin/loadgen": fakeReplay, "bin/resultproc": fakeResultproc,
				"fakebin/vllm": "#!/usr/bin/env bash\nexec sleep 30\n", "fakebin/mpirun": "#!/usr/bin/env bash\nexec sleep 30\n",
				"fakebin/python": "#!/usr/bin/env bash\nexec sleep 30\n"} {
				write(t, dir, name, body)
				if err := os.Chmod(filepath.Join(dir, name), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("bash", filepath.Join(root, "benchmarks", "agentic", c.script))
			cmd.Dir = dir
			cmd.Env = append([]string{
				"PATH=" + fakes + ":" + os.Getenv("PATH"), "PYTHON=" + filepath.Join(fakes, "python"),
				"WORKSPACE_DIR=" + dir, "RECORD=" + filepath.Join(dir, "calls"), "HEALTH_POLL_INTERVAL=0.1",
				"GPUMON_BIN=/nonexistent", "ENABLE_AGENTX_POWER=0", "PORT=" + port, "MODEL_PREFIX=dsv4",
				"MODEL=org/model", "CONC=8", "TP=8", "DURATION=3600", "RESULT_FILENAME=job", "KV_OFFLOADING=none",
			}, c.env...)
			var buf bytes.Buffer
			cmd.Stdout, cmd.Stderr = &buf, &buf
			cmd.WaitDelay = 5 * time.Second
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v; output:\n%s", err, buf.String())
			}
			data, err := os.ReadFile(filepath.Join(dir, "results", c.command+"_command.txt"))
			if err != nil {
				t.Fatal(err)
			}
			line := string(data)
			for _, w := range c.want {
				if !strings.Contains(line, w) {
					t.Errorf("server command lacks %q:\n%s", w, line)
				}
			}
			for _, w := range c.not {
				if strings.Contains(line, w) {
					t.Errorf("server command has %q:\n%s", w, line)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "job.json")); err != nil {
				t.Errorf("no aggregate: %v", err)
			}
		})
	}
}
