package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/tools/resultproc/process"
)

// caseEnv reads a case's env file (KEY=VALUE lines, # comments).
func caseEnv(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

// original is what scripts/gen-results-golden.py recorded from the
// original process_result.py.
type original struct {
	Exit   int               `json:"exit"`
	Stdout string            `json:"stdout"`
	Error  string            `json:"error"`
	Files  map[string]string `json:"files"`
}

// outcome is what this tool did for one case.
type outcome struct {
	exit           int
	stdout, stderr string
	files          map[string]string
}

func (o outcome) golden() string {
	var b strings.Builder
	b.WriteString("exit: " + string(rune('0'+o.exit)) + "\n-- stdout --\n" + o.stdout + "-- stderr --\n" + o.stderr)
	names := make([]string, 0, len(o.files))
	for n := range o.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString("-- " + n + " --\n" + o.files[n] + "\n")
	}
	return b.String()
}

func runCase(t *testing.T, caseDir string, extraEnv map[string]string) outcome {
	t.Helper()
	env := caseEnv(t, caseDir)
	for k, v := range extraEnv {
		env[k] = v
	}
	work := t.TempDir()
	inputs, _ := filepath.Glob(filepath.Join(caseDir, "*.json"))
	for _, in := range inputs {
		if filepath.Base(in) == "original.json" {
			continue
		}
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, filepath.Base(in)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(nil, work, &stdout, &stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	o := outcome{exit: code, stdout: stdout.String(), stderr: stderr.String(), files: map[string]string{}}
	outs, _ := filepath.Glob(filepath.Join(work, "agg_*"))
	for _, p := range outs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		o.files[filepath.Base(p)] = string(data)
	}
	leftovers, _ := filepath.Glob(filepath.Join(work, ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
	return o
}

// divergent lists the cases where this tool deliberately does not do what
// the original did, and what it does instead (docs/resultproc.md).
var divergent = map[string]struct {
	exit int
	why  string
}{
	"failed-run":     {0, "a tpot of 0 gives a null interactivity instead of a ZeroDivisionError"},
	"osl-one":        {0, "a tpot of 0 gives a null interactivity instead of a ZeroDivisionError"},
	"conc-as-string": {2, "the raw result is validated against its schema: max_concurrency must be a number"},
	"no-median-e2el": {2, "a processed result must carry the median TTFT, TPOT and E2EL"},
}

// messages are phrases this tool's error must contain, per case.
var messages = map[string][]string{
	"missing-env":           {"Missing required environment variables: RUNNER_TYPE, IMAGE, TP"},
	"missing-multinode-env": {"Missing required environment variables: PREFILL_GPUS, DECODE_DP_ATTN"},
	"disagg-single-node":    {"Disaggregated mode requires multinode setup"},
	"missing-result-file":   {"nonexistent.json: no such file or directory"},
	"zero-tp":               {"TP: expected at least 1 (throughput per GPU divides by it), got 0"},
	"zero-decode-gpus":      {"DECODE_GPUS: expected at least 1"},
	"empty-prefill-gpus":    {`PREFILL_GPUS: expected an integer, got ""`},
	"conc-as-string":        {`max_concurrency: expected integer or null, got string "64"`},
	"conc-null":             {"max_concurrency: expected the benchmark's concurrency limit, got null"},
	"not-json":              {"nj.json: invalid JSON"},
	"bad-isl":               {`ISL: expected an integer, got "1k"`},
	"no-median-e2el":        {"no median_e2el_ms"},
}

func TestCasesAgainstOriginal(t *testing.T) {
	checkCases(t, "testdata/cases", "original.json", divergent, messages)
}

// todayDivergent are the cases of today's format (testdata/today) where
// this tool deliberately does not do what upstream main did.
var todayDivergent = map[string]struct {
	exit int
	why  string
}{
	"failed-run":                 {0, "a tpot of 0 gives a null interactivity instead of a ZeroDivisionError"},
	"bad-fingerprint":            {2, "RECIPE_FINGERPRINT must be what matrixgen writes (a SHA-256 in hex) or empty"},
	"multi-node-negative-decode": {2, "a negative GPU count is refused"},
}

// todayMessages are phrases this tool's error must contain, per case of
// today's format: upstream's sentence where it had one, and the variable.
var todayMessages = map[string][]string{
	"router-partial":             {"ROUTER_METADATA must contain exactly 'name' and 'version'", `got keys "name"`},
	"router-extra":               {"ROUTER_METADATA must contain exactly 'name' and 'version'", `"mode"`},
	"router-list":                {"ROUTER_METADATA must contain exactly 'name' and 'version'", "got array"},
	"router-not-json":            {"ROUTER_METADATA must contain valid JSON"},
	"router-empty-version":       {"ROUTER_METADATA name and version must be non-empty strings", `version is string ""`},
	"multi-node-half-hw":         {"PREFILL_HARDWARE and DECODE_HARDWARE must be specified together", `DECODE_HARDWARE=""`},
	"multi-node-no-gpus":         {"Multinode results require at least one GPU"},
	"multi-node-no-prefill":      {"PREFILL_GPUS: expected at least 1"},
	"multi-node-negative-decode": {"DECODE_GPUS: expected at least 0 (0: aggregated, no decode workers), got -4"},
	"multi-node-zero-pp":         {"PREFILL_PP_SIZE: expected a positive integer, got 0"},
	"pp-zero":                    {"PP_SIZE: expected a positive integer, got 0"},
	"pcp-negative":               {"PCP_SIZE: expected a positive integer, got -2"},
	"pp-empty":                   {`PP_SIZE: expected an integer, got ""`},
	"dcp-not-int":                {`DCP_SIZE: expected an integer, got "two"`},
	"zero-tp":                    {"TP: expected at least 1 (throughput per GPU divides by it), got 0"},
	"bad-fingerprint":            {`RECIPE_FINGERPRINT: expected 64 lower-case hex digits`, `"recipe-42"`},
}

func TestTodayCasesAgainstUpstream(t *testing.T) {
	checkCases(t, "testdata/today", "upstream.json", todayDivergent, todayMessages)
}

// checkCases runs every case under root (a directory per case: env, the
// raw result) and holds the tool to the reference recorded in refName:
// the same bytes where the reference succeeded, a failure where it failed,
// and the listed deliberate differences.
func checkCases(t *testing.T, root, refName string, divergent map[string]struct {
	exit int
	why  string
}, messages map[string][]string) {
	cases, err := filepath.Glob(filepath.Join(root, "*"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no test cases: %v", err)
	}
	for _, dir := range cases {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			var orig original
			data, err := os.ReadFile(filepath.Join(dir, refName))
			if err != nil {
				t.Fatalf("%v (run scripts/gen-results-golden.py)", err)
			}
			if err := json.Unmarshal(data, &orig); err != nil {
				t.Fatal(err)
			}
			got := runCase(t, dir, nil)

			golden.Check(t, filepath.Join(dir, "go.golden"), []byte(got.golden()))

			for _, m := range messages[name] {
				if !strings.Contains(got.stderr, m) {
					t.Errorf("stderr %q does not contain %q", got.stderr, m)
				}
			}
			if d, ok := divergent[name]; ok {
				if got.exit != d.exit {
					t.Errorf("exit %d, want %d (%s)", got.exit, d.exit, d.why)
				}
				if (orig.Exit == 0) == (got.exit == 0) {
					t.Errorf("case is listed as divergent (%s) but the reference did the same (exit %d)", d.why, orig.Exit)
				}
				return
			}
			if orig.Exit != 0 {
				if got.exit == 0 {
					t.Fatalf("the reference failed (%s) but this tool succeeded", orig.Error)
				}
				if len(got.files) != 0 {
					t.Errorf("wrote %v on failure", got.files)
				}
				return
			}
			if got.exit != 0 {
				t.Fatalf("exit %d, the reference succeeded; stderr:\n%s", got.exit, got.stderr)
			}
			ours := withoutAccounting(t, got)
			if ours.stdout != orig.Stdout {
				t.Errorf("stdout differs from the reference:\n--- got ---\n%s\n--- reference ---\n%s", ours.stdout, orig.Stdout)
			}
			if len(ours.files) != len(orig.Files) {
				t.Errorf("wrote %d files, the reference %d", len(ours.files), len(orig.Files))
			}
			for n, content := range orig.Files {
				if ours.files[n] != content {
					t.Errorf("%s differs from the reference:\n--- got ---\n%s\n--- reference ---\n%s", n, ours.files[n], content)
				}
			}
		})
	}
}

func TestWorkflowAnnotation(t *testing.T) {
	got := runCase(t, "testdata/cases/zero-tp", map[string]string{"GITHUB_ACTIONS": "true"})
	if got.exit != 2 {
		t.Fatalf("exit %d, want 2", got.exit)
	}
	if !strings.Contains(got.stderr, "::error::") || !strings.Contains(got.stderr, "TP: expected at least 1") {
		t.Errorf("no error annotation naming TP in stderr:\n%s", got.stderr)
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--help"}, ".", &stdout, &stderr, func(string) (string, bool) { return "", false }); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stdout.String(), "IS_MULTINODE") {
		t.Errorf("help does not name the environment:\n%s", stdout.String())
	}
	if code := run([]string{"extra"}, ".", &stdout, &stderr, func(string) (string, bool) { return "", false }); code != 2 {
		t.Errorf("unexpected argument: exit %d, want 2", code)
	}
}

// TestBinary runs the built tool as the workflow does: environment in,
// files in the working directory.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "resultproc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	caseDir := "testdata/cases/multi-node"
	work := t.TempDir()
	env := caseEnv(t, caseDir)
	raw, err := os.ReadFile(filepath.Join(caseDir, env["RESULT_FILENAME"]+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, env["RESULT_FILENAME"]+".json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var orig original
	data, _ := os.ReadFile(filepath.Join(caseDir, "original.json"))
	if err := json.Unmarshal(data, &orig); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != orig.Stdout {
		t.Errorf("stdout differs from the original's")
	}
	written, err := os.ReadFile(filepath.Join(work, "agg_"+env["RESULT_FILENAME"]+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != orig.Files["agg_"+env["RESULT_FILENAME"]+".json"] {
		t.Errorf("written file differs from the original's")
	}

	cmd = exec.Command(bin)
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if err := cmd.Run(); err == nil {
		t.Fatal("no environment: want a failure")
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("no environment: %v, want exit status 2", err)
	}
}

// withoutAccounting is what this tool printed and wrote less the request
// accounting it appends after upstream's keys (process.AccountingKeys),
// which must come last and in their order: the rest must be upstream's
// bytes.
func withoutAccounting(t *testing.T, o outcome) outcome {
	t.Helper()
	strip := func(text string) string {
		trailingNL := strings.HasSuffix(text, "\n")
		doc, err := results.DecodeOrdered([]byte(text))
		if err != nil {
			t.Fatalf("output is not JSON: %v", err)
		}
		obj := doc.(*pyjson.Object)
		keys := obj.Keys()
		var tail []string
		for i, k := range keys {
			if slices.Contains(process.AccountingKeys, k) {
				tail = keys[i:]
				break
			}
		}
		if len(tail) == 0 {
			return text
		}
		want := []string{}
		for _, k := range process.AccountingKeys {
			if slices.Contains(tail, k) {
				want = append(want, k)
			}
		}
		if !slices.Equal(tail, want) {
			t.Errorf("the keys after upstream's are %v, want the accounting keys %v, in order and last", tail, want)
		}
		for _, k := range tail {
			obj.Delete(k)
		}
		data, err := results.MarshalIndent(obj)
		if err != nil {
			t.Fatal(err)
		}
		if trailingNL {
			data = append(data, '\n')
		}
		return string(data)
	}
	out := outcome{exit: o.exit, stdout: strip(o.stdout), stderr: o.stderr, files: map[string]string{}}
	for n, c := range o.files {
		out.files[n] = strip(c)
	}
	return out
}

// TestAccountingCarried: a raw result of loadgen gives its request
// accounting, last and unchanged, in both formats; one of the Python
// client gives none.
func TestAccountingCarried(t *testing.T) {
	for _, dir := range []string{"testdata/cases/loadgen-failures", "testdata/today/loadgen-failures", "testdata/today/single-node"} {
		got := runCase(t, dir, nil)
		if got.exit != 0 {
			t.Fatalf("%s: exit %d: %s", dir, got.exit, got.stderr)
		}
		out, err := results.DecodeOrdered([]byte(got.stdout))
		if err != nil {
			t.Fatal(err)
		}
		env := caseEnv(t, dir)
		rawData, err := os.ReadFile(filepath.Join(dir, env["RESULT_FILENAME"]+".json"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := results.DecodeOrdered(rawData)
		if err != nil {
			t.Fatal(err)
		}
		o, r := out.(*pyjson.Object), raw.(*pyjson.Object)
		keys := o.Keys()
		if _, loadgen := r.Get("failed"); !loadgen {
			for _, k := range process.AccountingKeys {
				if _, ok := o.Get(k); ok {
					t.Errorf("%s: %s in the result of a Python client's raw result", dir, k)
				}
			}
			continue
		}
		if tail := keys[len(keys)-len(process.AccountingKeys):]; !slices.Equal(tail, process.AccountingKeys) {
			t.Errorf("%s: the result ends with %v, want %v", dir, tail, process.AccountingKeys)
		}
		for _, k := range process.AccountingKeys {
			a, _ := o.Get(k)
			b, _ := r.Get(k)
			ja, _ := pyjson.Marshal(a)
			jb, _ := pyjson.Marshal(b)
			if string(ja) != string(jb) {
				t.Errorf("%s: %s is %s, the raw result has %s", dir, k, ja, jb)
			}
		}
	}
}
