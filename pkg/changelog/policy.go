package changelog

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The pull-request labels that start a sweep, exactly one at a time
// (upstream InferenceX's names):
//
//	sweep-enabled                   each configuration at its lowest concurrency
//	full-sweep-enabled              everything, after a canary job succeeded
//	non-canary-full-sweep-enabled   everything, no canary
//	full-sweep-fail-fast            everything after a canary; a group stops at its first failure
//	full-sweep-fail-fast-no-canary  everything, no canary; a group stops at its first failure
//
// and the modifiers that change what a sweep runs:
//
//	all-evals    every fixed-sequence configuration's eval, besides the throughput jobs
//	evals-only   the eval jobs alone
const (
	LabelSweep                 = "sweep-enabled"
	LabelFullSweep             = "full-sweep-enabled"
	LabelFullSweepNoCanary     = "non-canary-full-sweep-enabled"
	LabelFullSweepFailFast     = "full-sweep-fail-fast"
	LabelFullSweepFailFastSolo = "full-sweep-fail-fast-no-canary"
	LabelAllEvals              = "all-evals"
	LabelEvalsOnly             = "evals-only"
)

// PrimaryLabels are the labels that start a sweep, in the order messages
// list them.
var PrimaryLabels = []string{LabelSweep, LabelFullSweep, LabelFullSweepNoCanary, LabelFullSweepFailFast, LabelFullSweepFailFastSolo}

// ModifierLabels change what a labelled sweep runs.
var ModifierLabels = []string{LabelAllEvals, LabelEvalsOnly}

// SkipMarker in a pull request's title (or its head commit's message)
// keeps the sweep from running.
const SkipMarker = "[skip-sweep]"

// Event is what the policy reads of a workflow's event: the event name
// and, for a pull request, the fields of its payload that decide.
type Event struct {
	Name       string // pull_request, push, ...
	Action     string // opened, synchronize, labeled, ...
	Label      string // the label added or removed, for labeled/unlabeled
	Draft      bool
	Title      string
	Labels     []string
	HeadRepo   string // owner/name of the pull request's head repository
	Repository string // owner/name of the repository the workflow runs in
	// HeadCommitMessage is the message of the pull request's head commit
	// (read from git by the workflow; empty when not known).
	HeadCommitMessage string
}

// ParseEvent reads a GitHub event payload ($GITHUB_EVENT_PATH).
func ParseEvent(name string, payload []byte) (*Event, error) {
	var raw struct {
		Action string `json:"action"`
		Label  *struct {
			Name string `json:"name"`
		} `json:"label"`
		PullRequest *struct {
			Draft  bool   `json:"draft"`
			Title  string `json:"title"`
			Labels []struct {
				Name string `json:"name"`
			} `json:"labels"`
			Head struct {
				Repo *struct {
					FullName string `json:"full_name"`
				} `json:"repo"`
			} `json:"head"`
		} `json:"pull_request"`
		Repository *struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("the event payload is not a GitHub event: %w", err)
	}
	e := &Event{Name: name, Action: raw.Action}
	if raw.Label != nil {
		e.Label = raw.Label.Name
	}
	if raw.Repository != nil {
		e.Repository = raw.Repository.FullName
	}
	if name == "pull_request" {
		pr := raw.PullRequest
		if pr == nil {
			return nil, fmt.Errorf("a pull_request event without pull_request")
		}
		e.Draft, e.Title = pr.Draft, pr.Title
		for _, l := range pr.Labels {
			e.Labels = append(e.Labels, l.Name)
		}
		if pr.Head.Repo != nil {
			e.HeadRepo = pr.Head.Repo.FullName
		}
	}
	return e, nil
}

// Policy is what a sweep run does, decided from its event.
type Policy struct {
	Run    bool
	Reason string // why it runs or not, for the log
	// Label is the primary label of a pull request's sweep ("" for a push).
	Label string
	// TrimConc runs each configuration at its lowest concurrency only.
	TrimConc bool
	// AllEvals and EvalsOnly are the modifier labels.
	AllEvals, EvalsOnly bool
	// Canary runs the canary job first and the rest only after it passed.
	Canary bool
	// FailFast stops a job group at its first failure.
	FailFast bool
}

// ConflictError is a pull request with more than one primary label.
type ConflictError struct{ Labels []string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the pull request has %d sweep labels (%s); keep exactly one of %s",
		len(e.Labels), strings.Join(e.Labels, ", "), strings.Join(PrimaryLabels, ", "))
}

// Relevant tells whether adding or removing a label can change the sweep.
func Relevant(label string) bool {
	return slices.Contains(PrimaryLabels, label) || slices.Contains(ModifierLabels, label)
}

// Decide applies the sweep policy to an event:
//   - a push (a merge into main) always sweeps what its changelog entries
//     name, in full, without a canary;
//   - a pull request sweeps when it is not a draft, comes from a branch of
//     the repository itself (a fork's code never reaches the GPU runners
//     from here), carries exactly one primary label and no [skip-sweep]
//     in its title or head commit; a labelled or unlabelled event counts
//     only for a sweep label or a modifier, so that other labels neither
//     start nor cancel a sweep.
//
// More than one primary label is a *ConflictError.
func Decide(e *Event) (*Policy, error) {
	switch e.Name {
	case "push":
		return &Policy{Run: true, Reason: "a push sweeps the new changelog entries in full"}, nil
	case "pull_request":
	default:
		return &Policy{Reason: fmt.Sprintf("a %s event starts no sweep", e.Name)}, nil
	}
	if e.Draft {
		return &Policy{Reason: "the pull request is a draft"}, nil
	}
	if (e.Action == "labeled" || e.Action == "unlabeled") && !Relevant(e.Label) {
		return &Policy{Reason: fmt.Sprintf("label %q does not concern the sweep", e.Label)}, nil
	}
	var primary []string
	p := &Policy{}
	for _, l := range e.Labels {
		switch {
		case slices.Contains(PrimaryLabels, l):
			if !slices.Contains(primary, l) {
				primary = append(primary, l)
			}
		case l == LabelAllEvals:
			p.AllEvals = true
		case l == LabelEvalsOnly:
			p.EvalsOnly = true
		}
	}
	if len(primary) > 1 {
		return nil, &ConflictError{Labels: primary}
	}
	if len(primary) == 0 {
		return &Policy{Reason: "no sweep label (" + strings.Join(PrimaryLabels, ", ") + ")"}, nil
	}
	if e.HeadRepo != "" && e.Repository != "" && e.HeadRepo != e.Repository {
		return &Policy{Reason: fmt.Sprintf("the pull request comes from the fork %s: its code does not run on the GPU runners from here (run /sweep or End-to-End Tests on a branch of %s)", e.HeadRepo, e.Repository)}, nil
	}
	if strings.Contains(e.Title, SkipMarker) {
		return &Policy{Reason: "the pull request's title says " + SkipMarker}, nil
	}
	if strings.Contains(e.HeadCommitMessage, SkipMarker) {
		return &Policy{Reason: "the head commit's message says " + SkipMarker}, nil
	}
	p.Run, p.Label = true, primary[0]
	switch p.Label {
	case LabelSweep:
		p.TrimConc = true
	case LabelFullSweep:
		p.Canary = true
	case LabelFullSweepFailFast:
		p.Canary, p.FailFast = true, true
	case LabelFullSweepFailFastSolo:
		p.FailFast = true
	}
	p.Reason = "label " + p.Label
	return p, nil
}

// Outputs are the policy as step outputs (names of run-sweep.yml).
func (p *Policy) Outputs() [][2]string {
	b := func(v bool) string {
		if v {
			return "true"
		}
		return "false"
	}
	return [][2]string{
		{"sweep", b(p.Run)}, {"label", p.Label}, {"trim-conc", b(p.TrimConc)}, {"all-evals", b(p.AllEvals)},
		{"evals-only", b(p.EvalsOnly)}, {"canary", b(p.Canary)}, {"fail-fast", b(p.FailFast)}, {"reason", p.Reason},
	}
}
