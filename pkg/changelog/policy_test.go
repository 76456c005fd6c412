package changelog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestDecideLikeUpstream feeds every scenario scripts/gen-sweep-policy-
// golden.py evaluated with upstream's own run-sweep.yml expressions to
// Decide: whether the sweep runs, a conflict where upstream's
// check-changelog fails, and (when it runs) trim-conc, all-evals,
// evals-only, canary and fail-fast.
func TestDecideLikeUpstream(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "upstream-sweep-policy.json"))
	if err != nil {
		t.Fatalf("%v (run scripts/gen-sweep-policy-golden.py)", err)
	}
	var rows [][]any
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2000 {
		t.Fatalf("only %d scenarios", len(rows))
	}
	runs := 0
	for i, r := range rows {
		e := &Event{Name: r[0].(string), Repository: "SemiAnalysisAI/InferenceX", HeadRepo: "SemiAnalysisAI/InferenceX"}
		if a, ok := r[1].(string); ok {
			e.Action = a
		}
		e.Draft = r[2].(bool)
		for _, l := range r[3].([]any) {
			e.Labels = append(e.Labels, l.(string))
		}
		if l, ok := r[4].(string); ok {
			e.Label = l
		}
		if r[5].(bool) {
			e.HeadRepo = "someone/InferenceX"
		}
		if r[6].(bool) {
			e.HeadCommitMessage = "fix: docs [skip-sweep]"
		}
		check, run := r[7].(string), r[8].(bool)
		want := []bool{r[9].(bool), r[10].(bool), r[11].(bool), r[12].(bool), r[13].(bool)}
		name := fmt.Sprintf("#%d %s %s draft=%v labels=%v label=%q fork=%v skip=%v", i, e.Name, e.Action, e.Draft, e.Labels, e.Label, r[5], r[6])

		p, err := Decide(e)
		var ce *ConflictError
		if check == "failure" {
			if !errors.As(err, &ce) {
				t.Errorf("%s: upstream's check fails on the labels; Decide: %+v, %v", name, p, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p.Run != run {
			t.Errorf("%s: run %v (%s), upstream %v", name, p.Run, p.Reason, run)
			continue
		}
		if !run {
			continue
		}
		runs++
		got := []bool{p.TrimConc, p.AllEvals, p.EvalsOnly, p.Canary, p.FailFast}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: trim-conc, all-evals, evals-only, canary, fail-fast = %v, upstream %v", name, got, want)
		}
	}
	if runs < 100 {
		t.Errorf("only %d scenarios sweep: the golden covers too little", runs)
	}
}

// TestDecide covers what the upstream scenarios do not: the title marker,
// other events, and the messages.
func TestDecide(t *testing.T) {
	pr := func(edit func(*Event)) *Event {
		e := &Event{Name: "pull_request", Action: "synchronize", Labels: []string{LabelSweep}, Repository: "o/r", HeadRepo: "o/r"}
		if edit != nil {
			edit(e)
		}
		return e
	}
	cases := []struct {
		name    string
		event   *Event
		run     bool
		reason  string
		wantErr string
	}{
		{"title says skip", pr(func(e *Event) { e.Title = "Bump image [skip-sweep]" }), false, "title says [skip-sweep]", ""},
		{"sweep", pr(nil), true, "label sweep-enabled", ""},
		{"workflow_dispatch", &Event{Name: "workflow_dispatch"}, false, "a workflow_dispatch event starts no sweep", ""},
		{"push", &Event{Name: "push", HeadCommitMessage: "x [skip-sweep]"}, true, "a push sweeps", ""},
		{"fork", pr(func(e *Event) { e.HeadRepo = "f/r" }), false, "comes from the fork f/r", ""},
		{"unrelated label", pr(func(e *Event) { e.Action = "labeled"; e.Label = "documentation" }), false, `label "documentation" does not concern the sweep`, ""},
		{"no label", pr(func(e *Event) { e.Labels = []string{"all-evals"} }), false, "no sweep label", ""},
		{"duplicate label", pr(func(e *Event) { e.Labels = []string{LabelSweep, LabelSweep} }), true, "label sweep-enabled", ""},
		{"two labels", pr(func(e *Event) { e.Labels = []string{LabelFullSweep, "x", LabelSweep} }), false, "",
			"the pull request has 2 sweep labels (full-sweep-enabled, sweep-enabled); keep exactly one of sweep-enabled, full-sweep-enabled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Decide(c.event)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || p.Run != c.run || !strings.Contains(p.Reason, c.reason) {
				t.Errorf("%+v, %v; want run=%v and a reason containing %q", p, err, c.run, c.reason)
			}
		})
	}
}

func TestParseEvent(t *testing.T) {
	payload := `{"action": "labeled", "label": {"name": "full-sweep-enabled"}, "repository": {"full_name": "o/r"},
	 "pull_request": {"draft": false, "title": "Add dsr1 fp4", "labels": [{"name": "full-sweep-enabled"}, {"name": "all-evals"}],
	  "head": {"repo": {"full_name": "o/r"}}}}`
	e, err := ParseEvent("pull_request", []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	want := &Event{Name: "pull_request", Action: "labeled", Label: "full-sweep-enabled", Title: "Add dsr1 fp4",
		Labels: []string{"full-sweep-enabled", "all-evals"}, HeadRepo: "o/r", Repository: "o/r"}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("got  %+v\nwant %+v", e, want)
	}
	p, err := Decide(e)
	if err != nil || !p.Run || !p.Canary || !p.AllEvals || p.FailFast || p.TrimConc {
		t.Errorf("%+v, %v", p, err)
	}
	for _, bad := range []string{`[]`, `{"pull_request": 1}`, `{`} {
		if _, err := ParseEvent("pull_request", []byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if _, err := ParseEvent("pull_request", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "without pull_request") {
		t.Errorf("error %v", err)
	}
	if e, err := ParseEvent("push", []byte(`{"after": "abc"}`)); err != nil || e.Name != "push" {
		t.Errorf("%+v, %v", e, err)
	}
}

// FuzzParseEvent: any payload is read or refused; a read one always gets
// a decision or a conflict.
func FuzzParseEvent(f *testing.F) {
	f.Add("pull_request", []byte(`{"action": "labeled", "label": {"name": "sweep-enabled"}, "pull_request": {"labels": [{"name": "sweep-enabled"}], "head": {"repo": null}}}`))
	f.Add("push", []byte(`{}`))
	f.Add("pull_request", []byte(`{"pull_request": {"labels": [{"name": "sweep-enabled"}, {"name": "full-sweep-enabled"}]}}`))
	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		e, err := ParseEvent(name, payload)
		if err != nil {
			return
		}
		p, err := Decide(e)
		var ce *ConflictError
		if err != nil && !errors.As(err, &ce) {
			t.Fatal(err)
		}
		if err == nil && p.Run && name == "pull_request" && p.Label == "" {
			t.Fatalf("a pull request sweep without a label: %+v", p)
		}
	})
}

// TestSelectCanaryLikeUpstream compares with upstream's jq program on the
// matrices of testdata/canary: the same canary, and the same jobs left
// (upstream also writes empty 1k1k and 8k1k lists where there were none).
func TestSelectCanaryLikeUpstream(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "upstream-canary.json"))
	if err != nil {
		t.Fatalf("%v (run scripts/gen-sweep-policy-golden.py)", err)
	}
	var up map[string]struct {
		Canary    []any          `json:"canary"`
		Remaining map[string]any `json:"remaining"`
	}
	if err := json.Unmarshal(data, &up); err != nil {
		t.Fatal(err)
	}
	cases, _ := filepath.Glob(filepath.Join("testdata", "canary", "*.json"))
	if len(cases) != len(up) || len(cases) == 0 {
		t.Fatalf("%d matrices, %d upstream selections", len(cases), len(up))
	}
	for _, c := range cases {
		t.Run(filepath.Base(c), func(t *testing.T) {
			matrix, err := os.ReadFile(c)
			if err != nil {
				t.Fatal(err)
			}
			sel, err := SelectCanary(matrix)
			if err != nil {
				t.Fatal(err)
			}
			want := up[filepath.Base(c)]
			if got := generic(t, sel.Canary); !reflect.DeepEqual(got, generic(t, want.Canary)) {
				t.Errorf("canary %v, upstream %v", got, want.Canary)
			}
			got := generic(t, sel.Remaining).(map[string]any)
			if !reflect.DeepEqual(dropEmpty(got), dropEmpty(want.Remaining)) {
				t.Errorf("remaining\n%v\nupstream\n%v", got, want.Remaining)
			}
		})
	}
}

func generic(t *testing.T, v any) any {
	t.Helper()
	s, err := JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// dropEmpty removes empty single_node buckets.
func dropEmpty(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k == "single_node" {
			sn := map[string]any{}
			for b, jobs := range v.(map[string]any) {
				if l, ok := jobs.([]any); ok && len(l) == 0 {
					continue
				}
				sn[b] = jobs
			}
			v = sn
		}
		out[k] = v
	}
	return out
}

// TestSelectCanary covers our other sequence lengths and bad matrices.
func TestSelectCanary(t *testing.T) {
	job := func(conc int, extra string) string {
		return fmt.Sprintf(`{"runner": "h200", "conc": %d%s}`, conc, extra)
	}
	cases := []struct {
		name, matrix string
		canary       string
		bucket       string
		wantErr      string
	}{
		{"other length after 8k1k", `{"single_node": {"1k8k": [` + job(2, "") + `], "8k1k": [` + job(2, `, "x": 1`) + `]}}`,
			`[{"runner":"h200","conc":2,"x":1}]`, "8k1k", ""},
		{"only another length", `{"single_node": {"2048_128": [` + job(8, "") + `, ` + job(4, "") + `]}}`, `[{"runner":"h200","conc":4}]`, "2048_128", ""},
		{"agentic never", `{"single_node": {"agentic": [` + job(1, "") + `]}}`, `[]`, "", ""},
		{"eval-only never", `{"single_node": {"1k1k": [` + job(1, `, "eval-only": true`) + `]}}`, `[]`, "", ""},
		{"no single_node", `{"multi_node": {}}`, `[]`, "", ""},
		{"null buckets", `{"single_node": null}`, `[]`, "", ""},
		{"not an object", `[]`, "", "", "expected a JSON object"},
		{"bucket not a list", `{"single_node": {"1k1k": {}}}`, "", "", "single_node.1k1k: expected a list of jobs"},
		{"conc not a number", `{"single_node": {"1k1k": [{"conc": "4"}]}}`, "", "", "single_node.1k1k[0].conc: expected a number"},
		{"not JSON", `{`, "", "", "the matrix"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel, err := SelectCanary([]byte(c.matrix))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := JSON(sel.Canary)
			if got != c.canary || sel.Bucket != c.bucket {
				t.Errorf("canary %s from %q, want %s from %q", got, sel.Bucket, c.canary, c.bucket)
			}
		})
	}
}

// FuzzSelectCanary: whatever the matrix, the canary and the rest hold
// every single-node job exactly once.
func FuzzSelectCanary(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "canary", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"single_node": {"1k1k": [{"conc": 1e400}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sel, err := SelectCanary(data)
		if err != nil {
			return
		}
		count := func(m any) int {
			n := 0
			if mm, ok := m.(map[string]any); ok {
				if sn, ok := mm["single_node"].(map[string]any); ok {
					for _, v := range sn {
						if l, ok := v.([]any); ok {
							n += len(l)
						}
					}
				}
			}
			return n
		}
		var before any
		if json.Unmarshal(data, &before) != nil {
			return
		}
		after := generic(t, sel.Remaining)
		if count(before) != count(after)+len(sel.Canary) {
			t.Fatalf("%d jobs before, %d after plus %d canary", count(before), count(after), len(sel.Canary))
		}
	})
}
