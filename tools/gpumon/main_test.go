package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
)

func noEnv(string) (string, bool) { return "", false }

func TestRunFake(t *testing.T) {
	out := filepath.Join(t.TempDir(), "g.csv")
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(context.Background(), []string{"--backend", "fake", "--fake-gpus", "3", "--duration", "300ms", "--interval", "0.05", "-o", out},
		&stdout, &stderr, noEnv)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f, err := gpumetrics.Parse(data)
	if err != nil || f.Truncated || len(f.Rows) < 3*4 || len(f.Rows)%3 != 0 {
		t.Fatalf("%v: %d rows", err, len(f.Rows))
	}
	last := f.Rows[len(f.Rows)-1]
	if last.Err != nil || last.UnixMilli < start.UnixMilli()+300 || last.UUID != "FAKE-GPU-2" {
		t.Errorf("last row %+v (start %d): the sample after the stop is missing", last, start.UnixMilli())
	}
	if !strings.Contains(stderr.String(), "SIMULATED") || !strings.Contains(stderr.String(), "stopped:") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestEnvironmentDefaults(t *testing.T) {
	env := map[string]string{"GPUMON_BACKEND": "fake", "GPUMON_FAKE_GPUS": "2"}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--duration", "50ms", "-o", "-"}, &stdout, &stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if code != 0 || !strings.HasPrefix(stdout.String(), gpumetrics.Header+"\n") || !strings.Contains(stdout.String(), ",1,FAKE-GPU-1,") {
		t.Errorf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
}

func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--interval", "0"}, 2, "--interval"},
		{[]string{"--interval", "soon"}, 2, "--interval"},
		{[]string{"--backend", "rocm"}, 2, "--backend"},
		{[]string{"--watch-pid", "-3"}, 2, "--watch-pid"},
		{[]string{"--backend", "fake", "--fake-gpus", "0", "--duration", "1ms"}, 1, "fake GPUs: 0"},
		{[]string{"--backend", "fake", "--duration", "1ms", "-o", "/nonexistent/dir/g.csv"}, 1, "no such file or directory"},
		{[]string{"--help"}, 0, ""},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr, noEnv)
		if code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q", c.args, code, c.code, stderr.String())
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"1": time.Second, "0.1": 100 * time.Millisecond, "250ms": 250 * time.Millisecond, "2s": 2 * time.Second} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
}

func build(t *testing.T, cgo string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gpumon")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
	if out, err := cmd.CombinedOutput(); err != nil {
		if cgo == "1" && os.Getenv("REQUIRE_CGO") == "" && strings.Contains(string(out), "C compiler") {
			t.Skipf("no C compiler for the cgo build (CI sets REQUIRE_CGO=1): %s", out)
		}
		t.Fatalf("go build (CGO_ENABLED=%s): %v\n%s", cgo, err, out)
	}
	return bin
}

// TestSignals runs the binary as the benchmark scripts do: SIGTERM stops
// it cleanly after a last sample; SIGKILL leaves a file whose rows are
// whole (a cut-off last row at worst); --watch-pid stops it with its job.
func TestSignals(t *testing.T) {
	bin := build(t, "0")
	dir := t.TempDir()
	start := func(name string, extra ...string) (*exec.Cmd, string, *bytes.Buffer) {
		out := filepath.Join(dir, name)
		var stderr bytes.Buffer
		cmd := exec.Command(bin, append([]string{"--backend", "fake", "--fake-gpus", "4", "--interval", "20ms", "-o", out}, extra...)...)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for its first rows.
		for i := 0; i < 200; i++ {
			if b, _ := os.ReadFile(out); strings.Count(string(b), "\n") > 8 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return cmd, out, &stderr
	}

	cmd, out, stderr := start("term.csv")
	before, _ := os.ReadFile(out)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("SIGTERM: %v\n%s", err, stderr.String())
	}
	after, _ := os.ReadFile(out)
	f, err := gpumetrics.Parse(after)
	if err != nil || f.Truncated || len(after) <= len(before) || len(f.Rows)%4 != 0 {
		t.Errorf("after SIGTERM: %v, truncated %v, %d rows (%d bytes before, %d after)", err, f != nil && f.Truncated, len(f.Rows), len(before), len(after))
	}

	cmd, out, _ = start("kill.csv")
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	data, _ := os.ReadFile(out)
	if f, err := gpumetrics.Parse(data); err != nil || len(f.Rows) < 8 {
		t.Errorf("after SIGKILL: %v", err)
	} else {
		for _, r := range f.Rows {
			if r.Err != nil {
				t.Errorf("after SIGKILL: %v", r.Err)
			}
		}
	}

	job := exec.Command("sleep", "0.3")
	if err := job.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = job.Wait() }()
	cmd, _, stderr = start("watch.csv", "--watch-pid", itoa(job.Process.Pid))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("--watch-pid: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Error("--watch-pid: gpumon outlived its job")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCgoBuildWithoutDriver builds gpumon as the GPU runners get it (cgo,
// NVML) and runs its NVIDIA backend here: without a driver it starts,
// says so and exits 1; with GPUs it records them. The build without cgo
// says what it lacks.
func TestCgoBuildWithoutDriver(t *testing.T) {
	bin := build(t, "1")
	cmd := exec.Command(bin, "--backend", "nvml", "--duration", "200ms", "-o", filepath.Join(t.TempDir(), "g.csv"))
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		t.Logf("an NVIDIA GPU is here: %s", out)
	case strings.Contains(string(out), "libnvidia-ml.so.1 could not be loaded: no NVIDIA driver"):
	default:
		t.Errorf("%v: %s", err, out)
	}
	nocgo := build(t, "0")
	out, err = exec.Command(nocgo, "--backend", "nvml", "--duration", "1ms").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "built without cgo") {
		t.Errorf("without cgo: %v %s", err, out)
	}
}
