package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"
)

const (
	configs     = "../../configs"
	feb         = "testdata/feb2026"       // this repository's configs in the Feb-2026 format
	upstream    = "testdata/upstream-main" // upstream main's configs
	testdata    = "testdata/configs"       // hand-made Feb-2026 configs
	testdataNow = "testdata/configs-main"  // hand-made configs of today's format
)

// runCLI runs matrixgen in-process.
func runCLI(t testing.TB, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

// decode reads a JSON matrix keeping numbers exact.
func decode(t *testing.T, data []byte) []any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v []any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v\n%.400s", err, data)
	}
	return v
}

type compatCase struct {
	dir  string // the suite's directory
	name string
	args []string
}

// compatSuites: the directory of each suite's cases.txt and goldens, its
// placeholders and its default runner pool.
var compatSuites = []struct {
	dir            string
	placeholders   map[string]string
	defaultRunners string
}{
	{"testdata/compat", map[string]string{"{feb}": feb, "{testdata}": testdata}, feb + "/runners.yaml"},
	{"testdata/compat-main", map[string]string{"{upstream}": upstream, "{configs}": configs, "{testdata}": testdataNow}, upstream + "/runners.yaml"},
}

func compatCases(t *testing.T) []compatCase {
	t.Helper()
	var out []compatCase
	for _, suite := range compatSuites {
		f, err := os.Open(filepath.Join(suite.dir, "cases.txt"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			fields := strings.Fields(line)
			args := fields[1:]
			hasRunner := false
			for i, a := range args {
				for ph, sub := range suite.placeholders {
					a = strings.ReplaceAll(a, ph, sub)
				}
				// cases.txt quotes glob patterns for the shell.
				args[i] = strings.Trim(a, "'")
				hasRunner = hasRunner || a == "--runner-config"
			}
			if !hasRunner {
				args = append(args, "--runner-config", suite.defaultRunners)
			}
			out = append(out, compatCase{suite.dir, fields[0], args})
			n++
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if n < 40 {
			t.Fatalf("%s: only %d compat cases", suite.dir, n)
		}
	}
	return out
}

// TestCompat requires matrixgen to print what upstream's
// generate_sweep_configs.py printed (scripts/gen-matrixgen-compat.py): the
// same entries in the same order with the same values, for the Feb-2026
// original on Feb-2026 configs and for upstream main on today's.
func TestCompat(t *testing.T) {
	for _, c := range compatCases(t) {
		t.Run(filepath.Base(c.dir)+"/"+c.name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(c.dir, c.name+".json"))
			if err != nil {
				t.Fatalf("%v (run scripts/gen-matrixgen-compat.py)", err)
			}
			stdout, stderr, code := runCLI(t, nil, c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got, exp := decode(t, []byte(stdout)), decode(t, want)
			if len(got) != len(exp) {
				t.Fatalf("%d entries, the original has %d", len(got), len(exp))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], exp[i]) {
					t.Fatalf("entry %d differs:\n got  %v\n want %v", i, got[i], exp[i])
				}
			}
		})
	}
}

// TestCompatBytes checks that, where the original's key order is the one
// matrixgen writes, the output is byte for byte the original's.
func TestCompatBytes(t *testing.T) {
	for _, name := range []string{"full-single", "full-single-run-evals", "full-node-filter", "tc-one", "tc-several", "full-no-match",
		"um-full-fixed", "um-full-single", "ours-full-single-no-evals"} {
		t.Run(name, func(t *testing.T) {
			var args []string
			var dir string
			for _, c := range compatCases(t) {
				if c.name == name {
					args, dir = c.args, c.dir
				}
			}
			want, err := os.ReadFile(filepath.Join(dir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := runCLI(t, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if stdout != string(want) {
				t.Fatalf("output differs from the original's bytes\n got: %.300s\nwant: %.300s", stdout, want)
			}
		})
	}
}

type cliCase struct {
	name string
	args []string
	env  map[string]string
}

// cliCases are the command lines whose whole result (exit status, stdout,
// stderr) is kept in testdata/golden/<name>.txt.
var cliCases = []cliCase{
	{"help-top", []string{"-h"}, nil},
	{"help-full-sweep", []string{"full-sweep", "-h"}, nil},
	{"help-runner-model-sweep", []string{"runner-model-sweep", "--help"}, nil},
	{"help-test-config", []string{"test-config", "-h"}, nil},
	{"help-migrate", []string{"migrate", "-h"}, nil},
	{"no-command", nil, nil},
	{"unknown-command", []string{"sweep-all"}, nil},
	{"missing-config-files", []string{"full-sweep", "--single-node"}, nil},
	{"missing-node-type", []string{"full-sweep", "--config-files", feb + "/nvidia-master.yaml", "--runner-config", feb + "/runners.yaml"}, nil},
	{"both-node-types", []string{"full-sweep", "--config-files", feb + "/nvidia-master.yaml", "--runner-config", feb + "/runners.yaml", "--single-node", "--multi-node"}, nil},
	{"both-eval-modes", []string{"test-config", "--config-files", feb + "/nvidia-master.yaml", "--config-keys", "x", "--run-evals", "--evals-only"}, nil},
	{"no-evals-and-evals-only", []string{"test-config", "--config-files", configs + "/nvidia-master.yaml", "--config-keys", "x", "--no-evals", "--evals-only"}, nil},
	{"no-evals-and-all-evals", []string{"test-config", "--config-files", configs + "/nvidia-master.yaml", "--config-keys", "x", "--no-evals", "--all-evals"}, nil},
	{"flag-typo", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--single-node", "--max-concurrency", "4"}, nil},
	{"flag-abbreviated", []string{"full-sweep", "--config", configs + "/nvidia-master.yaml", "--single-node"}, nil},
	{"bad-seq-len", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--single-node", "--seq-lens", "2k2k"}, nil},
	{"bad-scenario-type", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--scenario-type", "long-context"}, nil},
	{"bad-int", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--single-node", "--max-conc", "lots"}, nil},
	// Each format keeps its own flags.
	{"run-evals-today", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--run-evals"}, nil},
	{"all-evals-feb2026", []string{"full-sweep", "--config-files", feb + "/nvidia-master.yaml", "--runner-config", feb + "/runners.yaml", "--single-node", "--all-evals", "--scenario-type", "fixed-seq-len"}, nil},
	{"test-config-seq-lens-feb2026", []string{"test-config", "--config-files", feb + "/nvidia-master.yaml", "--runner-config", feb + "/runners.yaml", "--config-keys", "dsr1-fp8-h200-sglang", "--seq-lens", "1k1k"}, nil},
	{"seq-lens-1k8k-today", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--seq-lens", "1k8k"}, nil},
	{"mixed-formats", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", feb + "/amd-master.yaml", "--runner-config", configs + "/runners.yaml"}, nil},
	{"feb2026-configs-today-runners", []string{"test-config", "--config-files", feb + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--config-keys", "gptoss-fp4-h100-vllm", "--conc", "64"}, nil},
	// Bugs of the original, fixed: each of these looped forever, or was
	// silently accepted, or crashed.
	{"step-size-1", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--single-node", "--step-size", "1"}, nil},
	{"min-conc-zero", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--single-node", "--min-conc", "0"}, nil},
	{"max-tp-negative", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--single-node", "--max-tp", "-1"}, nil},
	{"min-conc-above-max", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--single-node", "--min-conc", "64", "--max-conc", "8"}, nil},
	{"conc-start-zero", []string{"full-sweep", "--config-files", testdata + "/conc-start-zero.yaml", "--runner-config", feb + "/runners.yaml", "--single-node"}, nil},
	{"disagg-single-node", []string{"full-sweep", "--config-files", testdata + "/disagg-single.yaml", "--runner-config", feb + "/runners.yaml", "--single-node"}, nil},
	{"conc-list-single-node", []string{"full-sweep", "--config-files", testdata + "/conc-list-single.yaml", "--runner-config", feb + "/runners.yaml", "--single-node", "--run-evals"}, nil},
	{"conc-list-single-node-min-max", []string{"full-sweep", "--config-files", testdata + "/conc-list-single.yaml", "--runner-config", feb + "/runners.yaml", "--single-node", "--min-conc", "4", "--max-conc", "50"}, nil},
	{"conc-list-single-node-max-below", []string{"full-sweep", "--config-files", testdata + "/conc-list-single.yaml", "--runner-config", feb + "/runners.yaml", "--single-node", "--min-conc", "3", "--max-conc", "2"}, nil},
	{"test-config-node-filter", []string{"test-config", "--config-files", feb + "/nvidia-master.yaml", "--runner-config", feb + "/runners.yaml", "--config-keys", "gptoss-fp4-h100-vllm", "--runner-node-filter", "cr", "--conc", "4", "64"}, nil},
	{"test-config-node-filter-multi", []string{"test-config", "--config-files", feb + "/nvidia-master.yaml", "--runner-config", feb + "/runners.yaml", "--config-keys", "dsr1-fp8-h200-dynamo-trt", "--runner-node-filter", "dgxc", "--conc", "6"}, nil},
	{"test-config-node-filter-no-match", []string{"test-config", "--config-files", feb + "/nvidia-master.yaml", "--runner-config", feb + "/runners.yaml", "--config-keys", "gptoss-fp4-h100-vllm", "gptoss-fp4-h200-vllm", "--runner-node-filter", "cr"}, nil},
	{"test-config-node-filter-no-match-today", []string{"test-config", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--config-keys", "gptoss-fp4-h100-vllm", "gptoss-fp4-h200-vllm", "--runner-node-filter", "cr", "--conc", "64"}, nil},
	{"test-config-repeated-key", []string{"test-config", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--config-keys", "gptoss-fp4-h100-vllm", "gptoss-fp4-h100-vllm", "--conc", "64"}, nil},
	{"test-config-pattern-no-match", []string{"test-config", "--config-files", testdataNow + "/small.yaml", "--runner-config", testdataNow + "/small-runners.yaml", "--config-keys", "tiny-*", "huge-*"}, nil},
	{"runner-model-sweep-range-lowest", []string{"runner-model-sweep", "--config-files", testdata + "/multinode-range-lowest.yaml", "--runner-config", testdata + "/small-runners.yaml", "--runner-type", "gb200", "--multi-node"}, nil},
	{"runner-model-sweep-today", []string{"runner-model-sweep", "--config-files", testdataNow + "/small.yaml", "--runner-config", testdataNow + "/small-runners.yaml", "--runner-type", "gb200"}, nil},
	// Other rejected input.
	{"unknown-runner-type", []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--single-node", "--runner-type", "h200", "h300", "b400"}, nil},
	{"rms-unknown-runner-type", []string{"runner-model-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--runner-type", "h300", "--single-node"}, nil},
	{"rms-node-filter-no-match", []string{"runner-model-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--runner-type", "h200", "--single-node", "--runner-node-filter", "amd"}, nil},
	{"rms-conc-zero", []string{"runner-model-sweep", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--runner-type", "h200", "--single-node", "--conc", "0"}, nil},
	{"test-config-unknown-key", []string{"test-config", "--config-files", testdata + "/small.yaml", "--runner-config", testdata + "/small-runners.yaml", "--config-keys", "tiny-fp8-h200-vllm", "dsr1-fp8-h200-sglang"}, nil},
	{"test-config-conc-zero", []string{"test-config", "--config-files", testdata + "/small.yaml", "--runner-config", testdata + "/small-runners.yaml", "--config-keys", "tiny-fp8-h200-vllm", "--conc", "0"}, nil},
	{"conc-end-before-start", []string{"full-sweep", "--config-files", testdata + "/end-before-start.yaml", "--runner-config", feb + "/runners.yaml", "--single-node"}, nil},
	{"bad-types", []string{"full-sweep", "--config-files", testdata + "/bad-types.yaml", "--runner-config", feb + "/runners.yaml", "--single-node"}, nil},
	{"wildcard-key", []string{"test-config", "--config-files", testdata + "/wildcard-key.yaml", "--runner-config", feb + "/runners.yaml", "--config-keys", "x"}, nil},
	{"duplicate-across-files", []string{"full-sweep", "--config-files", feb + "/nvidia-master.yaml", testdata + "/duplicate-of-nvidia.yaml", "--runner-config", feb + "/runners.yaml", "--single-node"}, nil},
	{"yaml-syntax", []string{"full-sweep", "--config-files", testdata + "/yaml-syntax.yaml", "--runner-config", configs + "/runners.yaml", "--single-node"}, nil},
	{"duplicate-key", []string{"full-sweep", "--config-files", testdata + "/duplicate-key.yaml", "--runner-config", feb + "/runners.yaml", "--single-node"}, nil},
	{"unknown-runner-in-config", []string{"full-sweep", "--config-files", testdata + "/unknown-runner.yaml", "--runner-config", feb + "/runners.yaml", "--single-node"}, nil},
	{"missing-file", []string{"full-sweep", "--config-files", testdata + "/nope.yaml", configs + "/amd-master.yaml", "--runner-config", configs + "/runners.yaml", "--single-node"}, nil},
	{"missing-runner-config", []string{"full-sweep", "--config-files", configs + "/amd-master.yaml", "--runner-config", testdata + "/no-runners.yaml", "--single-node"}, nil},
	{"bad-runners", []string{"full-sweep", "--config-files", feb + "/amd-master.yaml", "--runner-config", testdata + "/bad-runners.yaml", "--single-node"}, nil},
	{"annotations-in-workflow", []string{"full-sweep", "--config-files", testdata + "/end-before-start.yaml", "--runner-config", feb + "/runners.yaml", "--single-node"}, map[string]string{"GITHUB_ACTIONS": "true"}},
	{"github-output-unset", []string{"test-config", "--config-files", testdata + "/small.yaml", "--runner-config", testdata + "/small-runners.yaml", "--config-keys", "wee-fp8-mi300x-sglang", "--github-output", "matrix"}, nil},
	// Today's format: every new field's bad input, with file:line:col and
	// the field path, exit 2.
	{"today-bad-types", []string{"full-sweep", "--config-files", testdataNow + "/bad-types.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-unknown-keys", []string{"full-sweep", "--config-files", testdataNow + "/unknown-keys.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-router-twice", []string{"full-sweep", "--config-files", testdataNow + "/router-twice.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-disagg-no-transfer", []string{"full-sweep", "--config-files", testdataNow + "/disagg-no-transfer.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-agentic-not-cluster", []string{"full-sweep", "--config-files", testdataNow + "/agentic-not-cluster.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-agentic-unknown-runner", []string{"full-sweep", "--config-files", testdataNow + "/agentic-unknown-runner.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-unknown-runner", []string{"full-sweep", "--config-files", testdataNow + "/unknown-runner.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-unknown-runner-allowed", []string{"full-sweep", "--config-files", testdataNow + "/unknown-runner.yaml", "--runner-config", testdataNow + "/small-runners.yaml", "--allow-unlisted-runners"}, map[string]string{"GITHUB_ACTIONS": "true"}},
	{"feb2026-allow-unlisted-runners", []string{"full-sweep", "--config-files", feb + "/amd-master.yaml", "--runner-config", feb + "/runners.yaml", "--allow-unlisted-runners"}, nil},
	{"today-dram-utilization", []string{"full-sweep", "--config-files", testdataNow + "/dram-utilization.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-dram-backend", []string{"full-sweep", "--config-files", testdataNow + "/dram-backend.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-dram-does-not-fit", []string{"full-sweep", "--config-files", testdataNow + "/dram-does-not-fit.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-tp-dcp", []string{"full-sweep", "--config-files", testdataNow + "/tp-dcp.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, nil},
	{"today-runners-feb2026", []string{"test-config", "--config-files", testdataNow + "/small.yaml", "--runner-config", testdata + "/small-runners.yaml", "--config-keys", "*agentic"}, nil},
}

func TestCLI(t *testing.T) {
	for _, c := range cliCases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, c.env, c.args...)
			var b strings.Builder
			fmt.Fprintf(&b, "$ matrixgen %s\nexit status %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(c.args, " "), code, stdout, stderr)
			golden.Check(t, filepath.Join("testdata/golden", c.name+".txt"), []byte(b.String()))
			// Whatever the case, a failure prints nothing on stdout and a
			// success prints a valid matrix.
			if code != 0 && stdout != "" && !strings.Contains(c.name, "help") {
				t.Errorf("exit %d with output on stdout", code)
			}
			if code == 0 && !strings.HasPrefix(c.name, "help") {
				decode(t, []byte(stdout))
			}
		})
	}
}

func TestGitHubOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "github_output")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out}
	stdout, stderr, code := runCLI(t, env, "test-config", "--config-files", testdata+"/small.yaml",
		"--runner-config", testdata+"/small-runners.yaml", "--config-keys", "wee-fp8-mi300x-sglang", "--github-output", "search-space-config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "search-space-config<<") {
		t.Fatalf("unexpected GITHUB_OUTPUT:\n%s", data)
	}
	delim := strings.TrimPrefix(lines[0], "search-space-config<<")
	if lines[2] != delim || lines[1]+"\n" != stdout {
		t.Fatalf("GITHUB_OUTPUT does not hold the printed matrix:\n%s", data)
	}
}

// TestBinary runs the built binary: exit statuses and streams as a
// workflow sees them.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "matrixgen")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cases := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"test-config", "--config-files", configs + "/nvidia-master.yaml", "--runner-config", configs + "/runners.yaml", "--config-keys", "gptoss-fp4-h100-vllm", "--conc", "4"}, 0, `"runner": "h100"`, ""},
		{[]string{"full-sweep", "--config-files", testdata + "/end-before-start.yaml", "--runner-config", feb + "/runners.yaml", "--single-node"}, 2, "", "end-before-start.yaml:17:17: dsr1-fp8-h200-sglang.seq-len-configs[0].search-space[2].conc-end: must be >= conc-start (64)"},
		{[]string{"full-sweep", "--config-files", testdataNow + "/router-twice.yaml", "--runner-config", testdataNow + "/small-runners.yaml"}, 2, "", "router-twice.yaml:16:17: k.scenarios.fixed-seq-len[0].search-space[1].router: router is also set at the top level"},
		{[]string{"full-sweep", "--single-node"}, 2, "", "the following arguments are required: --config-files"},
		{[]string{"-h"}, 0, "usage: matrixgen", ""},
	}
	for _, c := range cases {
		cmd := exec.Command(bin, c.args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(stdout.String(), c.inStdout) || !strings.Contains(stderr.String(), c.inStderr) {
			t.Errorf("%v: exit %d\nstdout: %.300s\nstderr: %s", c.args, code, stdout.String(), stderr.String())
		}
	}
}

// TestEveryConfigKeyGenerates runs test-config on each key of the real
// master configs: every recipe must validate and expand into jobs.
func TestEveryConfigKeyGenerates(t *testing.T) {
	var keys []string
	for _, name := range []string{"nvidia-master.yaml", "amd-master.yaml"} {
		data, err := os.ReadFile(filepath.Join(configs, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line != "" && line[0] != ' ' && line[0] != '#' && line[0] != '-' && strings.HasSuffix(line, ":") {
				keys = append(keys, strings.TrimSuffix(line, ":"))
			}
		}
	}
	if len(keys) < 35 {
		t.Fatalf("found only %d keys", len(keys))
	}
	for _, key := range keys {
		stdout, stderr, code := runCLI(t, nil, "test-config", "--config-files", configs+"/nvidia-master.yaml", configs+"/amd-master.yaml",
			"--runner-config", configs+"/runners.yaml", "--config-keys", key)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", key, code, stderr)
			continue
		}
		if n := len(decode(t, []byte(stdout))); n == 0 {
			t.Errorf("%s: no jobs", key)
		}
	}
}

// BenchmarkFullSweep is the whole of `matrixgen full-sweep` over both
// master configs, single-node: load, validate, expand, validate, encode.
func BenchmarkFullSweep(b *testing.B) {
	args := []string{"full-sweep", "--config-files", configs + "/nvidia-master.yaml", configs + "/amd-master.yaml",
		"--runner-config", configs + "/runners.yaml", "--single-node"}
	b.ReportAllocs()
	for b.Loop() {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb, func(string) string { return "" }); code != 0 {
			b.Fatal(errb.String())
		}
	}
}

// point is what a job runs, apart from the format's rules (max-model-len,
// the new parallelism fields, evals): the same recipes before and after a
// migration give the same points in the same order.
func points(t *testing.T, matrix []byte) []string {
	t.Helper()
	var out []string
	for _, e := range decode(t, matrix) {
		m := e.(map[string]any)
		// exp-name too: today's format names 1024/8192 1024_8192, not 1k8k.
		for _, k := range []string{"max-model-len", "exp-name", "pp", "dcp-size", "pcp-size", "run-eval", "kv-p2p-transfer"} {
			delete(m, k)
		}
		for _, side := range []string{"prefill", "decode"} {
			if w, ok := m[side].(map[string]any); ok {
				delete(w, "pp")
				delete(w, "dcp-size")
				delete(w, "pcp-size")
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestMigrate rewrites the Feb-2026 copy of this repository's configs with
// matrixgen migrate: the new files load in today's format and expand into
// the same search-space points (today's rules then apply to them:
// max-model-len isl+osl+256, evals on by default).
func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"nvidia-master.yaml", "amd-master.yaml", "runners.yaml"} {
		data, err := os.ReadFile(filepath.Join(feb, name))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	// Disaggregated recipes need their transfer engine named.
	_, stderr, code := runCLI(t, nil, append([]string{"migrate"}, files...)...)
	if code != 2 || !strings.Contains(stderr, "dsr1-fp4-b200-dynamo-trt.disagg: disagg: true needs kv-p2p-transfer") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile(files[0]); !strings.Contains(string(data), "seq-len-configs") {
		t.Fatal("a failed migration wrote a file")
	}
	_, stderr, code = runCLI(t, nil, append([]string{"migrate", "--kv-p2p-transfer", "nixl"}, files...)...)
	if code != 0 || !strings.Contains(stderr, "nvidia-master.yaml: 26 entries rewritten in today's format, 12 disaggregated ones with kv-p2p-transfer: nixl") ||
		!strings.Contains(stderr, "runners.yaml: 14 runner labels moved under labels:") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, c := range []struct{ old, now []string }{
		{[]string{"full-sweep", "--single-node"}, []string{"full-sweep", "--single-node", "--no-evals"}},
		{[]string{"full-sweep", "--multi-node"}, []string{"full-sweep", "--multi-node", "--no-evals"}},
		{[]string{"test-config", "--config-keys", "dsr1-fp8-h200-sglang", "dsr1-fp4-gb200-dynamo-sglang"}, []string{"test-config", "--no-evals", "--config-keys", "dsr1-fp8-h200-sglang", "dsr1-fp4-gb200-dynamo-sglang"}},
	} {
		before, stderr, code := runCLI(t, nil, append(c.old, "--config-files", feb+"/nvidia-master.yaml", feb+"/amd-master.yaml", "--runner-config", feb+"/runners.yaml")...)
		if code != 0 {
			t.Fatal(stderr)
		}
		after, stderr, code := runCLI(t, nil, append(c.now, "--config-files", files[0], files[1], "--runner-config", files[2])...)
		if code != 0 {
			t.Fatal(stderr)
		}
		p, q := points(t, []byte(before)), points(t, []byte(after))
		if len(p) < 10 || !reflect.DeepEqual(p, q) {
			t.Errorf("%v: %d points before, %d after the migration", c.old, len(p), len(q))
		}
		if !strings.Contains(after, `"max-model-len": 2304`) || strings.Contains(after, `"max-model-len": 2248`) {
			t.Errorf("%v: today's max-model-len rule does not apply", c.old)
		}
	}
	// Today's eval policy applies to the migrated configs: evals on by
	// default, only on 8k1k jobs at concurrency 16 or more.
	after, stderr, code := runCLI(t, nil, "full-sweep", "--single-node", "--config-files", files[0], files[1], "--runner-config", files[2])
	if code != 0 {
		t.Fatal(stderr)
	}
	evals := 0
	var rows []map[string]any
	if err := json.Unmarshal([]byte(after), &rows); err != nil {
		t.Fatal(err)
	}
	for _, e := range rows {
		if e["run-eval"] != true {
			continue
		}
		evals++
		if e["isl"] != 8192.0 || e["osl"] != 1024.0 || e["conc"].(float64) < 16 {
			t.Errorf("eval marked on isl=%v osl=%v conc=%v", e["isl"], e["osl"], e["conc"])
		}
	}
	if evals == 0 {
		t.Error("no eval job in the migrated configs' sweep")
	}
	// Migrating again changes nothing.
	_, stderr, code = runCLI(t, nil, append([]string{"migrate"}, files...)...)
	if code != 0 || strings.Count(stderr, "in today's format already; left as it is") != 3 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// --output-dir leaves the sources alone.
	out := t.TempDir()
	src := filepath.Join(feb, "amd-master.yaml")
	_, stderr, code = runCLI(t, nil, "migrate", "--kv-p2p-transfer", "mori", "--output-dir", out, src)
	if code != 0 {
		t.Fatal(stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "amd-master.yaml"))
	if err != nil || !strings.Contains(string(data), "kv-p2p-transfer: mori") {
		t.Fatalf("%v\n%.300s", err, data)
	}
}

// BenchmarkFullSweepUpstreamMain is `matrixgen full-sweep` over upstream
// main's two master files (1,820 jobs, evals marked), in process.
func BenchmarkFullSweepUpstreamMain(b *testing.B) {
	args := []string{"full-sweep", "--config-files", upstream + "/nvidia-master.yaml", upstream + "/amd-master.yaml",
		"--runner-config", upstream + "/runners.yaml", "--allow-unlisted-runners"}
	b.ReportAllocs()
	for b.Loop() {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb, func(string) string { return "" }); code != 0 {
			b.Fatal(errb.String())
		}
	}
}
