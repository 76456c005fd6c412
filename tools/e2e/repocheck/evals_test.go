package repocheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeEvalLoadgen stands for bin/loadgen: `sim-eval` records its arguments
// (one per line, appended to $RECORD with a "--" line after each call) and
// writes an lm-eval results and samples file under --output-path, or fails
// when its --num-concurrent is $FAIL_CONC; anything else (a throughput run)
// is recorded and fails the test through $RECORD.
const fakeEvalLoadgen = `#!/usr/bin/env bash
{ printf '%s\n' "$@"; echo --; } >> "$RECORD"
[[ "$1" == sim-eval ]] || exit 3
out="" conc=""
while (($# > 0)); do
    case "$1" in
        --output-path) out=$2; shift 2 ;;
        --num-concurrent) conc=$2; shift 2 ;;
        *) shift ;;
    esac
done
if [[ "$conc" == "${FAIL_CONC:-}" ]]; then
    exit 1
fi
mkdir -p "$out/org__model"
echo '{"results": {"gsm8k": {"exact_match,strict-match": 0.95}}, "lm_eval_version": "simulated"}' > "$out/org__model/results_2026-08-01T10-00-00.json"
echo '{"doc_id": 0}' > "$out/org__model/samples_gsm8k_2026-08-01T10-00-00.jsonl"
echo "$out/org__model/results_2026-08-01T10-00-00.json"
`

// fakePython has no lm_eval; reading a model's config prints $NATIVE_CTX
// (nothing when unset, as when transformers is missing).
const fakePython = `#!/usr/bin/env bash
if [[ "$1" == -c ]]; then
    exit 1
fi
cat >/dev/null
if [[ -n "${NATIVE_CTX:-}" ]]; then
    echo "$NATIVE_CTX"
    exit 0
fi
exit 1
`

// runEvalJob runs run_standard_benchmark as an eval-only job of the
// simulated runner, with the fakes above, in a fresh workspace.
func runEvalJob(t *testing.T, env []string) (code int, out, dir string) {
	t.Helper()
	var ready atomic.Bool
	ready.Store(true)
	port := healthServer(t, &ready)
	root := repoRoot(t)
	dir = t.TempDir()
	write(t, dir, "bin/loadgen", fakeEvalLoadgen)
	write(t, dir, "bin/python3", fakePython)
	for _, f := range []string{"loadgen", "python3"} {
		if err := os.Chmod(filepath.Join(dir, "bin", f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := "source \"$LIB\"\nsleep 60 >/dev/null 2>&1 &\nSERVER_PID=$!\nrun_standard_benchmark --backend vllm\n" +
		"status=$?\nkill \"$SERVER_PID\" 2>/dev/null\nexit \"$status\"\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + filepath.Join(dir, "bin") + ":" + os.Getenv("PATH"),
		"LIB=" + filepath.Join(root, "benchmarks", "benchmark_lib.sh"),
		"WORKSPACE_DIR=" + dir, "TMPDIR=" + t.TempDir(),
		"LOADGEN_BIN=" + filepath.Join(dir, "bin", "loadgen"),
		"RECORD=" + filepath.Join(dir, "args"),
		"HEALTH_POLL_INTERVAL=0.1", "PORT=" + port,
		"MODEL=org/model", "MODEL_PREFIX=toy", "ISL=1024", "OSL=128", "MAX_MODEL_LEN=1352", "CONC=4",
		"RANDOM_RANGE_RATIO=0.8", "RESULT_FILENAME=job", "FRAMEWORK=sim", "PRECISION=fp8", "RUNNER_TYPE=sim",
		"TP=2", "EP_SIZE=2", "DP_ATTENTION=true", "SPEC_DECODING=none", "RECIPE_FINGERPRINT=abc123",
		"EVAL_ONLY=true", "RUN_EVAL=true", "LM_EVAL_STANDIN=1",
	}, env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
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
		t.Fatalf("the eval job did not return; output:\n%s", buf.String())
	}
	return code, buf.String(), dir
}

// calls splits the fake loadgen's record into one argument list per call.
func calls(t *testing.T, dir string) [][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	var cur []string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if l == "--" {
			out = append(out, cur)
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	return out
}

func argAfter(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func readMeta(t *testing.T, dir string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "meta_env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("meta_env.json is not JSON: %v\n%s", err, data)
	}
	return m
}

// TestEvalOnlyJob: an eval-only job runs no throughput benchmark, asks the
// server with the stand-in at the job's concurrency and a budget from the
// context length, and leaves meta_env.json and lm-eval's files in the
// workspace for upload.
func TestEvalOnlyJob(t *testing.T) {
	code, out, dir := runEvalJob(t, nil)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	cs := calls(t, dir)
	if len(cs) != 1 || cs[0][0] != "sim-eval" {
		t.Fatalf("loadgen calls %q, want one sim-eval", cs)
	}
	// No native limit known: the context is MAX_MODEL_LEN (1352), answers
	// get half of it.
	for flag, want := range map[string]string{"--num-concurrent": "4", "--max-tokens": "676", "--limit": "16", "--model": "org/model"} {
		if got := argAfter(cs[0], flag); got != want {
			t.Errorf("%s %q, want %q", flag, got, want)
		}
	}
	if !strings.HasSuffix(argAfter(cs[0], "--task-file"), "benchmarks/evals/gsm8k.yaml") {
		t.Errorf("task file %q", argAfter(cs[0], "--task-file"))
	}
	if !strings.Contains(out, "SIMULATED eval") || !strings.Contains(out, "no throughput run") {
		t.Errorf("output does not say what ran:\n%s", out)
	}
	for _, f := range []string{"results_2026-08-01T10-00-00.json", "samples_gsm8k_2026-08-01T10-00-00.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s is not in the workspace: %v", f, err)
		}
	}
	m := readMeta(t, dir)
	want := map[string]any{"is_multinode": false, "framework": "sim", "precision": "fp8", "recipe_fingerprint": "abc123",
		"tp": 2.0, "ep": 2.0, "dp_attention": true, "conc": 4.0, "prefill_tp": 2.0, "decode_ep": 2.0,
		"decode_dp_attention": true, "infmax_model_prefix": "toy", "hw": "sim", "isl": "1024", "model": "org/model"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("meta_env.json %s = %v, want %v", k, m[k], v)
		}
	}
	if _, ok := m["eval_concs"]; ok {
		t.Error("a single-concurrency eval says eval_concs")
	}
}

// TestBatchedEval: a list of concurrencies runs one eval each against the
// same server; a failed one is recorded, not fatal (the gate fails the job
// after the upload), and each one's files carry its concurrency.
func TestBatchedEval(t *testing.T) {
	code, out, dir := runEvalJob(t, []string{"EVAL_CONC=4 8 16", "FAIL_CONC=8", "IS_MULTINODE=true", `MODEL_NAME=org/"odd" \model`,
		"PREFILL_TP=4", "PREFILL_EP=4", "PREFILL_DP_ATTN=true", "PREFILL_NUM_WORKERS=2",
		"DECODE_TP=8", "DECODE_EP=8", "DECODE_DP_ATTN=false", "DECODE_NUM_WORKERS=1"})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var concs []string
	for _, c := range calls(t, dir) {
		concs = append(concs, argAfter(c, "--num-concurrent"))
	}
	if !slices.Equal(concs, []string{"4", "8", "16"}) {
		t.Errorf("concurrencies run %q", concs)
	}
	for _, f := range []string{"results_2026-08-01T10-00-00_conc4.json", "results_2026-08-01T10-00-00_conc16.json",
		"samples_gsm8k_2026-08-01T10-00-00_conc4.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not staged: %v", f, err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*conc8*")); len(m) != 0 {
		t.Errorf("files of the failed concurrency: %v", m)
	}
	m := readMeta(t, dir)
	for k, v := range map[string]string{"eval_concs": "[4 8 16]", "completed_eval_concs": "[4 16]", "failed_eval_concs": "[8]"} {
		if got := fmt.Sprint(m[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	want := map[string]any{"is_multinode": true, "conc": 4.0, "tp": 4.0, "ep": 4.0, "dp_attention": true, "model": `org/"odd" \model`,
		"prefill_num_workers": 2.0, "decode_tp": 8.0, "decode_dp_attention": false}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("meta_env.json %s = %v, want %v", k, m[k], v)
		}
	}
	if !strings.Contains(out, "failed at concurrency 8") {
		t.Errorf("output does not name the failed concurrency:\n%s", out)
	}
}

func TestEvalJobFailures(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"the stand-in fails", []string{"FAIL_CONC=4"}, "SIMULATED eval"},
		{"a bad concurrency list", []string{"EVAL_CONC=4 x"}, "invalid eval concurrency 'x'"},
		{"a meta field that is not a number", []string{"TP=two"}, "TP must be an integer, got 'two'"},
		{"a bad question count", []string{"EVAL_LIMIT=ten"}, "EVAL_LIMIT must be a number of questions"},
		{"an unknown framework", []string{"EVAL_FRAMEWORK=swebench"}, "unknown eval framework 'swebench'"},
		{"a missing task", []string{"EVAL_TASKS_DIR=nosuch"}, "no task definition"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, _ := runEvalJob(t, c.env)
			if code == 0 || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, output:\n%s\nwant a failure saying %q", code, out, c.want)
			}
		})
	}
}

// TestEvalContextLength: the eval's context is the job's (ISL+OSL+256 for
// setup_eval_context), capped at what the model was built for.
func TestEvalContextLength(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	write(t, dir, "bin/python3", fakePython)
	if err := os.Chmod(filepath.Join(dir, "bin", "python3"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		native, call, want string
	}{
		{"", "setup_eval_context; echo \"$EVAL_MAX_MODEL_LEN\"", "9472"},
		{"4096", "setup_eval_context; echo \"$EVAL_MAX_MODEL_LEN\"", "4096"},
		{"163840", "compute_eval_context_length m 0", "163840"},
		{"", "compute_eval_context_length m 0", "2248"},
		{"", "MAX_MODEL_LEN= compute_eval_context_length m 0", "16384"},
	}
	for _, c := range cases {
		cmd := exec.Command("bash", "-c", "source \"$LIB\"; "+c.call)
		cmd.Env = []string{"PATH=" + filepath.Join(dir, "bin") + ":" + os.Getenv("PATH"), "LIB=" + filepath.Join(root, "benchmarks", "benchmark_lib.sh"),
			"NATIVE_CTX=" + c.native, "MODEL=org/m", "ISL=8192", "OSL=1024", "MAX_MODEL_LEN=2248"}
		out, err := cmd.Output()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err != nil || lines[len(lines)-1] != c.want {
			t.Errorf("native %q, %s: %q, %v; want %s", c.native, c.call, out, err, c.want)
		}
	}
}
