package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// agenticCaseEnv reads an agentic case's env file (KEY=VALUE lines).
func agenticCaseEnv(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// TestAgenticBinary runs the built `resultproc agentic` the way
// benchmark_lib.sh's write_agentic_result_json does, on a replay of our
// loadgen against the simulated server with a CPU offload tier, and on
// a records file with a broken line.
func TestAgenticBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "resultproc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(name string) (string, int, string, string) {
		src := filepath.Join("agentic", "testdata", "cases", name)
		work := t.TempDir()
		if err := os.CopyFS(work, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "agentic")
		cmd.Dir = work
		cmd.Env = append(agenticCaseEnv(t, src), "HOME="+filepath.Join(work, "no_home"))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return work, code, stdout.String(), stderr.String()
	}

	work, code, stdout, stderr := run("replay_offload")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	src := filepath.Join("agentic", "testdata", "cases", "replay_offload")
	for file, got := range map[string]string{"stdout": stdout} {
		want, _ := os.ReadFile(filepath.Join(src, file))
		if got != string(want) {
			t.Errorf("%s:\n%s\nupstream:\n%s", file, got, want)
		}
	}
	got, err := os.ReadFile(filepath.Join(work, "out", "agg_test.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(src, "expected.json"))
	if !bytes.Equal(got, want) {
		t.Error("out/agg_test.json differs from upstream's expected.json")
	}

	work, code, stdout, stderr = run("malformed_line")
	if code != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
	}
	if !strings.Contains(stderr, "results/aiperf_artifacts/profile_export.jsonl:3: invalid JSON") {
		t.Errorf("stderr %q does not name the file and line", stderr)
	}
	if _, err := os.Stat(filepath.Join(work, "out")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("out/ exists after a failed run: %v", err)
	}

	if out, err := exec.Command(bin, "agentic", "extra").CombinedOutput(); err == nil {
		t.Errorf("an argument is accepted: %s", out)
	}
}
