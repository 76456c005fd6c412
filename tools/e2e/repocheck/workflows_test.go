package repocheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The workflows the project ships (issue 7): each must exist and keep the
// security rules.
var wantWorkflows = []string{
	"benchmark-multinode-tmpl.yml", "benchmark-tmpl.yml", "build-tools.yml", "collect-evals.yml",
	"collect-results.yml", "e2e-tests.yml", "pr-comment-sweep.yml", "run-sweep.yml", "test.yml",
}

func TestWorkflowsKeepSecurityRules(t *testing.T) {
	root := repoRoot(t)
	files, err := WorkflowFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		problems, err := CheckWorkflow(root, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
	}
	for _, w := range wantWorkflows {
		if !slices.Contains(names, w) {
			t.Errorf(".github/workflows/%s is missing", w)
		}
	}
}

func TestCheckWorkflowReports(t *testing.T) {
	root := t.TempDir()
	write(t, root, ".github/workflows/bad.yml", `name: bad
on:
  pull_request_target:
jobs:
  a:
    runs-on: ubuntu-latest
    permissions: write-all
    steps:
      - uses: actions/checkout@v4
      - uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd
      - uses: docker://alpine:3
      - uses: ./.github/actions/local
      - run: echo "${{ github.event.pull_request.title }}"
      - run: &x |
          echo fine
      - run: *x
  b:
    uses: org/repo/.github/workflows/w.yml@main
    secrets: inherit
`)
	problems, err := CheckWorkflow(root, ".github/workflows/bad.yml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{
		".github/workflows/bad.yml:1: no top-level permissions: declare what the jobs need (least privilege)",
		".github/workflows/bad.yml:3: trigger pull_request_target runs fork-controlled code with the repository's token and secrets",
		".github/workflows/bad.yml:7: permissions: write-all; grant each permission a job needs",
		".github/workflows/bad.yml:9: actions/checkout@v4: pin the action to a full commit SHA (owner/repo@<40 hex> # vX.Y.Z)",
		".github/workflows/bad.yml:11: docker://alpine:3: pin the image to a digest (@sha256:...)",
		".github/workflows/bad.yml:13: an expression in a run: script; pass the value through env: instead",
		".github/workflows/bad.yml:18: org/repo/.github/workflows/w.yml@main: pin the action to a full commit SHA (owner/repo@<40 hex> # vX.Y.Z)",
		".github/workflows/bad.yml:19: secrets: inherit hands every secret to the called workflow; pass the ones it needs by name",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// runStep runs a workflow step's script as GitHub runs a bash step
// (bash --noprofile --norc -eo pipefail) in dir, with env and a fresh
// GITHUB_OUTPUT; it returns the exit status, the combined output and what
// the step wrote to GITHUB_OUTPUT.
func runStep(t *testing.T, script, dir string, env ...string) (code int, out, ghOutput string) {
	t.Helper()
	outFile := filepath.Join(t.TempDir(), "github_output")
	if err := os.WriteFile(outFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "step.sh")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", path)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GITHUB_OUTPUT=" + outFile}, env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	return code, buf.String(), string(data)
}

// TestMatrixgenArgumentsAreData runs e2e-tests.yml's matrix step with a fake
// matrixgen that records its arguments: the command line must reach it as
// words, with nothing in it run or expanded.
func TestMatrixgenArgumentsAreData(t *testing.T) {
	root := repoRoot(t)
	script, err := StepScript(filepath.Join(root, ".github", "workflows", "e2e-tests.yml"), "get-jobs", "get-jobs")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		command  string
		wantCode int
		wantArgs []string // nil: matrixgen must not run
	}{
		{"plain", "test-config --config-keys dsr1-fp8-h200-sglang --conc 4 8", 0,
			[]string{"test-config", "--config-keys", "dsr1-fp8-h200-sglang", "--conc", "4", "8"}},
		{"quotes group words", `full-sweep --single-node --config-files "a b.yaml" 'c d.yaml'`, 0,
			[]string{"full-sweep", "--single-node", "--config-files", "a b.yaml", "c d.yaml"}},
		{"shell syntax stays text", "test-config --config-keys $(touch pwned1) `touch pwned2` ; touch pwned3 && x > pwned4 $HOME *", 0,
			[]string{"test-config", "--config-keys", "$(touch", "pwned1)", "`touch", "pwned2`", ";", "touch", "pwned3", "&&", "x", ">", "pwned4", "$HOME", "*"}},
		{"newlines are spaces", "test-config\n--config-keys k\n", 0, []string{"test-config", "--config-keys", "k"}},
		{"not a matrixgen command", "rm -rf /tmp/x", 2, nil},
		{"empty", "", 2, nil},
		{"output flag is the workflow's", "test-config --config-keys k --github-output other", 2, nil},
		{"unmatched quote", `test-config --config-keys "k`, 2, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			record := filepath.Join(dir, "args")
			write(t, dir, "bin/matrixgen", "#!/usr/bin/env bash\nprintf '%s\\0' \"$@\" > \"$RECORD\"\necho '[]'\n")
			code, out, _ := runStep(t, script, dir, "GENERATE_CLI_COMMAND="+c.command, "RECORD="+record)
			if code != c.wantCode {
				t.Fatalf("exit %d, want %d; output:\n%s", code, c.wantCode, out)
			}
			for _, f := range []string{"pwned1", "pwned2", "pwned3", "pwned4"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("the command line ran a command: %s exists", f)
				}
			}
			data, err := os.ReadFile(record)
			if c.wantArgs == nil {
				if err == nil {
					t.Errorf("matrixgen ran with %q", data)
				}
				return
			}
			if err != nil {
				t.Fatalf("matrixgen did not run; output:\n%s", out)
			}
			got := strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
			// The workflow adds its own step output.
			want := append(slices.Clone(c.wantArgs), "--github-output", "search-space-config")
			if !slices.Equal(got, want) {
				t.Errorf("matrixgen got %q, want %q", got, want)
			}
		})
	}
}

// TestMatrixSplitsByKind runs e2e-tests.yml's split step on a matrix with
// one job of each kind: each must reach the output of the job group whose
// template runs it.
func TestMatrixSplitsByKind(t *testing.T) {
	root := repoRoot(t)
	script, err := StepScript(filepath.Join(root, ".github", "workflows", "e2e-tests.yml"), "get-jobs", "split")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	matrix := `[{"exp-name": "s", "tp": 8}, {"exp-name": "m", "prefill": {}}, {"exp-name": "a", "tp": 8, "scenario-type": "agentic-coding"},` +
		` {"exp-name": "am", "prefill": {}, "scenario-type": "agentic-coding"}, {"exp-name": "s2", "tp": 4, "eval-only": false},` +
		` {"exp-name": "e", "tp": 8, "eval-only": true}, {"exp-name": "me", "prefill": {}, "eval-only": true}]`
	write(t, dir, "matrix.json", matrix+"\n")
	code, out, ghOutput := runStep(t, script, dir)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	want := []string{
		`single-node-config=[{"exp-name":"s","tp":8},{"exp-name":"s2","tp":4,"eval-only":false}]`,
		`multi-node-config=[{"exp-name":"m","prefill":{}}]`,
		`agentic-config=[{"exp-name":"a","tp":8,"scenario-type":"agentic-coding"}]`,
		`multi-node-agentic-config=[{"exp-name":"am","prefill":{},"scenario-type":"agentic-coding"}]`,
		`eval-config=[{"exp-name":"e","tp":8,"eval-only":true}]`,
		`multi-node-eval-config=[{"exp-name":"me","prefill":{},"eval-only":true}]`,
	}
	if got := strings.Split(strings.TrimSpace(ghOutput), "\n"); !slices.Equal(got, want) {
		t.Errorf("outputs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSlashCommandParsing runs pr-comment-sweep.yml's parse step on comment
// bodies.
func TestSlashCommandParsing(t *testing.T) {
	root := repoRoot(t)
	script, err := StepScript(filepath.Join(root, ".github", "workflows", "pr-comment-sweep.yml"), "get-jobs", "parse")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, body string
		wantCode   int
		wantArgs   string
	}{
		{"one line", "/sweep test-config --config-keys k --config-files a.yaml", 0, "test-config --config-keys k --config-files a.yaml"},
		{"later line, CRLF, spaces", "please run\r\n/sweep   full-sweep --single-node  \r\nthanks", 0, "full-sweep --single-node"},
		{"shell syntax stays text", "/sweep test-config $(touch pwned) `touch pwned`", 0, "test-config $(touch pwned) `touch pwned`"},
		{"no arguments", "/sweep", 1, ""},
		{"not the command", "/sweeping test-config", 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			code, out, gh := runStep(t, script, dir, "BODY="+c.body, "PR_NUMBER=42")
			if code != c.wantCode {
				t.Fatalf("exit %d, want %d; output:\n%s", code, c.wantCode, out)
			}
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Error("the comment ran a command")
			}
			if c.wantCode != 0 {
				return
			}
			want := "generator-args=" + c.wantArgs + "\npr-number=42\n"
			if gh != want {
				t.Errorf("GITHUB_OUTPUT:\n%q\nwant\n%q", gh, want)
			}
		})
	}
}

// Result and artifact names are a wire format: upstream main's collection and
// dashboard tooling glob on them, so both templates must build
// RESULT_FILENAME exactly as upstream main's templates (843c6254f) do, the
// recipe suffix appended when a fingerprint is set.
func TestResultFilenameIsUpstreamMains(t *testing.T) {
	root := repoRoot(t)
	for file, want := range map[string]string{
		"benchmark-tmpl.yml": "${{ env.EXP_NAME }}_${{ env.PRECISION }}_${{ env.FRAMEWORK }}_tp${{ env.TP }}-pp${{ env.PP_SIZE }}-dcp${{ env.DCP_SIZE }}-pcp${{ env.PCP_SIZE }}-ep${{ env.EP_SIZE }}-dpa${{ env.DP_ATTENTION }}_disagg-${{ env.DISAGG }}_spec-${{ env.SPEC_DECODING }}_conc${{ env.CONC }}_${{ runner.name }}",
		"benchmark-multinode-tmpl.yml": "${{ env.EXP_NAME }}_${{ env.PRECISION }}_${{ env.FRAMEWORK }}_prefill-tp${{ env.PREFILL_TP }}-pp${{ env.PREFILL_PP_SIZE }}-dcp${{ env.PREFILL_DCP_SIZE }}-pcp${{ env.PREFILL_PCP_SIZE }}-ep${{ env.PREFILL_EP }}-dp${{ env.PREFILL_DP_ATTN }}-nw${{ env.PREFILL_NUM_WORKERS }}" +
			"_decode-tp${{ env.DECODE_TP }}-pp${{ env.DECODE_PP_SIZE }}-dcp${{ env.DECODE_DCP_SIZE }}-pcp${{ env.DECODE_PCP_SIZE }}-ep${{ env.DECODE_EP }}-dp${{ env.DECODE_DP_ATTN }}-nw${{ env.DECODE_NUM_WORKERS }}" +
			"_disagg-${{ env.DISAGG }}_spec-${{ env.SPEC_DECODING }}_conc${{ join(fromJson(inputs.conc-list), 'x') }}_${{ runner.name }}",
	} {
		data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", file))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "RESULT_FILENAME: "); ok {
				got = append(got, v)
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: RESULT_FILENAME set to %q, want upstream main's once:\n%s", file, got, want)
		}
		if !strings.Contains(string(data), `RESULT_FILENAME="${RESULT_FILENAME}_recipe-${RECIPE_FINGERPRINT:0:16}"`) {
			t.Errorf("%s: no _recipe-<16 hex> suffix for jobs with a recipe fingerprint", file)
		}
		// An eval-only job shares its point's RESULT_FILENAME, and GitHub
		// refuses a second artifact of one name in a run.
		if cond := stepCondition(string(data), "name: power_audit_"); !strings.Contains(cond, "!inputs.eval-only") {
			t.Errorf("%s: the power audit upload is not skipped for eval-only jobs (if: %q)", file, cond)
		}
	}
	mn, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "benchmark-multinode-tmpl.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mn), "name: ${{ inputs.eval-only && 'eval_multinode_server_logs_' || 'multinode_server_logs_' }}${{ env.RESULT_FILENAME }}") {
		t.Error("benchmark-multinode-tmpl.yml: server logs not uploaded as upstream main's multinode_server_logs_<RESULT_FILENAME> (eval_ for eval-only jobs)")
	}
}

// stepCondition is the if: of the step whose body holds marker (the last
// if: line before it), or "" when there is none.
func stepCondition(workflow, marker string) string {
	i := strings.Index(workflow, marker)
	if i < 0 {
		return ""
	}
	step := workflow[:i]
	if j := strings.LastIndex(step, "- name: "); j >= 0 {
		step = step[j:]
	}
	for _, line := range strings.Split(step, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "if: "); ok {
			return v
		}
	}
	return ""
}
