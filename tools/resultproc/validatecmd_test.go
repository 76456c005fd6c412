package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"
)

// TestValidateAgenticUpstream runs `resultproc validate-agentic` on every
// case scripts/gen-agentic-golden.py ran upstream's
// validate_agentic_result.py on: the exit status and stdout are upstream's
// byte for byte; stderr starts with upstream's ERROR lines (our breakdown
// of the failed records follows, kept in go.stderr); a usage error ends
// with upstream's message under our program name.
func TestValidateAgenticUpstream(t *testing.T) {
	root, err := filepath.Abs("agenticvalid/testdata/cases")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("%v (run scripts/gen-agentic-golden.py)", err)
	}
	if len(entries) < 30 {
		t.Fatalf("%d cases, want at least 30", len(entries))
	}
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			read := func(name string) string {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			args := strings.Split(strings.TrimSuffix(read("args"), "\n"), "\n")
			wantRC, err := strconv.Atoi(strings.TrimSpace(read("rc")))
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			var stdout, stderr bytes.Buffer
			rc := run(append([]string{"validate-agentic"}, args...), ".", &stdout, &stderr, func(string) (string, bool) { return "", false })
			if rc != wantRC {
				t.Fatalf("exit %d, upstream %d; stderr:\n%s", rc, wantRC, stderr.String())
			}
			if got, want := stdout.String(), read("stdout"); got != want {
				t.Errorf("stdout:\n%q\nupstream:\n%q", got, want)
			}
			want := read("stderr")
			switch rc {
			case 2:
				lines := strings.Split(strings.TrimSpace(want), "\n")
				last := strings.Replace(lines[len(lines)-1], "validate_agentic_result.py", "resultproc validate-agentic", 1)
				if !strings.HasSuffix(strings.TrimSpace(stderr.String()), last) {
					t.Errorf("stderr:\n%s\nwant it to end with upstream's %q", stderr.String(), last)
				}
			default:
				if !strings.HasPrefix(stderr.String(), want) {
					t.Errorf("stderr:\n%s\nwant it to start with upstream's:\n%s", stderr.String(), want)
				}
				golden.Check(t, filepath.Join(dir, "go.stderr"), stderr.Bytes())
			}
		})
	}
}

// TestValidateAgenticBinary runs the built binary on a failing case.
func TestValidateAgenticBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "resultproc")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "validate-agentic", "aiperf_artifacts", "--failed-request-threshold", "0.10")
	cmd.Dir = "agenticvalid/testdata/cases/fail_upstream_example"
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1", err)
	}
	for _, want := range []string{
		"ERROR: aiperf request error rate exceeded the benchmark limit: 65/67 = 97.015% > 10.000%\n",
		"  ServerError: 3 (0 in warmup); first at line 1: Internal Server Error …\n",
		"  ContextOverflow: 1 (0 in warmup); first at line 4: This model's maximum context length is 8192 tokens\n",
		"  Cancelled: 1 (1 in warmup); first at line 5: cancelled at --duration\n",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr:\n%s\nlacks %q", stderr.String(), want)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
}
