// Package sweep expands master config recipes into the job matrix: one
// entry per benchmark job, every field filled in. It holds the three ways
// of choosing what to run (a full sweep with filters, a runner-model sweep
// that checks every node of a runner type, and an explicit list of config
// keys) and the policy that marks which jobs also run evals.
package sweep

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
)

// SingleNodeEntry is one single-node benchmark job. Field order is the
// original tool's key order.
type SingleNodeEntry struct {
	Image        string `json:"image"`
	Model        string `json:"model"`
	ModelPrefix  string `json:"model-prefix"`
	Precision    string `json:"precision"`
	Framework    string `json:"framework"`
	Runner       string `json:"runner"`
	ISL          int    `json:"isl"`
	OSL          int    `json:"osl"`
	TP           int    `json:"tp"`
	Conc         int    `json:"conc"`
	MaxModelLen  int    `json:"max-model-len"`
	EP           int    `json:"ep"`
	DPAttn       bool   `json:"dp-attn"`
	SpecDecoding string `json:"spec-decoding"`
	ExpName      string `json:"exp-name"`
	Disagg       bool   `json:"disagg"`
	RunEval      bool   `json:"run-eval"`
}

// MultiNodeEntry is one multi-node (disaggregated) benchmark job; one job
// runs every concurrency in Conc.
type MultiNodeEntry struct {
	Image        string        `json:"image"`
	Model        string        `json:"model"`
	ModelPrefix  string        `json:"model-prefix"`
	Precision    string        `json:"precision"`
	Framework    string        `json:"framework"`
	Runner       string        `json:"runner"`
	ISL          int           `json:"isl"`
	OSL          int           `json:"osl"`
	SpecDecoding string        `json:"spec-decoding"`
	Prefill      config.Worker `json:"prefill"`
	Decode       config.Worker `json:"decode"`
	Conc         []int         `json:"conc"`
	MaxModelLen  int           `json:"max-model-len"`
	ExpName      string        `json:"exp-name"`
	Disagg       bool          `json:"disagg"`
	RunEval      bool          `json:"run-eval"`
}

// Entry is a *SingleNodeEntry or a *MultiNodeEntry.
type Entry interface{ isEntry() }

func (*SingleNodeEntry) isEntry() {}
func (*MultiNodeEntry) isEntry()  {}

// SeqLen is an input/output length pair.
type SeqLen struct{ ISL, OSL int }

// The sequence lengths with short names.
var (
	SeqLen1k1k = SeqLen{1024, 1024}
	SeqLen1k8k = SeqLen{1024, 8192}
	SeqLen8k1k = SeqLen{8192, 1024}
)

// SeqLenNames lists the short names in their canonical order.
func SeqLenNames() []string { return []string{"1k1k", "1k8k", "8k1k"} }

// ParseSeqLen maps a short name to its lengths.
func ParseSeqLen(name string) (SeqLen, bool) {
	switch name {
	case "1k1k":
		return SeqLen1k1k, true
	case "1k8k":
		return SeqLen1k8k, true
	case "8k1k":
		return SeqLen8k1k, true
	}
	return SeqLen{}, false
}

// String is the short name, or "<isl>_<osl>" for other lengths.
func (s SeqLen) String() string {
	switch s {
	case SeqLen1k1k:
		return "1k1k"
	case SeqLen1k8k:
		return "1k8k"
	case SeqLen8k1k:
		return "8k1k"
	}
	return strconv.Itoa(s.ISL) + "_" + strconv.Itoa(s.OSL)
}

// maxModelLen leaves room for the chat template and special tokens.
func maxModelLen(isl, osl int) int { return isl + osl + 200 }

func expName(prefix string, s SeqLen) string { return prefix + "_" + s.String() }

// ExpandConc lists a range of concurrencies: start, start*step, ... and
// always end itself (the last step is clipped to end). step must be >= 2 and
// 1 <= start <= end.
func ExpandConc(start, end, step int) []int {
	var out []int
	for c := start; c <= end; {
		out = append(out, c)
		if c == end {
			break
		}
		if c > end/step { // c*step would pass end (and cannot overflow)
			c = end
		} else {
			c *= step
		}
	}
	return out
}

// concValues lists a search-space point's concurrencies.
func concValues(s config.SearchSpace, step int) []int {
	if len(s.ConcList) > 0 {
		return slices.Clone(s.ConcList)
	}
	if s.ConcStart == nil || s.ConcEnd == nil {
		return nil
	}
	return ExpandConc(*s.ConcStart, *s.ConcEnd, step)
}

// OptionError is a bad combination of options: a usage error.
type OptionError struct{ Msg string }

func (e *OptionError) Error() string { return e.Msg }

func optErr(format string, args ...any) error {
	return &OptionError{Msg: fmt.Sprintf(format, args...)}
}

func positive(name string, v *int) error {
	if v != nil && *v < 1 {
		return optErr("%s must be a positive integer, got %d", name, *v)
	}
	return nil
}

// nodeFilter returns the nodes of a runner type whose name contains
// filter.
func nodeFilter(r *config.Runners, runnerType, filter string) []string {
	var out []string
	for _, n := range r.Nodes[runnerType] {
		if strings.Contains(n, filter) {
			out = append(out, n)
		}
	}
	return out
}

func hasPrefix(key string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// selected applies the filters common to full-sweep and
// runner-model-sweep. The model-prefix filter matches the start of the
// config key, as the original does.
func selected(e *config.Entry, prefixes, precisions, frameworks []string) bool {
	if len(prefixes) > 0 && !hasPrefix(e.Key, prefixes) {
		return false
	}
	if len(precisions) > 0 && !slices.Contains(precisions, e.Precision) {
		return false
	}
	if len(frameworks) > 0 && !slices.Contains(frameworks, e.Framework) {
		return false
	}
	return true
}

func worker(w *config.Worker) config.Worker {
	out := *w
	if out.AdditionalSettings == nil {
		out.AdditionalSettings = []string{}
	} else {
		out.AdditionalSettings = slices.Clone(out.AdditionalSettings)
	}
	return out
}

func singleEntry(e *config.Entry, runner string, sl SeqLen, s config.SearchSpace, conc int) *SingleNodeEntry {
	ep := 1
	if s.EP != nil {
		ep = *s.EP
	}
	dpAttn := false
	if s.DPAttn != nil {
		dpAttn = *s.DPAttn
	}
	return &SingleNodeEntry{
		Image: e.Image, Model: e.Model, ModelPrefix: e.ModelPrefix, Precision: e.Precision,
		Framework: e.Framework, Runner: runner, ISL: sl.ISL, OSL: sl.OSL, TP: s.TP, Conc: conc,
		MaxModelLen: maxModelLen(sl.ISL, sl.OSL), EP: ep, DPAttn: dpAttn, SpecDecoding: s.Spec(),
		ExpName: expName(e.ModelPrefix, sl), Disagg: e.Disagg,
	}
}

func multiEntry(e *config.Entry, runner string, sl SeqLen, s config.SearchSpace, conc []int) *MultiNodeEntry {
	return &MultiNodeEntry{
		Image: e.Image, Model: e.Model, ModelPrefix: e.ModelPrefix, Precision: e.Precision,
		Framework: e.Framework, Runner: runner, ISL: sl.ISL, OSL: sl.OSL, SpecDecoding: s.Spec(),
		Prefill: worker(s.Prefill), Decode: worker(s.Decode), Conc: conc,
		MaxModelLen: maxModelLen(sl.ISL, sl.OSL), ExpName: expName(e.ModelPrefix, sl), Disagg: e.Disagg,
	}
}

// MarkEvals chooses the jobs that also run evals: among single-node 1k8k
// jobs grouped by model, runner, framework, precision, sequence lengths,
// spec-decoding and dp-attn, the highest concurrency at the highest TP and
// the highest concurrency at the lowest TP. Every other job gets
// run-eval false.
func MarkEvals(entries []Entry) {
	type groupKey struct {
		model, runner, framework, precision string
		sl                                  SeqLen
		spec                                string
		dpAttn                              bool
	}
	groups := map[groupKey][]*SingleNodeEntry{}
	var order []groupKey
	for _, en := range entries {
		switch x := en.(type) {
		case *MultiNodeEntry:
			x.RunEval = false
		case *SingleNodeEntry:
			x.RunEval = false
			sl := SeqLen{x.ISL, x.OSL}
			if sl != SeqLen1k8k {
				continue
			}
			k := groupKey{x.Model, x.Runner, x.Framework, x.Precision, sl, x.SpecDecoding, x.DPAttn}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], x)
		}
	}
	for _, k := range order {
		g := groups[k]
		minTP, maxTP := g[0].TP, g[0].TP
		for _, x := range g {
			minTP, maxTP = min(minTP, x.TP), max(maxTP, x.TP)
		}
		for _, tp := range []int{maxTP, minTP} {
			top := 0
			for _, x := range g {
				if x.TP == tp {
					top = max(top, x.Conc)
				}
			}
			for _, x := range g {
				if x.TP == tp && x.Conc == top {
					x.RunEval = true
				}
			}
		}
	}
}

// EvalsOnly keeps the entries marked to run evals.
func EvalsOnly(entries []Entry) []Entry {
	var out []Entry
	for _, en := range entries {
		switch x := en.(type) {
		case *SingleNodeEntry:
			if x.RunEval {
				out = append(out, x)
			}
		case *MultiNodeEntry:
			if x.RunEval {
				out = append(out, x)
			}
		}
	}
	return out
}
