package repocheck

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/schemas"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	return root
}

func validator(t *testing.T) *schemas.Validator {
	t.Helper()
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func loadMaster(t *testing.T, files ...string) *config.Master {
	t.Helper()
	m, err := config.LoadMaster(validator(t), files)
	if err != nil {
		t.Fatalf("loading %v: %v", files, err)
	}
	return m
}

func loadRunners(t *testing.T, file string) *config.Runners {
	t.Helper()
	r, err := config.LoadRunners(validator(t), file)
	if err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	return r
}

// TestRepository is the check itself: every config point of the master
// configs has its benchmark script, every runner node its launcher, and
// nothing in benchmarks/ or runners/ is unused.
func TestRepository(t *testing.T) {
	root := repoRoot(t)
	masters, err := filepath.Glob(filepath.Join(root, "configs", "*-master.yaml"))
	if err != nil || len(masters) == 0 {
		t.Fatalf("no master configs in %s/configs: %v", root, err)
	}
	// The demo's config and simulated runner are part of the contract too.
	masters = append(masters, filepath.Join(root, "demo", "master.yaml"))
	m := loadMaster(t, masters...)
	uses := Uses(m)
	used, problems, err := CheckScripts(context.Background(), root, uses)
	if err != nil {
		t.Fatal(err)
	}

	for _, p := range problems {
		t.Error(p)
	}
	for _, p := range CheckScenarios(root, m) {
		t.Error(p)
	}

	pool := loadRunners(t, filepath.Join(root, "configs", "runners.yaml"))
	demoPool := loadRunners(t, filepath.Join(root, "demo", "runners.yaml"))
	usedLaunchers, lp := CheckLaunchers(root, pool, demoPool)
	for _, p := range lp {
		t.Error(p)
	}
	unused, err := Unused(root, used, usedLaunchers)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range unused {
		t.Error(p)
	}
	for _, f := range AwaitingConfig {
		if used[f] {
			t.Errorf("%s is run by a config now: take it off repocheck.AwaitingConfig", f)
		}
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("repocheck.AwaitingConfig names a missing script: %v", err)
		}
	}
	t.Logf("%d config keys, %d distinct jobs -> %d benchmark scripts; %d runner types -> %d launchers",
		len(m.Entries), len(uses), len(used), len(pool.Types), len(usedLaunchers))
	if len(used) == 0 || len(usedLaunchers) == 0 {
		t.Fatal("nothing was checked")
	}
}

// TestShell runs bash -n and shellcheck on every script of benchmarks/ and
// runners/. Without shellcheck installed the shellcheck part is skipped,
// unless REQUIRE_SHELLCHECK=1 (CI sets it).
func TestShell(t *testing.T) {
	root := repoRoot(t)
	files, err := ShellFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d shell files found: %v", len(files), files)
	}
	ctx := context.Background()
	problems, err := CheckSyntax(ctx, root, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	problems, err = Shellcheck(ctx, root, files)
	if errors.Is(err, ErrNoShellcheck) {
		skipWithoutShellcheck(t)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func skipWithoutShellcheck(t *testing.T) {
	t.Helper()
	if os.Getenv("REQUIRE_SHELLCHECK") == "1" {
		t.Fatal(ErrNoShellcheck)
	}
	t.Skip(ErrNoShellcheck)
}

// TestBenchmarkScriptRule pins the naming rule of runners/lib.sh.
func TestBenchmarkScriptRule(t *testing.T) {
	root := repoRoot(t)
	cases := []struct {
		job     Job
		want    string
		wantErr string
	}{
		{Job{"dsr1", "fp8", "sglang", "h200", "none", false, false}, "benchmarks/dsr1_fp8_h200.sh", ""},
		{Job{"gptoss", "fp4", "vllm", "mi355x", "none", false, false}, "benchmarks/gptoss_fp4_mi355x.sh", ""},
		{Job{"dsr1", "fp4", "trt", "b200-trt", "none", false, false}, "benchmarks/dsr1_fp4_b200_trt.sh", ""},
		{Job{"dsr1", "fp4", "trt", "b200-trt", "mtp", false, false}, "benchmarks/dsr1_fp4_b200_trt_mtp.sh", ""},
		{Job{"dsr1", "fp8", "atom", "mi355x", "none", false, false}, "benchmarks/dsr1_fp8_mi355x_atom.sh", ""},
		{Job{"dsr1", "fp8", "sglang", "h200", "draft_model", false, false}, "benchmarks/dsr1_fp8_h200_draft_model.sh", ""},
		// Multi-node scripts handle every speculative-decoding method.
		{Job{"dsr1", "fp4", "dynamo-trt", "b200-multinode-slurm", "mtp", true, false}, "benchmarks/dsr1_fp4_b200_dynamo-trt.sh", ""},
		{Job{"dsr1", "fp8", "sglang-disagg", "mi355x-disagg", "none", true, false}, "benchmarks/dsr1_fp8_mi355x_sglang-disagg.sh", ""},
		// A matrix built with --runner-node-filter names the node as runner.
		{Job{"dsr1", "fp8", "sglang", "h200-nb_0", "none", false, false}, "benchmarks/dsr1_fp8_h200.sh", ""},
		{Job{"dsr1", "fp8", "", "h200", "none", false, false}, "", "FRAMEWORK is not set"},
		// Agentic-coding scripts are named with their framework, and a
		// cluster:<name> label counts as <name>.
		{Job{"dsv4", "fp4", "vllm", "cluster:b200-dgxc", "mtp", false, true}, "benchmarks/agentic/dsv4_fp4_b200_vllm_mtp.sh", ""},
		{Job{"toy", "fp8", "sim", "cluster:sim", "none", false, true}, "benchmarks/agentic/toy_fp8_sim_sim.sh", ""},
		{Job{"dsv4", "fp4", "dynamo-trt", "cluster:gb200-nv", "none", true, true}, "", "multi-node agentic-coding jobs have no trace-replay script"},
	}
	jobs := make([]Job, len(cases))
	for i, c := range cases {
		jobs[i] = c.job
	}
	got, err := ResolveScripts(context.Background(), root, jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if got[i].Script != c.want || !strings.Contains(got[i].Err, c.wantErr) || (c.wantErr == "") != (got[i].Err == "") {
			t.Errorf("%s: got script %q error %q, want %q error containing %q", c.job, got[i].Script, got[i].Err, c.want, c.wantErr)
		}
	}
}

// TestChecksReportProblems runs the checks on a small repository with one of
// each problem, so that they are known to fail when they should.
func TestChecksReportProblems(t *testing.T) {
	realRoot := repoRoot(t)
	root := t.TempDir()
	lib, err := os.ReadFile(filepath.Join(realRoot, "runners", "lib.sh"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, "runners/lib.sh", string(lib))
	write(t, root, "benchmarks/benchmark_lib.sh", "#!/usr/bin/env bash\n")
	write(t, root, "benchmarks/toy_fp8_h200.sh", "#!/usr/bin/env bash\n")
	write(t, root, "benchmarks/old_fp8_h200.sh", "#!/usr/bin/env bash\n")
	write(t, root, "benchmarks/agentic/old_fp8_h200_sglang.sh", "#!/usr/bin/env bash\n")
	write(t, root, "runners/launch_h200-a.sh", "#!/usr/bin/env bash\nscript=$(require_benchmark_script)\n")
	write(t, root, "runners/launch_h200-c.sh", "#!/usr/bin/env bash\nbash benchmarks/toy_fp8_h200.sh\n")
	write(t, root, "runners/launch_h200-old.sh", "#!/usr/bin/env bash\nscript=$(require_benchmark_script)\n")
	write(t, root, "runners/helper.sh", "#!/usr/bin/env bash\n")
	write(t, root, "runners.yaml", "labels:\n  h200: [h200-a_0, h200-a_1, h200-b_0, h200-c_0]\n  cluster:h200-a: [h200-a_0]\n")
	point := "  scenarios:\n    fixed-seq-len:\n    - isl: 1024\n      osl: 1024\n      search-space:\n      - {tp: 8, conc-start: 4, conc-end: 8}\n"
	agentic := "  scenarios:\n    agentic-coding:\n    - search-space:\n      - {tp: 8, kv-offloading: none, conc-list: [4]}\n"
	write(t, root, "master.yaml", ""+
		"toy-fp8-h200-sglang:\n  image: img\n  model: org/toy\n  model-prefix: toy\n  precision: fp8\n  framework: sglang\n  runner: h200\n  multinode: false\n"+point+
		"toy-fp8-h200-trt:\n  image: img\n  model: org/toy\n  model-prefix: toy\n  precision: fp8\n  framework: trt\n  runner: h200\n  multinode: false\n"+point+
		"toy-fp8-h200-sglang-agentic:\n  image: img\n  model: org/toy\n  model-prefix: toy\n  precision: fp8\n  framework: sglang\n  runner: cluster:h200-a\n  multinode: false\n"+agentic)

	m := loadMaster(t, filepath.Join(root, "master.yaml"))
	used, problems, err := CheckScripts(context.Background(), root, Uses(m))
	if err != nil {
		t.Fatal(err)
	}
	problems = append(problems, CheckScenarios(root, m)...)
	pool := loadRunners(t, filepath.Join(root, "runners.yaml"))
	usedLaunchers, lp := CheckLaunchers(root, pool)
	problems = append(problems, lp...)
	unused, err := Unused(root, used, usedLaunchers)
	if err != nil {
		t.Fatal(err)
	}
	problems = append(problems, unused...)

	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{
		"master.yaml:15: toy-fp8-h200-trt: benchmarks/toy_fp8_h200_trt.sh does not exist (needed for model-prefix=toy precision=fp8 runner=h200 framework=trt spec-decoding=none single-node; docs/adding-a-config.md explains the naming)",
		"master.yaml:29: toy-fp8-h200-sglang-agentic: benchmarks/agentic/toy_fp8_h200_sglang.sh does not exist (needed for model-prefix=toy precision=fp8 runner=cluster:h200-a framework=sglang spec-decoding=none single-node agentic-coding; docs/adding-a-config.md explains the naming)",
		"runners.yaml: runner h200-b_0 (type h200) has no launcher runners/launch_h200-b.sh",
		"runners/launch_h200-c.sh: does not find its benchmark script with require_benchmark_script (runners/lib.sh)",
		"benchmarks/agentic/old_fp8_h200_sglang.sh: no config point runs this benchmark script",
		"benchmarks/old_fp8_h200.sh: no config point runs this benchmark script",
		"runners/helper.sh: runners/ holds launch_<node>.sh launchers and lib.sh only",
		"runners/launch_h200-old.sh: no runner node uses this launcher",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSyntaxAndShellcheckReport(t *testing.T) {
	root := t.TempDir()
	write(t, root, "benchmarks/broken.sh", "#!/usr/bin/env bash\nif true; then\n")
	write(t, root, "benchmarks/sloppy.sh", "#!/usr/bin/env bash\necho $1\n")
	ctx := context.Background()
	problems, err := CheckSyntax(ctx, root, []string{"benchmarks/broken.sh", "benchmarks/sloppy.sh"})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].File != "benchmarks/broken.sh" || !strings.Contains(problems[0].Msg, "syntax error") {
		t.Errorf("bash -n: got %v, want one syntax error in broken.sh", problems)
	}

	problems, err = Shellcheck(ctx, root, []string{"benchmarks/sloppy.sh"})
	if errors.Is(err, ErrNoShellcheck) {
		skipWithoutShellcheck(t)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].File != "benchmarks/sloppy.sh" || problems[0].Line != 2 || !strings.Contains(problems[0].Msg, "SC2086") {
		t.Errorf("shellcheck: got %v, want SC2086 at benchmarks/sloppy.sh:2", problems)
	}
}

func write(t *testing.T, root, name, content string) {
	t.Helper()
	path := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
