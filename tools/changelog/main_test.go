package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"
)

// gitEnv makes commits reproducible and keeps the user's git config out.
var gitEnv = []string{
	"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_AUTHOR_DATE=2026-02-05T10:00:00Z",
	"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_COMMITTER_DATE=2026-02-05T10:00:00Z",
	"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
}

func git(t testing.TB, repo string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), gitEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// configSources are the directories a case's master configs come from, by
// the name in its configs file: this repository's configs (today's
// format), or their Feb-2026 copy.
var configSources = map[string]string{
	"today":   filepath.Join("..", "..", "configs"),
	"feb2026": filepath.Join("..", "matrixgen", "testdata", "feb2026"),
}

// caseConfigs names a case's config source: its configs file, today's
// configs without one.
func caseConfigs(t testing.TB, caseDir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(caseDir, "configs"))
	if os.IsNotExist(err) {
		return "today"
	} else if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSpace(string(data))
	if _, ok := configSources[name]; !ok {
		t.Fatalf("%s: unknown configs %q", caseDir, name)
	}
	return name
}

// appendTo appends a file's content (after a blank line) to another.
func appendTo(t testing.TB, src, dst string) {
	t.Helper()
	extra, err := os.ReadFile(src)
	if os.IsNotExist(err) {
		return
	} else if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(dst, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(append([]byte("\n"), extra...)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// buildRepo makes a throw-away repository for a case: the master configs
// of its source, with the case's extra-master.yaml appended to
// nvidia-master.yaml and its extra-runners.yaml to runners.yaml; a commit
// with base.yaml as perf-changelog.yaml and a commit with head.yaml. When
// the case has head-master.yaml, the head commit has it in place of
// extra-master.yaml (a config change that comes with its changelog entry).
// scripts/gen-changelog-compat.py builds the same.
func buildRepo(t testing.TB, caseDir string) string {
	t.Helper()
	repo := t.TempDir()
	configs := filepath.Join(repo, "configs")
	if err := os.MkdirAll(configs, 0o755); err != nil {
		t.Fatal(err)
	}
	source := configSources[caseConfigs(t, caseDir)]
	writeConfigs := func(extra string) {
		for _, name := range []string{"amd-master.yaml", "nvidia-master.yaml", "runners.yaml"} {
			copyFile(t, filepath.Join(source, name), filepath.Join(configs, name))
		}
		appendTo(t, filepath.Join(caseDir, extra), filepath.Join(configs, "nvidia-master.yaml"))
		appendTo(t, filepath.Join(caseDir, "extra-runners.yaml"), filepath.Join(configs, "runners.yaml"))
	}
	writeConfigs("extra-master.yaml")
	git(t, repo, "init", "-q", "-b", "main")
	changelog := filepath.Join(repo, "perf-changelog.yaml")
	for _, version := range []string{"base", "head"} {
		src := filepath.Join(caseDir, version+".yaml")
		if _, err := os.Stat(src); err == nil {
			copyFile(t, src, changelog)
		} else if err := os.Remove(changelog); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(caseDir, "head-master.yaml")); err == nil && version == "head" {
			writeConfigs("head-master.yaml")
		}
		git(t, repo, "add", "-A")
		git(t, repo, "commit", "-q", "--allow-empty", "-m", version)
	}
	return repo
}

func caseArgs(t *testing.T, caseDir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(caseDir, "args"))
	if os.IsNotExist(err) {
		return []string{"matrix", "--base-ref", "HEAD~1", "--head-ref", "HEAD"}
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

func cases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata/cases")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) < 20 {
		t.Fatalf("only %d cases", len(names))
	}
	return names
}

// runCase runs the tool in the case's repository as a workflow does: from
// the repository root with the default config paths.
func runCase(t *testing.T, name string, env map[string]string) (stdout, stderr string, code int, args []string) {
	t.Helper()
	caseDir, err := filepath.Abs(filepath.Join("testdata/cases", name))
	if err != nil {
		t.Fatal(err)
	}
	args = append(caseArgs(t, caseDir), "--changelog-file", "perf-changelog.yaml")
	repo := buildRepo(t, caseDir)
	t.Chdir(repo)
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code, args
}

// TestCases runs every case and keeps the whole result (exit status,
// stdout, stderr) in testdata/golden/<case>.txt.
func TestCases(t *testing.T) {
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			path, err := filepath.Abs(filepath.Join("testdata", "golden", name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code, args := runCase(t, name, nil)
			var b strings.Builder
			fmt.Fprintf(&b, "$ changelog %s\nexit status %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(args, " "), code, stdout, stderr)
			golden.Check(t, path, []byte(b.String()))
			if code != 0 && stdout != "" {
				t.Errorf("exit %d with output on stdout", code)
			}
		})
	}
}

// normalise sorts each bucket's jobs (the original's order comes from
// iterating a Python set) and fills the entry default pydantic wrote.
func normalise(t *testing.T, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"single_node", "multi_node"} {
		for name, jobs := range doc[kind].(map[string]any) {
			list := jobs.([]any)
			sort.Slice(list, func(i, j int) bool {
				a, _ := json.Marshal(list[i])
				b, _ := json.Marshal(list[j])
				return string(a) < string(b)
			})
			doc[kind].(map[string]any)[name] = list
		}
	}
	return doc
}

func decodeJSON(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCompat requires the same jobs and metadata as the original printed
// (scripts/gen-changelog-compat.py), bucket by bucket.
func TestCompat(t *testing.T) {
	n := 0
	for _, name := range cases(t) {
		path, err := filepath.Abs(filepath.Join("testdata/compat", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		caseDir, err := filepath.Abs(filepath.Join("testdata/cases", name))
		if err != nil {
			t.Fatal(err)
		}
		feb := caseConfigs(t, caseDir) == "feb2026"
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code, _ := runCase(t, name, nil)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !feb {
				// Upstream main is deterministic: the same bytes.
				if stdout == string(want) {
					return
				}
				got, exp := decodeJSON(t, []byte(stdout)), decodeJSON(t, want)
				if !reflect.DeepEqual(got, exp) {
					for k := range exp.(map[string]any) {
						g, _ := json.Marshal(got.(map[string]any)[k])
						e, _ := json.Marshal(exp.(map[string]any)[k])
						if string(g) != string(e) {
							t.Errorf("%s differs:\n got  %.3000s\n want %.3000s", k, g, e)
						}
					}
				}
				t.Fatal("the output differs from upstream main's bytes")
			}
			got, exp := normalise(t, []byte(stdout)), normalise(t, want)
			for _, kind := range []string{"single_node", "multi_node", "changelog_metadata"} {
				if !reflect.DeepEqual(got[kind], exp[kind]) {
					g, _ := json.Marshal(got[kind])
					e, _ := json.Marshal(exp[kind])
					t.Errorf("%s differs:\n got  %.2000s\n want %.2000s", kind, g, e)
				}
			}
		})
	}
	if n < 17 {
		t.Fatalf("only %d compat cases", n)
	}
}

func TestGitHubOutputAndAnnotations(t *testing.T) {
	out := filepath.Join(t.TempDir(), "github_output")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out}
	caseDir, err := filepath.Abs("testdata/cases/append-exact")
	if err != nil {
		t.Fatal(err)
	}
	repo := buildRepo(t, caseDir)
	t.Chdir(repo)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"matrix", "--base-ref", "HEAD~1", "--head-ref", "HEAD", "--changelog-file",
		filepath.Join(repo, "perf-changelog.yaml"), "--github-output", "search-space-config"}, &stdout, &stderr, func(k string) string { return env[k] })
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || lines[1]+"\n" != stdout.String() || !strings.HasPrefix(lines[0], "search-space-config<<") {
		t.Fatalf("GITHUB_OUTPUT does not hold the printed JSON:\n%.500s", data)
	}

	// Problems become annotations on the file and line.
	if err := os.WriteFile("perf-changelog.yaml", []byte("- config-keys: [nope]\n  description: [x]\n  pr-link: p\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"check", "--changelog-file", "perf-changelog.yaml"}, &stdout, &stderr, func(k string) string { return env[k] })
	if code != 2 || !strings.Contains(stderr.String(), "::error col=17,file=perf-changelog.yaml,line=1::[0].config-keys[0]: no master config key \"nope\"") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
}

func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "changelog")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	caseDir, err := filepath.Abs("testdata/cases/evals-only")
	if err != nil {
		t.Fatal(err)
	}
	repo := buildRepo(t, caseDir)
	cmd := exec.Command(bin, "--base-ref", "HEAD~1", "--head-ref", "HEAD", "--changelog-file", filepath.Join(repo, "perf-changelog.yaml"))
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v", err)
	}
	var m struct {
		SingleNode map[string][]map[string]any `json:"single_node"`
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	for _, jobs := range m.SingleNode {
		for _, j := range jobs {
			if j["run-eval"] != true {
				t.Errorf("an evals-only entry produced a job without run-eval: %v", j)
			}
		}
	}
	if len(m.SingleNode["1k8k"]) == 0 {
		t.Errorf("no 1k8k jobs: %s", out)
	}
	cmd = exec.Command(bin, "matrix", "--base-ref", "nope", "--head-ref", "HEAD", "--changelog-file", "perf-changelog.yaml")
	cmd.Dir = repo
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 2 {
		t.Errorf("an unknown ref must exit 2, got %v", err)
	}
}
