package pipeline

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Step is one step of a workflow job, as written.
type Step struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
	With map[string]string `yaml:"with"`
}

// Input is a workflow_call input.
type Input struct {
	Type    string `yaml:"type"`
	Default any    `yaml:"default"`
}

type workflowFile struct {
	On struct {
		WorkflowCall struct {
			Inputs map[string]Input `yaml:"inputs"`
		} `yaml:"workflow_call"`
	} `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		With  map[string]string `yaml:"with"`
		Steps []Step            `yaml:"steps"`
	} `yaml:"jobs"`
}

// Template is the part of a reusable benchmark workflow the local runner
// runs: its inputs, its workflow-level env and one job's steps.
type Template struct {
	Path   string
	Inputs map[string]Input
	Env    map[string]string
	Steps  []Step
}

// LoadTemplate reads job jobID of a reusable workflow.
func LoadTemplate(path, jobID string) (*Template, error) {
	wf, err := readWorkflow(path)
	if err != nil {
		return nil, err
	}
	job, ok := wf.Jobs[jobID]
	if !ok {
		return nil, fmt.Errorf("%s: no job %s", path, jobID)
	}
	return &Template{Path: path, Inputs: wf.On.WorkflowCall.Inputs, Env: wf.Env, Steps: job.Steps}, nil
}

// Step returns the step with this name.
func (t *Template) Step(name string) (Step, error) {
	for _, s := range t.Steps {
		if s.Name == name {
			return s, nil
		}
	}
	return Step{}, fmt.Errorf("%s: no step named %q", t.Path, name)
}

// CallerWith returns the with: of job jobID in a calling workflow: how it
// maps a matrix entry to the template's inputs.
func CallerWith(path, jobID string) (map[string]string, error) {
	wf, err := readWorkflow(path)
	if err != nil {
		return nil, err
	}
	job, ok := wf.Jobs[jobID]
	if !ok || len(job.With) == 0 {
		return nil, fmt.Errorf("%s: job %s passes no inputs", path, jobID)
	}
	return job.With, nil
}

func readWorkflow(path string) (*workflowFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var wf workflowFile
	if err := yaml.Unmarshal(data, &wf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &wf, nil
}

// Inputs evaluates the caller's with: for one matrix entry and fills in the
// template's defaults.
func (t *Template) InputsFor(with map[string]string, entry map[string]any) (map[string]any, error) {
	// The caller runs with no inputs of its own (e2e-tests.yml's ref is empty).
	ctx := Contexts{"matrix": map[string]any{"config": entry}, "inputs": map[string]any{}}
	out := map[string]any{}
	for name, expr := range with {
		if _, ok := t.Inputs[name]; !ok {
			return nil, fmt.Errorf("%s: the caller passes input %q, which the template does not declare", t.Path, name)
		}
		// A with: value that is a single expression keeps its type, as
		// GitHub passes booleans to boolean inputs.
		if m := exprRe.FindStringSubmatch(expr); m != nil && strings.TrimSpace(expr) == m[0] {
			v, err := Lookup(m[1], ctx)
			if err != nil {
				return nil, fmt.Errorf("input %s: %w", name, err)
			}
			out[name] = v
			continue
		}
		v, err := Expand(expr, ctx)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", name, err)
		}
		// A boolean input written as text (eval-only: true) is a boolean.
		if t.Inputs[name].Type == "boolean" && (v == "true" || v == "false") {
			out[name] = v == "true"
			continue
		}
		out[name] = v
	}
	for name, in := range t.Inputs {
		if _, ok := out[name]; !ok {
			out[name] = in.Default
		}
	}
	return out, nil
}

// ExpandEnv evaluates an env: mapping.
func ExpandEnv(env map[string]string, ctx Contexts) (map[string]string, error) {
	out := make(map[string]string, len(env))
	for k, v := range env {
		x, err := Expand(v, ctx)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", k, err)
		}
		out[k] = x
	}
	return out, nil
}
