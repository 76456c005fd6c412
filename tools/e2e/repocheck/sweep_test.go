package repocheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/changelog"
	"github.com/inferencex/inferencex-go/tools/e2e/pipeline"
	"gopkg.in/yaml.v3"
)

type workflowJob struct {
	Needs    any    `yaml:"needs"`
	If       string `yaml:"if"`
	Uses     string `yaml:"uses"`
	Strategy struct {
		FailFast any `yaml:"fail-fast"`
	} `yaml:"strategy"`
	With  map[string]string `yaml:"with"`
	Steps []struct {
		Name string            `yaml:"name"`
		ID   string            `yaml:"id"`
		If   string            `yaml:"if"`
		Uses string            `yaml:"uses"`
		Run  string            `yaml:"run"`
		Env  map[string]string `yaml:"env"`
	} `yaml:"steps"`
}

type workflowDoc struct {
	Concurrency struct {
		Group string `yaml:"group"`
	} `yaml:"concurrency"`
	Jobs map[string]workflowJob `yaml:"jobs"`
}

func readWorkflowDoc(t *testing.T, name string) workflowDoc {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflowDoc
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	return wf
}

func needsOf(j workflowJob) []string {
	switch n := j.Needs.(type) {
	case string:
		return []string{n}
	case []any:
		var out []string
		for _, x := range n {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// TestRunSweepConcurrencyLabels: the labels whose events may cancel a
// running sweep are exactly the ones the policy reads.
func TestRunSweepConcurrencyLabels(t *testing.T) {
	wf := readWorkflowDoc(t, "run-sweep.yml")
	var got []string
	for _, m := range regexp.MustCompile(`github\.event\.label\.name != '([^']+)'`).FindAllStringSubmatch(wf.Concurrency.Group, -1) {
		got = append(got, m[1])
	}
	want := append(slices.Clone(changelog.PrimaryLabels), changelog.ModifierLabels...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("run-sweep.yml's concurrency group names labels %v; the policy reads %v", got, want)
	}
}

// TestRunSweepWiring: the policy's decisions reach the jobs. The matrix
// step gets trim-conc, all-evals and evals-only; the canary runs only when
// the policy says so; every benchmark group but the canary waits for it
// (success, or skipped when there is none) and stops early when the
// policy says fail-fast.
func TestRunSweepWiring(t *testing.T) {
	wf := readWorkflowDoc(t, "run-sweep.yml")
	setup := wf.Jobs["setup"]
	if !strings.Contains(setup.If, "needs.policy.outputs.sweep == 'true'") {
		t.Errorf("setup runs regardless of the policy: %s", setup.If)
	}
	var matrixStep bool
	for _, s := range setup.Steps {
		if s.ID != "setup" {
			continue
		}
		matrixStep = true
		for env, out := range map[string]string{"TRIM_CONC": "trim-conc", "ALL_EVALS": "all-evals", "EVALS_ONLY": "evals-only"} {
			if s.Env[env] != "${{ needs.policy.outputs."+out+" }}" {
				t.Errorf("setup's %s = %q, want the policy's %s", env, s.Env[env], out)
			}
		}
		for _, flag := range []string{"--trim-conc", "--all-evals", "--evals-only"} {
			if !strings.Contains(s.Run, flag) {
				t.Errorf("the matrix step never passes %s", flag)
			}
		}
	}
	if !matrixStep {
		t.Fatal("no setup step with id setup")
	}
	if sel := wf.Jobs["canary-select"]; sel.If != "needs.policy.outputs.canary == 'true'" {
		t.Errorf("canary-select if: %q", sel.If)
	}
	groups := 0
	for name, j := range wf.Jobs {
		if !strings.Contains(j.Uses, "benchmark-") || name == "canary-sweep" {
			continue
		}
		groups++
		if !slices.Contains(needsOf(j), "canary-sweep") || !strings.Contains(j.If, "needs.canary-select.result != 'failure' && (needs.canary-sweep.result == 'success' || needs.canary-sweep.result == 'skipped')") {
			t.Errorf("%s does not wait for the canary: needs %v, if %s", name, needsOf(j), j.If)
		}
		if j.Strategy.FailFast != "${{ needs.policy.outputs.fail-fast == 'true' }}" {
			t.Errorf("%s: fail-fast %v, want the policy's", name, j.Strategy.FailFast)
		}
	}
	if groups < 10 {
		t.Errorf("only %d benchmark groups", groups)
	}
	for _, name := range []string{"sweep-evals", "sweep-multi-node-evals"} {
		j := wf.Jobs[name]
		if j.With["eval-only"] != "true" || j.With["run-eval"] != "true" {
			t.Errorf("%s: eval-only %q run-eval %q", name, j.With["eval-only"], j.With["run-eval"])
		}
	}
	if c := wf.Jobs["compare-results"]; !strings.Contains(c.If, "github.event_name == 'pull_request'") {
		t.Errorf("compare-results runs outside pull requests: %s", c.If)
	}
}

// TestEvalGateAfterUpload: in both templates the gate step comes after the
// eval upload, runs after a failed step too, and the upload runs always.
func TestEvalGateAfterUpload(t *testing.T) {
	for _, name := range []string{"benchmark-tmpl.yml", "benchmark-multinode-tmpl.yml"} {
		wf := readWorkflowDoc(t, name)
		steps := wf.Jobs["benchmark"].Steps
		upload, gate := -1, -1
		for i, s := range steps {
			switch s.Name {
			case "Upload the eval results":
				upload = i
				if !strings.HasPrefix(s.If, "always()") {
					t.Errorf("%s: the eval upload does not always run: %s", name, s.If)
				}
			case "Verify eval scores":
				gate = i
				if !strings.Contains(s.If, "failure()") || !strings.Contains(s.Run, "--thresholds configs/eval-thresholds.yaml") {
					t.Errorf("%s: gate step if %q run %q", name, s.If, s.Run)
				}
			}
		}
		if upload < 0 || gate < 0 || gate < upload {
			t.Errorf("%s: upload at step %d, gate at %d; want the gate after the upload", name, upload, gate)
		}
	}
}

// outputs reads NAME=VALUE lines of a GITHUB_OUTPUT file.
func outputs(s string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			out[k] = v
		}
	}
	return out
}

// TestRunSweepGroupsStep runs run-sweep.yml's group split on a matrix with
// named and other sequence lengths, agentic jobs and eval jobs.
func TestRunSweepGroupsStep(t *testing.T) {
	script, err := StepScript(filepath.Join(repoRoot(t), ".github", "workflows", "run-sweep.yml"), "setup", "groups")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, dir, "matrix.json", `{"single_node": {"1k1k": [{"conc": 4}], "2048_128": [{"conc": 8}], "agentic": [{"conc": 1}]},
	 "multi_node": {"8k1k": [{"conc": [1]}], "4096_512": [{"conc": [2]}]},
	 "evals": [{"conc": 64, "eval-only": true}], "multinode_evals": [{"conc": [16, 64], "eval-only": true}],
	 "changelog_metadata": {}}`)
	code, out, gh := runStep(t, script, dir)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	got := outputs(gh)
	want := map[string]string{
		"single-node-other": `[{"conc":8}]`, "multi-node-other": `[{"conc":[2]}]`,
		"evals": `[{"conc":64,"eval-only":true}]`, "multi-node-evals": `[{"conc":[16,64],"eval-only":true}]`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	// A matrix without eval lists (today's changelog tool before evals) gives empty groups.
	write(t, dir, "matrix.json", `{"single_node": {}, "multi_node": {}, "changelog_metadata": {}}`)
	if code, out, gh := runStep(t, script, dir); code != 0 || outputs(gh)["evals"] != "[]" || outputs(gh)["multi-node-evals"] != "[]" {
		t.Errorf("exit %d, outputs %v:\n%s", code, outputs(gh), out)
	}
}

// TestE2ESplitStep runs e2e-tests.yml's split of a matrixgen matrix into
// throughput and eval-only jobs, single- and multi-node.
func TestE2ESplitStep(t *testing.T) {
	script, err := StepScript(filepath.Join(repoRoot(t), ".github", "workflows", "e2e-tests.yml"), "get-jobs", "split")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, dir, "matrix.json", `[{"conc": 1}, {"conc": 2, "eval-only": true}, {"conc": [4], "prefill": {}}, {"conc": [8], "prefill": {}, "eval-only": true}, {"conc": 3, "eval-only": false}]`)
	code, out, gh := runStep(t, script, dir)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	got := outputs(gh)
	want := map[string]string{
		"single-node-config": `[{"conc":1},{"conc":3,"eval-only":false}]`, "eval-config": `[{"conc":2,"eval-only":true}]`,
		"multi-node-config": `[{"conc":[4],"prefill":{}}]`, "multi-node-eval-config": `[{"conc":[8],"prefill":{},"eval-only":true}]`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	if !strings.Contains(out, "5 jobs: 2 of them eval-only") {
		t.Errorf("output: %s", out)
	}
}

// TestCanaryGateEvaluated evaluates every gated group's if: as Actions
// would: the rest of the sweep runs after a passing canary or when there is
// none to run, and not after a failing canary, nor when picking the canary
// failed (then canary-sweep is merely skipped, which alone would let
// everything through without one).
func TestCanaryGateEvaluated(t *testing.T) {
	wf := readWorkflowDoc(t, "run-sweep.yml")
	// Every group has jobs, so only the canary decides.
	space := `{"single_node":{"1k1k":[{}],"1k8k":[{}],"8k1k":[{}],"other":[{}]},"multi_node":{"1k1k":[{}],"1k8k":[{}],"8k1k":[{}],"other":[{}]},"evals":[{}],"agentic":[{}]}`
	cases := []struct {
		name           string
		select_, sweep string
		want           bool
	}{
		{"canary passed", "success", "success", true},
		{"no canary asked for", "skipped", "skipped", true},
		{"no job to be the canary", "success", "skipped", true},
		{"canary failed", "success", "failure", false},
		{"picking the canary failed", "failure", "skipped", false},
	}
	gated := 0
	for name, j := range wf.Jobs {
		if !strings.Contains(j.Uses, "benchmark-") || name == "canary-sweep" {
			continue
		}
		gated++
		for _, c := range cases {
			needs := map[string]any{
				"policy":        map[string]any{"result": "success", "outputs": map[string]any{"canary": "true", "fail-fast": "false"}},
				"setup":         map[string]any{"result": "success", "outputs": map[string]any{"search-space-config": space}},
				"canary-select": map[string]any{"result": c.select_, "outputs": map[string]any{"canary-config": "[{}]", "remaining-search-space-config": space}},
				"canary-sweep":  map[string]any{"result": c.sweep, "outputs": map[string]any{}},
			}
			got, err := pipeline.If(j.If, pipeline.Contexts{"needs": needs}, pipeline.Status{})
			if err != nil {
				t.Fatalf("%s: if %q: %v", name, j.If, err)
			}
			if got != c.want {
				t.Errorf("%s, %s: runs %v, want %v (if: %s)", name, c.name, got, c.want, j.If)
			}
		}
	}
	if gated == 0 {
		t.Fatal("no job waits for the canary")
	}
}
