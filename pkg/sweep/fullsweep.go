package sweep

import (
	"slices"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
)

// FullSweepOptions selects and trims what a full sweep runs. Nil pointers
// and empty lists mean "no filter".
type FullSweepOptions struct {
	ModelPrefixes    []string // config key prefixes
	Precisions       []string
	Frameworks       []string
	RunnerTypes      []string
	SeqLens          []SeqLen
	Scenarios        []string // today's format: fixed-seq-len, agentic-coding
	StepSize         int      // concurrency range multiplier, >= 2
	MinConc          *int
	MaxConc          *int
	MaxTP            *int // single-node fixed-seq-len only
	MaxEP            *int // single-node fixed-seq-len only
	SingleNode       bool
	MultiNode        bool
	RunnerNodeFilter string // expand each job to the nodes whose name contains it
}

// nodeTypes says which kinds of job to generate. A Feb-2026 sweep holds one
// kind (the original required exactly one flag); today's holds both when
// neither flag is given, as upstream's does.
func nodeTypes(f config.Format, single, multi bool) (bool, bool, error) {
	if f == config.FormatFeb2026 {
		if single == multi {
			return false, false, optErr("exactly one of --single-node and --multi-node is required with Feb-2026 configs (today's configs take both kinds when neither is given)")
		}
		return single, multi, nil
	}
	if !single && !multi {
		return true, true, nil
	}
	return single, multi, nil
}

// Validate rejects option values that make no sense (and on which the
// original tool looped forever or silently produced nothing).
func (o FullSweepOptions) Validate(f config.Format, r *config.Runners) error {
	if _, _, err := nodeTypes(f, o.SingleNode, o.MultiNode); err != nil {
		return err
	}
	if o.StepSize < 2 {
		return optErr("--step-size must be at least 2 (a concurrency range multiplies by it), got %d", o.StepSize)
	}
	for _, c := range []struct {
		name string
		v    *int
	}{{"--min-conc", o.MinConc}, {"--max-conc", o.MaxConc}, {"--max-tp", o.MaxTP}, {"--max-ep", o.MaxEP}} {
		if err := positive(c.name, c.v); err != nil {
			return err
		}
	}
	if o.MinConc != nil && o.MaxConc != nil && *o.MinConc > *o.MaxConc {
		return optErr("--min-conc (%d) must not be greater than --max-conc (%d)", *o.MinConc, *o.MaxConc)
	}
	var unknown []string
	for _, t := range o.RunnerTypes {
		if _, ok := r.Nodes[t]; !ok {
			unknown = append(unknown, t)
		}
	}
	if len(unknown) > 0 {
		types := append([]string(nil), r.Types...)
		sort.Strings(types)
		return optErr("invalid runner type(s): %s (valid runner types: %s)", strings.Join(unknown, ", "), strings.Join(types, ", "))
	}
	return nil
}

// wants tells whether a scenario type is selected (no selection: all).
func wants(scenarios []string, s string) bool {
	return len(scenarios) == 0 || slices.Contains(scenarios, s)
}

// FullSweep expands every selected recipe. Single-node fixed-seq-len recipes
// become one job per concurrency (per node with a node filter); multi-node
// ones one job per search-space point carrying its list of concurrencies;
// agentic-coding ones one job per concurrency.
func FullSweep(m *config.Master, r *config.Runners, o FullSweepOptions) ([]Entry, error) {
	if err := o.Validate(m.Format, r); err != nil {
		return nil, err
	}
	single, multi, _ := nodeTypes(m.Format, o.SingleNode, o.MultiNode)
	out := []Entry{}
	for _, e := range m.Entries {
		if !selected(e, o.ModelPrefixes, o.Precisions, o.Frameworks) {
			continue
		}
		if len(o.RunnerTypes) > 0 && !slices.Contains(o.RunnerTypes, e.Runner) {
			continue
		}
		runners := []string{e.Runner}
		if o.RunnerNodeFilter != "" {
			runners = nodeFilter(r, e.Runner, o.RunnerNodeFilter)
			if len(runners) == 0 {
				continue
			}
		}
		if wants(o.Scenarios, ScenarioFixedSeqLen) {
			for _, slc := range e.Scenarios.FixedSeqLen {
				sl := SeqLen{slc.ISL, slc.OSL}
				if len(o.SeqLens) > 0 && !slices.Contains(o.SeqLens, sl) {
					continue
				}
				for _, s := range slc.SearchSpace {
					switch {
					case e.Multinode && multi:
						conc := trimConcList(concValues(s, o.StepSize), o.MinConc, o.MaxConc)
						if len(conc) == 0 {
							continue
						}
						for _, runner := range runners {
							out = append(out, multiEntry(e, runner, sl, s, slices.Clone(conc)))
						}
					case !e.Multinode && single:
						out = append(out, o.singleNode(e, runners, sl, s)...)
					}
				}
			}
		}
		if !wants(o.Scenarios, ScenarioAgentic) || (e.Multinode && !multi) || (!e.Multinode && !single) {
			continue
		}
		for i := range e.Scenarios.AgenticCoding {
			a := &e.Scenarios.AgenticCoding[i]
			for _, s := range a.SearchSpace {
				budget, err := offloadBudget(e, a, s, r)
				if err != nil {
					return nil, err
				}
				// The original filters agentic concurrencies plainly: no
				// range clipping, no --max-conc stand-in, no --max-tp/--max-ep.
				conc := slices.DeleteFunc(concValues(s, o.StepSize), func(c int) bool {
					return (o.MinConc != nil && c < *o.MinConc) || (o.MaxConc != nil && c > *o.MaxConc)
				})
				if len(conc) > 0 {
					out = append(out, agenticEntries(e, s, budget, conc, runners)...)
				}
			}
		}
	}
	return out, nil
}

func (o FullSweepOptions) singleNode(e *config.Entry, runners []string, sl SeqLen, s config.SearchSpace) []Entry {
	if o.MaxTP != nil && s.TP > *o.MaxTP {
		return nil
	}
	if o.MaxEP != nil && s.EP != nil && *s.EP > *o.MaxEP {
		capped := *o.MaxEP
		s.EP = &capped
	}
	var conc []int
	if len(s.ConcList) > 0 {
		// The Feb-2026 original crashed here; a list is trimmed like a
		// multi-node list (as upstream main does).
		conc = trimConcList(s.ConcList, o.MinConc, o.MaxConc)
	} else {
		conc = o.trimConcRange(*s.ConcStart, *s.ConcEnd)
	}
	var out []Entry
	for _, c := range conc {
		for _, runner := range runners {
			out = append(out, singleEntry(e, runner, sl, s, c))
		}
	}
	return out
}

// trimConcRange applies --min-conc and --max-conc to a range before it is
// expanded: the range starts at the larger of its start and --min-conc
// (skipped entirely when it ends below it), and ends at --max-conc; a range
// that starts above --max-conc runs --max-conc alone.
func (o FullSweepOptions) trimConcRange(start, end int) []int {
	if o.MinConc != nil {
		if end < *o.MinConc {
			return nil
		}
		start = max(start, *o.MinConc)
	}
	if o.MaxConc != nil {
		if start > *o.MaxConc {
			start, end = *o.MaxConc, *o.MaxConc
		} else {
			end = min(end, *o.MaxConc)
		}
	}
	return ExpandConc(start, end, o.StepSize)
}

// trimConcList applies --min-conc and --max-conc to a list of
// concurrencies: values below the minimum go (all gone: nothing runs),
// values above the maximum go (all gone: the maximum runs alone).
func trimConcList(values []int, minConc, maxConc *int) []int {
	out := append([]int(nil), values...)
	if minConc != nil {
		kept := out[:0]
		for _, c := range out {
			if c >= *minConc {
				kept = append(kept, c)
			}
		}
		out = kept
		if len(out) == 0 {
			return nil
		}
	}
	if maxConc != nil {
		var kept []int
		for _, c := range out {
			if c <= *maxConc {
				kept = append(kept, c)
			}
		}
		if len(kept) == 0 {
			kept = []int{*maxConc}
		}
		out = kept
	}
	return out
}
