package repocheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestScriptsStartGpumonBeforeTheServer: every single-node script starts
// the GPU monitor before it launches the serving stack (the window must be
// bracketed, and the idle start is part of the record); the multi-node
// recipes run it on their Slurm job's nodes.
func TestScriptsStartGpumonBeforeTheServer(t *testing.T) {
	root := repoRoot(t)
	scripts, _ := filepath.Glob(filepath.Join(root, "benchmarks", "*.sh"))
	launch := regexp.MustCompile(`(?m)^(SERVER_PID=\$!|.*start_trtllm_serve |start_sim_server )`)
	single := 0
	for _, p := range scripts {
		name := filepath.Base(p)
		if name == "benchmark_lib.sh" || name == "multinode_lib.sh" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if strings.Contains(text, "multinode_lib.sh") {
			continue
		}
		single++
		start := strings.Index(text, "\nstart_gpu_monitor\n")
		m := launch.FindStringIndex(text)
		switch {
		case m == nil:
			t.Errorf("%s: no server launch found", name)
		case start < 0:
			t.Errorf("%s: does not call start_gpu_monitor", name)
		case start > m[0]:
			t.Errorf("%s: starts the GPU monitor after the server", name)
		}
	}
	if single < 20 {
		t.Errorf("%d single-node scripts", single)
	}
	lib, err := os.ReadFile(filepath.Join(root, "benchmarks", "multinode_lib.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(lib), "\n    start_gpu_monitor_slurm \"$job\""); n < 2 {
		t.Errorf("multinode_lib.sh starts gpumon on %d kinds of Slurm job, want srtctl's and sglang_disagg's", n)
	}
}

// buildGpumon builds the real gpumon (without cgo: the fake backend is
// what these tests use).
func buildGpumon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gpumon")
	cmd := exec.Command("go", "build", "-o", bin, "./tools/gpumon")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build gpumon: %v\n%s", err, out)
	}
	return bin
}

func bashLib(t *testing.T, lib, script string, env []string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "-c", "source \"$LIB\"\n"+script)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LIB=" + filepath.Join(repoRoot(t), "benchmarks", lib)}, env...)
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
		return buf.String(), err
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("did not finish:\n%s", buf.String())
	}
	return "", nil
}

func TestGpuMonitorLifecycle(t *testing.T) {
	gpumon := buildGpumon(t)
	dir := t.TempDir()
	env := []string{"WORKSPACE_DIR=" + dir, "GPUMON_BIN=" + gpumon, "GPUMON_BACKEND=fake", "GPUMON_FAKE_GPUS=2"}
	out, err := bashLib(t, "benchmark_lib.sh", `start_gpu_monitor --interval 0.05
[[ -n "$GPU_MONITOR_PID" ]] || exit 3
sleep 0.4
stop_gpu_monitor
[[ -z "$GPU_MONITOR_PID" ]] || exit 4
echo "csv=$GPU_METRICS_CSV"`, env)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	csv := filepath.Join(dir, "gpu_metrics.csv")
	data, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(string(data), "\n") - 1
	if !strings.HasPrefix(string(data), "timestamp,index,uuid,power_w,energy_j\n") || rows < 8 || rows%2 != 0 {
		t.Errorf("%d rows:\n%s", rows, data)
	}
	for _, want := range []string{"[GPU Monitor] Started gpumon", "SIMULATED", "[GPU Monitor] Stopped", "csv=" + csv} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Without gpumon, or with one that cannot start, the benchmark goes on.
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"missing", []string{"WORKSPACE_DIR=" + dir, "GPUMON_BIN=" + filepath.Join(dir, "none")}, "no gpumon at"},
		{"no GPU", []string{"WORKSPACE_DIR=" + dir, "GPUMON_BIN=" + gpumon, "GPUMON_BACKEND=nvml"}, "gpumon did not start"},
	} {
		out, err := bashLib(t, "benchmark_lib.sh", `set -e
start_gpu_monitor
[[ -z "$GPU_MONITOR_PID" ]]
stop_gpu_monitor
echo carried-on`, c.env)
		if err != nil || !strings.Contains(out, c.want) || !strings.Contains(out, "carried-on") {
			t.Errorf("%s: %v\n%s", c.name, err, out)
		}
	}
}

// TestStandardBenchmarkStopsGpumon: the common end of the scripts stops the
// monitor after the run, on success and on failure.
func TestStandardBenchmarkStopsGpumon(t *testing.T) {
	var ready atomic.Bool
	ready.Store(true)
	port := healthServer(t, &ready)
	gpumon := buildGpumon(t)
	for _, loadgen := range []string{"", "FAKE_LOADGEN_SLEEP=0.1"} { // the second writes no result, as a failed run
		dir := t.TempDir()
		write(t, dir, "bin/loadgen", fakeLoadgen)
		_ = os.Chmod(filepath.Join(dir, "bin", "loadgen"), 0o755)
		out, err := bashLib(t, "benchmark_lib.sh", `start_gpu_monitor
sleep 60 >/dev/null 2>&1 &
SERVER_PID=$!
run_standard_benchmark --backend vllm
status=$?
kill "$SERVER_PID"
pgrep -f "$GPUMON_BIN" >/dev/null && { echo "gpumon still runs"; exit 9; }
exit "$status"`, []string{"WORKSPACE_DIR=" + dir, "GPUMON_BIN=" + gpumon, "GPUMON_BACKEND=fake", "PORT=" + port,
			"LOADGEN_BIN=" + filepath.Join(dir, "bin", "loadgen"), "RECORD=" + filepath.Join(dir, "args"), "HEALTH_POLL_INTERVAL=0.1",
			"MODEL=org/model", "ISL=1024", "OSL=128", "CONC=4", "RANDOM_RANGE_RATIO=0.8", "RESULT_FILENAME=job", loadgen})
		if strings.Contains(out, "gpumon still runs") || !strings.Contains(out, "[GPU Monitor] Stopped") {
			t.Errorf("%q: %v\n%s", loadgen, err, out)
		}
	}
}

// fakeSlurm is squeue and srun for start_gpu_monitor_slurm: the job runs on
// two nodes; srun runs the task command once per node (SLURM_NODEID,
// SLURMD_NODENAME) and passes SIGTERM on, as srun does.
const fakeSqueue = `#!/usr/bin/env bash
case "$*" in
  *%T*) echo RUNNING ;;
  *%D*) echo 2 ;;
esac
`

const fakeSrun = `#!/usr/bin/env bash
printf '%s\n' "$@" > "$SRUN_RECORD"
while [[ "$1" != bash ]]; do shift; done
pids=()
for n in 0 1; do
  SLURM_NODEID=$n SLURMD_NODENAME=node$n "$@" &
  pids+=($!)
done
trap 'kill -TERM "${pids[@]}"; wait; exit 0' TERM
wait
`

func TestGpuMonitorOnSlurmNodes(t *testing.T) {
	gpumon := buildGpumon(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "fakebin")
	write(t, bin, "squeue", fakeSqueue)
	write(t, bin, "srun", fakeSrun)
	_ = os.Chmod(filepath.Join(bin, "squeue"), 0o755)
	_ = os.Chmod(filepath.Join(bin, "srun"), 0o755)
	out, err := bashLib(t, "multinode_lib.sh", `start_gpu_monitor_slurm 4242 1
sleep 1
stop_gpu_monitor_slurm`, []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "GITHUB_WORKSPACE=" + dir, "GPUMON_BIN=" + gpumon,
		"GPUMON_BACKEND=fake", "GPUMON_FAKE_GPUS=4", "GPU_MONITOR_POLL=0.1", "SRUN_RECORD=" + filepath.Join(dir, "srun-args"),
		"GPU_MONITOR_SRUN_ARGS=--gres=gpu:4"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, f := range []string{"prefill_node0.csv", "decode_node1.csv"} {
		data, err := os.ReadFile(filepath.Join(dir, "gpu_metrics", f))
		if err != nil {
			t.Errorf("%v\n%s", err, out)
			continue
		}
		if rows := strings.Count(string(data), "\n") - 1; rows < 8 || !strings.HasSuffix(string(data), "\n") {
			t.Errorf("%s: %d rows", f, rows)
		}
	}
	args, _ := os.ReadFile(filepath.Join(dir, "srun-args"))
	for _, want := range []string{"--jobid=4242", "--overlap", "--nodes=2", "--ntasks-per-node=1", "--gres=gpu:4"} {
		if !strings.Contains(string(args), want+"\n") {
			t.Errorf("srun was not given %s:\n%s", want, args)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "gpu_metrics", ".srun.pid")); err == nil {
		t.Error("the pid file was left behind")
	}
	mergeNodeFiles(t, filepath.Join(dir, "gpu_metrics"))
}

// mergeNodeFiles runs resultproc on what start_gpu_monitor_slurm left, as
// the multi-node result step does: the node files must come out as one
// valid measurement of 4 prefill and 4 decode GPUs, split by the role in
// their names.
func mergeNodeFiles(t *testing.T, gpuMetrics string) {
	t.Helper()
	// A window inside both recordings: from the later first sample to the
	// earlier last one, with a margin for the bracketing samples.
	var first, last float64
	for i, f := range []string{"prefill_node0.csv", "decode_node1.csv"} {
		data, err := os.ReadFile(filepath.Join(gpuMetrics, f))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		lo, _ := strconv.ParseFloat(strings.Split(lines[1], ",")[0], 64)
		hi, _ := strconv.ParseFloat(strings.Split(lines[len(lines)-1], ",")[0], 64)
		if i == 0 || lo > first {
			first = lo
		}
		if i == 0 || hi < last {
			last = hi
		}
	}
	start, end := first+0.15, last-0.15
	if end-start < 0.3 {
		t.Fatalf("the recordings overlap only [%.3f, %.3f]", first, last)
	}
	work := t.TempDir()
	write(t, work, "r.json", fmt.Sprintf(`{"completed": 8, "total_input_tokens": 4096, "total_output_tokens": 1024, "duration": %.6f,
 "benchmark_start_time_unix": %.3f, "benchmark_end_time_unix": %.3f}`, end-start, start, end))
	write(t, work, "agg_r.json", "{}")
	cmd := exec.Command(buildResultproc(t), "power-nodes", "--gpu-metrics-dir", gpuMetrics, "--bench-result", "r.json",
		"--agg-result", "agg_r.json", "--prefill-gpus", "4", "--decode-gpus", "4", "--require-power")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("resultproc power-nodes: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(work, "agg_r.json"))
	if err != nil {
		t.Fatal(err)
	}
	var agg struct {
		Valid   int     `json:"power_valid"`
		Total   float64 `json:"total_gpu_energy_j"`
		Prefill float64 `json:"prefill_gpu_energy_j"`
		Decode  float64 `json:"decode_gpu_energy_j"`
	}
	if err := json.Unmarshal(data, &agg); err != nil {
		t.Fatal(err)
	}
	if agg.Valid != 1 || agg.Prefill <= 0 || agg.Decode <= 0 || math.Abs(agg.Prefill+agg.Decode-agg.Total) > 0.01 {
		t.Errorf("merged node files: %s", data)
	}
}

func TestRecipePrefillNodes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "r.yaml", "name: x\nresources:\n  gpu_type: gb200\n  prefill_nodes: 3\n  decode_nodes: 2\nbenchmark:\n  prefill_nodes: 9\n")
	out, err := bashLib(t, "multinode_lib.sh", `recipe_prefill_nodes "$DIR/r.yaml"`, []string{"DIR=" + dir})
	if err != nil || strings.TrimSpace(out) != "3" {
		t.Errorf("%q %v", out, err)
	}
}
