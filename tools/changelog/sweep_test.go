package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"
)

func invoke(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func writeEvent(t *testing.T, payload string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSweepPolicyCommand runs `changelog sweep-policy` as run-sweep.yml
// does: the event from GITHUB_EVENT_NAME and GITHUB_EVENT_PATH, the
// decision printed and set as step outputs.
func TestSweepPolicyCommand(t *testing.T) {
	event := writeEvent(t, `{"action": "synchronize", "repository": {"full_name": "o/r"},
	 "pull_request": {"draft": false, "title": "Bump sglang", "labels": [{"name": "full-sweep-fail-fast"}, {"name": "evals-only"}],
	  "head": {"repo": {"full_name": "o/r"}}}}`)
	out := filepath.Join(t.TempDir(), "github_output")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event}
	code, stdout, stderr := invoke(t, env, "sweep-policy", "--github-output", "--head-commit-message", "feat: bump")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Check(t, filepath.Join("testdata", "sweep", "policy.golden"), []byte(stdout))
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sweep<<", "\ntrue\n", "canary<<", "fail-fast<<", "evals-only<<"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, data)
		}
	}

	conflict := writeEvent(t, `{"action": "labeled", "label": {"name": "sweep-enabled"},
	 "pull_request": {"labels": [{"name": "sweep-enabled"}, {"name": "full-sweep-enabled"}]}}`)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"conflicting labels", []string{"sweep-policy", "--event-name", "pull_request", "--event-path", conflict}, 2,
			"::error::the pull request has 2 sweep labels (sweep-enabled, full-sweep-enabled); keep exactly one of"},
		{"no event file", []string{"sweep-policy", "--event-name", "push", "--event-path", conflict + ".missing"}, 2, "--event-path:"},
		{"not an event", []string{"sweep-policy", "--event-name", "pull_request", "--event-path", writeEvent(t, `[1]`)}, 2, "not a GitHub event"},
		{"no event name", []string{"sweep-policy", "--event-path", conflict}, 2, "--event-name is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := invoke(t, map[string]string{"GITHUB_ACTIONS": "true"}, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, c.code, c.want)
			}
		})
	}
}

// TestCanaryCommand: the canary and the rest of a matrix, printed and set
// as step outputs.
func TestCanaryCommand(t *testing.T) {
	matrix, _ := filepath.Abs(filepath.Join("..", "..", "pkg", "changelog", "testdata", "canary", "lowest-in-8k1k.json"))
	out := filepath.Join(t.TempDir(), "github_output")
	code, stdout, stderr := invoke(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out}, "canary", "--matrix", matrix, "--github-output")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Check(t, filepath.Join("testdata", "sweep", "canary.golden"), []byte(stdout))
	if !strings.Contains(stderr, "the canary is the 8k1k job") {
		t.Errorf("stderr: %s", stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "canary-config<<") || !strings.Contains(string(data), "remaining-search-space-config<<") {
		t.Errorf("GITHUB_OUTPUT:\n%s", data)
	}
	bad := writeEvent(t, `{"single_node": {"1k1k": 4}}`)
	if code, _, stderr := invoke(t, nil, "canary", "--matrix", bad); code != 2 || !strings.Contains(stderr, "single_node.1k1k: expected a list of jobs") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
	if code, _, stderr := invoke(t, nil, "canary"); code != 2 || !strings.Contains(stderr, "--matrix") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}
