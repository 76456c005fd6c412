package agentic

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/schemas"
)

// TestUpstreamOutputsMatchSchema holds every aggregate upstream wrote for the
// golden cases to the agentic-result schema, which resultproc agentic checks
// its own output against before writing it.
func TestUpstreamOutputsMatchSchema(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join("testdata", "cases", "*", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 30 {
		t.Fatalf("only %d expected.json files", len(paths))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.ValidateJSON(schemas.AgenticResult, data); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestRefusedResultIsNotWritten: a result the check refuses is an error
// (exit 1, the reason on stderr) and leaves no file behind.
func TestRefusedResultIsNotWritten(t *testing.T) {
	src := filepath.Join("testdata", "cases", "basic_no_server_metrics")
	dir := copyInputs(t, src)
	env := readEnv(t, filepath.Join(src, "env"))
	env["HOME"] = filepath.Join(dir, "no_home")
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	rc := Run(Options{Lookup: lookup, Dir: dir, Stdout: &stdout, Stderr: &stderr,
		Validate: func([]byte) error { return errors.New("request_metrics: refused by the test") }})
	if rc != 1 {
		t.Fatalf("exit status %d, want 1", rc)
	}
	if !strings.Contains(stderr.String(), "agentic-result schema: request_metrics: refused by the test") {
		t.Errorf("stderr does not give the reason:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "out", env["RESULT_FILENAME"]+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("result written although refused (stat: %v)", err)
	}
}

// TestNonFiniteResultNamesTheField: a gauge whose stat reads "nan" makes
// upstream write NaN into the result; resultproc agentic refuses it, naming
// the field, and writes nothing.
func TestNonFiniteResultNamesTheField(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join("testdata", "cases", "server_metrics_vllm")
	dir := copyInputs(t, src)
	export := filepath.Join(dir, "results", "aiperf_artifacts", "server_metrics_export.json")
	data, err := os.ReadFile(export)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(`"vllm:kv_cache_usage_perc"`))
	j := bytes.Index(data[i:], []byte(`"max": `))
	if i < 0 || j < 0 {
		t.Fatal("the fixture changed: no kv_cache_usage_perc max")
	}
	j += i + len(`"max": `)
	k := j + bytes.IndexAny(data[j:], ",}")
	data = append(append(append([]byte{}, data[:j]...), `"nan"`...), data[k:]...)
	if err := os.WriteFile(export, data, 0o644); err != nil {
		t.Fatal(err)
	}
	env := readEnv(t, filepath.Join(src, "env"))
	env["HOME"] = filepath.Join(dir, "no_home")
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	rc := Run(Options{Lookup: lookup, Dir: dir, Stdout: &stdout, Stderr: &stderr,
		Validate: func(data []byte) error { return v.ValidateJSON(schemas.AgenticResult, data) }})
	if rc != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", rc, stderr.String())
	}
	if want := "server_metrics.kv_cache.gpu_usage_pct is not a finite number"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not contain %q:\n%s", want, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "out", env["RESULT_FILENAME"]+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("result written although refused (stat: %v)", err)
	}
}
