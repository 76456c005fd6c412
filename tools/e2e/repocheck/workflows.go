package repocheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The security rules every workflow keeps, beyond what actionlint checks:
//   - an action or reusable workflow from another repository is pinned to a
//     full commit SHA (a tag can be moved to other code);
//   - a run: script holds no ${{ }} expression at all: values reach the
//     shell through env:, never as script text (script injection);
//   - the workflow declares its top-level permissions, and none is write-all;
//   - secrets are passed by name, never with `secrets: inherit`;
//   - no pull_request_target or workflow_run trigger (they run with the base
//     repository's token and secrets on code a fork controls).
var (
	pinnedRemote = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	pinnedDocker = regexp.MustCompile(`^docker://[^@]+@sha256:[0-9a-f]{64}$`)
)

// WorkflowFiles lists .github/workflows/*.yml and *.yaml under root.
func WorkflowFiles(root string) ([]string, error) {
	var out []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, ".github", "workflows", pat))
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			out = append(out, rel(root, f))
		}
	}
	slices.Sort(out)
	return out, nil
}

// CheckWorkflow checks one workflow file (relative to root) against the rules.
func CheckWorkflow(root, file string) ([]Problem, error) {
	doc, err := parseWorkflow(filepath.Join(root, file))
	if err != nil {
		return nil, err
	}
	var problems []Problem
	add := func(n *yaml.Node, format string, args ...any) {
		problems = append(problems, Problem{File: file, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return []Problem{{File: file, Line: top.Line, Msg: "a workflow is a mapping"}}, nil
	}
	if _, perms := mapGet(top, "permissions"); perms == nil {
		add(top, "no top-level permissions: declare what the jobs need (least privilege)")
	}
	if _, on := mapGet(top, "on"); on != nil {
		for _, trig := range triggers(on) {
			if trig.Value == "pull_request_target" || trig.Value == "workflow_run" {
				add(trig, "trigger %s runs fork-controlled code with the repository's token and secrets", trig.Value)
			}
		}
	}
	walk(top, func(key, val *yaml.Node) {
		val = resolve(val)
		switch key.Value {
		case "uses":
			if val.Kind != yaml.ScalarNode {
				return
			}
			u := val.Value
			switch {
			case strings.HasPrefix(u, "./"):
			case strings.HasPrefix(u, "docker://"):
				if !pinnedDocker.MatchString(u) {
					add(val, "%s: pin the image to a digest (@sha256:...)", u)
				}
			case !pinnedRemote.MatchString(u):
				add(val, "%s: pin the action to a full commit SHA (owner/repo@<40 hex> # vX.Y.Z)", u)
			}
		case "run":
			if val.Kind == yaml.ScalarNode && strings.Contains(val.Value, "${{") {
				add(val, "an expression in a run: script; pass the value through env: instead")
			}
		case "secrets":
			if val.Kind == yaml.ScalarNode && val.Value == "inherit" {
				add(val, "secrets: inherit hands every secret to the called workflow; pass the ones it needs by name")
			}
		case "permissions":
			if val.Kind == yaml.ScalarNode && val.Value == "write-all" {
				add(val, "permissions: write-all; grant each permission a job needs")
			}
		}
	})
	return problems, nil
}

// StepScript returns the run: script of step stepID (its id:) in job jobID.
func StepScript(path, jobID, stepID string) (string, error) {
	doc, err := parseWorkflow(path)
	if err != nil {
		return "", err
	}
	_, jobs := mapGet(doc.Content[0], "jobs")
	if jobs == nil {
		return "", fmt.Errorf("%s: no jobs", path)
	}
	_, job := mapGet(jobs, jobID)
	if job == nil {
		return "", fmt.Errorf("%s: no job %s", path, jobID)
	}
	_, steps := mapGet(job, "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return "", fmt.Errorf("%s: job %s has no steps", path, jobID)
	}
	for _, st := range steps.Content {
		if _, id := mapGet(st, "id"); id != nil && id.Value == stepID {
			if _, run := mapGet(st, "run"); run != nil {
				return resolve(run).Value, nil
			}
			return "", fmt.Errorf("%s: step %s of job %s has no run: script", path, stepID, jobID)
		}
	}
	return "", fmt.Errorf("%s: job %s has no step with id %s", path, jobID, stepID)
}

func parseWorkflow(path string) (*yaml.Node, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("%s: not a single YAML document", path)
	}
	return &doc, nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapGet returns the key and value nodes of key in mapping m (aliases resolved).
func mapGet(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], resolve(m.Content[i+1])
		}
	}
	return nil, nil
}

// walk calls f for every key/value pair of every mapping under n. Aliases are
// not followed: the anchored node is walked where it is defined.
func walk(n *yaml.Node, f func(key, val *yaml.Node)) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			f(n.Content[i], n.Content[i+1])
			walk(n.Content[i+1], f)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			walk(c, f)
		}
	}
}

// triggers returns the event name nodes of an on: value.
func triggers(on *yaml.Node) []*yaml.Node {
	switch on.Kind {
	case yaml.ScalarNode:
		return []*yaml.Node{on}
	case yaml.SequenceNode:
		return on.Content
	case yaml.MappingNode:
		var out []*yaml.Node
		for i := 0; i+1 < len(on.Content); i += 2 {
			out = append(out, on.Content[i])
		}
		return out
	}
	return nil
}
