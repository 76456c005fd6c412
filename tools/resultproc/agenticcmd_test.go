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

	// Any argument is a usage error, exit status 2 (flag's convention).
	for _, args := range [][]string{{"extra"}, {"-x"}, {"--", "a"}, {"out"}} {
		cmd := exec.Command(bin, append([]string{"agentic"}, args...)...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("agentic %q: %v, want exit status 2\n%s", args, err, out)
		}
	}
}

// The result is written to a temporary file beside the target and renamed
// over it: a run that fails at the write leaves nothing behind, and a
// successful one replaces the old file rather than writing into it.
func TestAgenticResultWrittenByRename(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "resultproc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	src := filepath.Join("agentic", "testdata", "cases", "basic_no_server_metrics")
	run := func(work string) (int, string) {
		cmd := exec.Command(bin, "agentic")
		cmd.Dir = work
		cmd.Env = append(agenticCaseEnv(t, src), "HOME="+filepath.Join(work, "no_home"))
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	setup := func() string {
		work := t.TempDir()
		if err := os.CopyFS(work, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(work, "out"), 0o755); err != nil {
			t.Fatal(err)
		}
		return work
	}

	// The target is a directory: the rename fails after the data is
	// written, and the temporary file goes with the failure.
	work := setup()
	target := filepath.Join(work, "out", "agg_test.json")
	if err := os.MkdirAll(filepath.Join(target, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out := run(work)
	if code != 1 || !strings.Contains(out, "agg_test.json") {
		t.Errorf("exit %d, want 1 with a message naming the file:\n%s", code, out)
	}
	entries, err := os.ReadDir(filepath.Join(work, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "agg_test.json" || !entries[0].IsDir() {
		t.Errorf("out/ holds %v after the failed write; want only the agg_test.json directory", entries)
	}
	if inner, _ := os.ReadDir(target); len(inner) != 1 || inner[0].Name() != "inside" {
		t.Errorf("the directory in the way was changed: %v", inner)
	}

	// An old result with a second link to it: writing in place would
	// change both names, a rename leaves the other link on the old data.
	work = setup()
	target = filepath.Join(work, "out", "agg_test.json")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(work, "out", "old_link")
	if err := os.Link(target, other); err != nil {
		t.Fatal(err)
	}
	if code, out := run(work); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if data, _ := os.ReadFile(other); string(data) != "old" {
		t.Errorf("the old file was written in place: its other link now holds %.40q", data)
	}
	got, _ := os.ReadFile(target)
	want, _ := os.ReadFile(filepath.Join(src, "expected.json"))
	if !bytes.Equal(got, want) {
		t.Error("out/agg_test.json is not the new result")
	}
	entries, _ = os.ReadDir(filepath.Join(work, "out"))
	if len(entries) != 2 {
		t.Errorf("out/ holds %v; want the result and the old link, no temporary file", entries)
	}
}
