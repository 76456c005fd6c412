package repocheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeSlurm puts stand-ins for git, squeue, scancel and scontrol first on
// PATH: a clone gets a submit_disagg.sh that records its arguments, writes
// a Slurm log and one result file per benchmark directory, and prints job
// id 123; the queue is always empty. It returns the environment and the
// files the fakes record to.
func fakeSlurm(t *testing.T) (env []string, work, record string) {
	t.Helper()
	dir := t.TempDir()
	bin, work, record := filepath.Join(dir, "bin"), filepath.Join(dir, "ws"), filepath.Join(dir, "record")
	for _, d := range []string{bin, work, record} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	submit := `echo "$*" > "` + record + `/submit"
mkdir -p logs/run1/sglang_isl_${ISL}_osl_${OSL} logs/run1/vllm_isl_${ISL}_osl_${OSL}
echo '{}' > logs/run1/sglang_isl_${ISL}_osl_${OSL}/isl_${ISL}_concurrency_4_gpus_24_ctx_8_gen_16.json
echo '{}' > logs/run1/vllm_isl_${ISL}_osl_${OSL}/isl_${ISL}_concurrency_4_gpus_24_ctx_8_gen_16.json
if [ "${EVAL_ONLY:-}" = true ]; then
  mkdir -p logs/run1/eval_results
  echo '{"is_multinode": true}' > logs/run1/eval_results/meta_env.json
  echo '{"lm_eval_version": "0.4"}' > logs/run1/eval_results/results_2026-08-01T10-00-00.json
fi
echo log > slurm_job-123.out
echo 123
`
	fakes := map[string]string{
		"git": `echo "$*" >> "` + record + `/git"
if [ "$1" = clone ]; then
  for a; do dest=$a; done
  case "$dest" in *github.com*) dest=dynamo ;; esac
  mkdir -p "$dest" "$GITHUB_WORKSPACE/$SGL_SLURM_JOBS_PATH"
  cp "` + record + `/submit.tmpl" "$dest/submit_disagg.sh"
  cp "` + record + `/submit.tmpl" "$GITHUB_WORKSPACE/$SGL_SLURM_JOBS_PATH/submit_disagg.sh"
fi`,
		"squeue":   "exit 0",
		"scancel":  `echo "$*" >> "` + record + `/scancel"`,
		"scontrol": "exit 0",
	}
	if err := os.WriteFile(filepath.Join(record, "submit.tmpl"), []byte(submit), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range fakes {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/usr/bin/env bash\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "GITHUB_WORKSPACE="+work, "RESULT_FILENAME=res",
		"CONC_LIST=4 8", "ISL=1024", "OSL=1024", "IMAGE=img", "SPEC_DECODING=none", "MODEL_PATH=/models",
		"PREFILL_NUM_WORKERS=1", "PREFILL_TP=8", "PREFILL_EP=8", "PREFILL_DP_ATTN=true",
		"DECODE_NUM_WORKERS=2", "DECODE_TP=8", "DECODE_EP=8", "DECODE_DP_ATTN=false",
		"PREFILL_NODES=1", "DECODE_NODES=2", "SGL_SLURM_JOBS_PATH=sgljobs", "RANDOM_RANGE_RATIO=0.8",
		"N_ADDITIONAL_FRONTENDS=0", "CONFIG_DIR=/cfg", "SCRIPT_MODE=max", "USER=ci")
	return env, work, record
}

// TestSlurmSubmitScripts runs the multi-node scripts that submit through
// submit_disagg.sh against fake Slurm and git: what they clone, what they
// submit, and which result files they leave.
func TestSlurmSubmitScripts(t *testing.T) {
	cases := []struct {
		script, clone, submit, result string
	}{
		{"dsr1_fp4_mi355x_sglang-disagg.sh", "clone --branch sa-260203 https://github.com/billishyahao/sglang_disagg.git sgljobs",
			"1 1 2 2 1024 1024 4x8 inf true true true false 0.8", "res_isl_1024_concurrency_4_gpus_24_ctx_8_gen_16.json"},
		{"dsr1_fp8_mi355x_sglang-disagg.sh", "clone --branch cam/sa-260114 https://github.com/cquil11/sglang_disagg.git sgljobs",
			"1 1 2 2 1024 1024 4x8 inf true true true false 0.8", "res_isl_1024_concurrency_4_gpus_24_ctx_8_gen_16.json"},
		{"dsr1_fp4_gb200_dynamo-sglang.sh", "clone https://github.com/ai-dynamo/dynamo.git",
			"1 1 2 2 0 1024 1024 4x8 inf gb200-fp4 max", "res_isl_1024_concurrency_4_gpus_24_ctx_8_gen_16.json"},
		{"dsr1_fp8_gb200_dynamo-sglang.sh", "clone https://github.com/ai-dynamo/dynamo.git",
			"1 1 2 2 0 1024 1024 4x8 inf gb200-fp8 max", "res_isl_1024_concurrency_4_gpus_24_ctx_8_gen_16.json"},
	}
	root := repoRoot(t)
	for _, c := range cases {
		t.Run(c.script, func(t *testing.T) {
			env, work, record := fakeSlurm(t)
			cmd := exec.Command("bash", filepath.Join(root, "benchmarks", c.script))
			cmd.Env, cmd.Dir = env, work
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			read := func(name string) string {
				data, err := os.ReadFile(filepath.Join(record, name))
				if err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				return strings.TrimSpace(string(data))
			}
			if git := read("git"); !strings.HasPrefix(git, c.clone) {
				t.Errorf("git calls:\n%s\nwant first %q", git, c.clone)
			}
			if got := read("submit"); got != c.submit {
				t.Errorf("submit_disagg.sh %q, want %q", got, c.submit)
			}
			entries, err := os.ReadDir(work)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Contains(names, c.result) {
				t.Errorf("workspace holds %v, want %s", names, c.result)
			}
		})
	}
}

// TestSlurmSubmitScriptsEvalOnly: an eval-only multi-node job leaves the
// recipe's eval files (meta_env.json, results*.json) in the workspace
// instead of throughput results, and fails when the recipe left none.
func TestSlurmSubmitScriptsEvalOnly(t *testing.T) {
	root := repoRoot(t)
	for _, script := range []string{"dsr1_fp4_mi355x_sglang-disagg.sh", "dsr1_fp4_gb200_dynamo-sglang.sh"} {
		t.Run(script, func(t *testing.T) {
			env, work, _ := fakeSlurm(t)
			cmd := exec.Command("bash", filepath.Join(root, "benchmarks", script))
			cmd.Env, cmd.Dir = append(env, "EVAL_ONLY=true", "EVAL_CONC=4 8"), work
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, f := range []string{"meta_env.json", "results_2026-08-01T10-00-00.json"} {
				if _, err := os.Stat(filepath.Join(work, f)); err != nil {
					t.Errorf("%s not in the workspace: %v\n%s", f, err, out)
				}
			}
			if m, _ := filepath.Glob(filepath.Join(work, "res_*")); len(m) != 0 {
				t.Errorf("throughput results copied in an eval-only job: %v", m)
			}
		})
	}
	t.Run("no eval files", func(t *testing.T) {
		env, work, _ := fakeSlurm(t)
		cmd := exec.Command("bash", "-c", `source "$1"; copy_eval_artifacts "$2"`, "x", filepath.Join(root, "benchmarks", "multinode_lib.sh"), t.TempDir())
		cmd.Env, cmd.Dir = env, work
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "no eval results (meta_env.json) under") {
			t.Errorf("%v\n%s", err, out)
		}
	})
}
