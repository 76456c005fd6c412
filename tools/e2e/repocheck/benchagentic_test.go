package repocheck

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeAgenticAggregation stands in for upstream's process_agentic_result.py: it
// reads the artifacts the way upstream finds them and writes what it counted
// to AGENTIC_OUTPUT_DIR/RESULT_FILENAME.json, json.dump(indent=2) style.
const fakeAgenticAggregation = `import json, os, pathlib
art = pathlib.Path(os.environ["RESULT_DIR"]) / "aiperf_artifacts"
n = sum(1 for line in open(art / "profile_export.jsonl") if line.strip())
assert (art / "server_metrics_export.json").is_file() and (art / "profile_export_aiperf.json").is_file()
assert os.environ["KV_OFFLOADING"] == "dram" and pathlib.Path(os.environ["HF_HUB_CACHE"]).is_dir()
out = pathlib.Path(os.environ["AGENTIC_OUTPUT_DIR"])
out.mkdir(parents=True, exist_ok=True)
with open(out / (os.environ["RESULT_FILENAME"] + ".json"), "w") as f:
    json.dump({"records": n}, f, indent=2)
print("Saved aggregated agentic result")
`

// fakeAgenticResultproc writes the same bytes, or (FAKE_DIFFER) one record more.
const fakeAgenticResultproc = `#!/usr/bin/env bash
set -euo pipefail
[ "$1" = agentic ] || exit 2
[ "${2:-}" = --help ] && { echo "usage: resultproc agentic"; exit 0; }
n=$(grep -c . "$RESULT_DIR/aiperf_artifacts/profile_export.jsonl")
[ -n "${FAKE_DIFFER:-}" ] && n=$((n + 1))
mkdir -p "$AGENTIC_OUTPUT_DIR"
printf '{\n  "records": %d\n}' "$n" > "$AGENTIC_OUTPUT_DIR/$RESULT_FILENAME.json"
`

// TestBenchAgenticScript runs scripts/bench-agentic.sh end to end on small
// sizes with stand-ins for upstream's aggregation and resultproc: it
// synthesizes the artifacts, refuses to time outputs that differ, and prints
// one table row per size, with hyperfine and without, with resultproc and
// upstream alone.
func TestBenchAgenticScript(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3: the script's synthesizer and upstream's aggregation are Python")
	}
	root := repoRoot(t)
	dir := t.TempDir()
	ref := filepath.Join(dir, "upstream")
	agg := filepath.Join(ref, "utils", "agentic", "aggregation")
	for _, pkg := range []string{filepath.Join(ref, "utils"), filepath.Join(ref, "utils", "agentic"), agg} {
		write(t, pkg, "__init__.py", "")
	}
	write(t, agg, "process_agentic_result.py", fakeAgenticAggregation)
	// The interpreter and the binary sit under a path with spaces, which
	// every way the script runs them (hyperfine's command strings too) must
	// keep as one argument.
	bin := filepath.Join(dir, "my tools")
	write(t, bin, "result proc", fakeAgenticResultproc)
	write(t, bin, "python 3", "#!/bin/sh\nexec "+shellQuote(python)+` "$@"`+"\n")
	for _, f := range []string{"result proc", "python 3"} {
		if err := os.Chmod(filepath.Join(bin, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(env []string, args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(root, "scripts", "bench-agentic.sh"),
			"--ref", ref, "--records", "300 700", "--runs", "2"}, args...)...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "PYTHON=" + filepath.Join(bin, "python 3"),
			"RESULTPROC=" + filepath.Join(bin, "result proc")}, env...)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	row := regexp.MustCompile(`(?m)^\| (300|700) \| [0-9.]+K \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| ([0-9.]+×|-) \|$`)
	upRow := regexp.MustCompile(`(?m)^\| (300|700) \| [0-9.]+K \| [0-9.]+ \| [0-9.]+ \|$`)
	modes := [][]string{{"--no-hyperfine"}}
	if _, err := exec.LookPath("hyperfine"); err == nil {
		modes = append(modes, nil)
	}
	for _, mode := range modes {
		out, stderr, err := run(nil, mode...)
		if err != nil {
			t.Fatalf("%v %v: %v\n%s", mode, err, stderr, out)
		}
		if n := len(row.FindAllString(out, -1)); n != 2 {
			t.Errorf("%v: %d table rows, want 2:\n%s", mode, n, out)
		}
		if !strings.Contains(stderr, "300 records: the outputs are byte-identical") {
			t.Errorf("%v: no fidelity line:\n%s", mode, stderr)
		}
		out, stderr, err = run(nil, append(mode, "--upstream-only")...)
		if err != nil || len(upRow.FindAllString(out, -1)) != 2 || strings.Contains(stderr, "byte-identical") {
			t.Errorf("%v --upstream-only: %v\n%s\n%s", mode, err, out, stderr)
		}
	}

	// Different outputs: stop before timing, saying where they differ.
	out, stderr, err := run([]string{"FAKE_DIFFER=1"}, "--no-hyperfine")
	if err == nil || out != "" || !strings.Contains(stderr, "300 records: resultproc agentic's output differs from upstream's") ||
		!strings.Contains(stderr, `+  "records": 301`) {
		t.Errorf("differing outputs: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	}
	// Bad command lines and a missing checkout.
	for _, args := range [][]string{{"--runs", "0"}, {"--records", "ten"}, {"--bogus"}} {
		if _, stderr, err := run(nil, args...); err == nil || !strings.Contains(stderr, "bench-agentic.sh:") {
			t.Errorf("%v: %v %s", args, err, stderr)
		}
	}
	if _, stderr, err := run(nil, "--ref", filepath.Join(dir, "nowhere")); err == nil || !strings.Contains(stderr, "not found") {
		t.Errorf("missing checkout: %v %s", err, stderr)
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
