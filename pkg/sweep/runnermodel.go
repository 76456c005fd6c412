package sweep

import (
	"math"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
)

// RunnerModelSweepOptions selects the configs to try on every node of one
// runner label.
type RunnerModelSweepOptions struct {
	RunnerType       string
	ModelPrefixes    []string
	Precisions       []string
	Frameworks       []string
	Conc             *int // overrides the chosen concurrency
	SingleNode       bool
	MultiNode        bool
	RunnerNodeFilter string
}

// RunnerModelSweep checks that every node of a runner label can run every
// config of that label: for each config with a 1k1k fixed-seq-len search
// space it runs one short job (1k1k, exp-name <prefix>_test) on each node.
// Single-node configs use their highest TP at its lowest concurrency;
// multi-node configs use the search-space point with the lowest
// concurrency. The original (Feb-2026) wrote max-model-len 2048; today's
// configs use their own rule (isl + osl + 256). Upstream main has no such
// command; this one is the project's.
func RunnerModelSweep(m *config.Master, r *config.Runners, o RunnerModelSweepOptions) ([]Entry, error) {
	single, multi, err := nodeTypes(m.Format, o.SingleNode, o.MultiNode)
	if err != nil {
		return nil, err
	}
	if err := positive("--conc", o.Conc); err != nil {
		return nil, err
	}
	nodes, ok := r.Nodes[o.RunnerType]
	if !ok {
		types := append([]string(nil), r.Types...)
		sort.Strings(types)
		return nil, optErr("runner type %q does not exist in %s (choose from: %s)", o.RunnerType, r.File, strings.Join(types, ", "))
	}
	if o.RunnerNodeFilter != "" {
		nodes = nodeFilter(r, o.RunnerType, o.RunnerNodeFilter)
		if len(nodes) == 0 {
			return nil, optErr("no node of runner type %q matches --runner-node-filter %q", o.RunnerType, o.RunnerNodeFilter)
		}
	}
	test := SeqLen1k1k
	mml := maxModelLen(m.Format, test.ISL, test.OSL)
	if m.Format == config.FormatFeb2026 {
		mml = test.ISL + test.OSL
	}
	out := []Entry{}
	for _, e := range m.Entries {
		if e.Runner != o.RunnerType || !selected(e, o.ModelPrefixes, o.Precisions, o.Frameworks) {
			continue
		}
		if (!single && !e.Multinode) || (!multi && e.Multinode) {
			continue
		}
		var target *config.SeqLenConfig
		for i := range e.Scenarios.FixedSeqLen {
			if (SeqLen{e.Scenarios.FixedSeqLen[i].ISL, e.Scenarios.FixedSeqLen[i].OSL}) == test {
				target = &e.Scenarios.FixedSeqLen[i]
				break
			}
		}
		if target == nil {
			continue
		}
		if e.Multinode {
			s := lowestConcPoint(target.SearchSpace)
			conc := lowestConc(s)
			if o.Conc != nil {
				conc = *o.Conc
			}
			for _, node := range nodes {
				en := multiEntry(e, node, test, s, []int{conc})
				en.MaxModelLen, en.ExpName = mml, e.ModelPrefix+"_test"
				out = append(out, en)
			}
			continue
		}
		s := target.SearchSpace[0]
		for _, p := range target.SearchSpace[1:] {
			if p.TP > s.TP {
				s = p
			}
		}
		conc := lowestConc(s)
		if o.Conc != nil {
			conc = *o.Conc
		}
		for _, node := range nodes {
			en := singleEntry(e, node, test, s, conc)
			en.MaxModelLen, en.ExpName = mml, e.ModelPrefix+"_test"
			out = append(out, en)
		}
	}
	return out, nil
}

// lowestConc is the smallest concurrency a point runs.
func lowestConc(s config.SearchSpace) int {
	if len(s.ConcList) > 0 {
		return minInt(s.ConcList)
	}
	if s.ConcStart != nil {
		return *s.ConcStart
	}
	return 1
}

// lowestConcPoint picks the point with the smallest concurrency, the first
// on ties. (The original considered only conc-list points and fell back to
// the first point, so a range starting lower than every list lost.)
func lowestConcPoint(points []config.SearchSpace) config.SearchSpace {
	best, bestConc := points[0], math.MaxInt
	for _, p := range points {
		if c := lowestConc(p); c < bestConc {
			best, bestConc = p, c
		}
	}
	return best
}

func minInt(v []int) int {
	m := v[0]
	for _, x := range v[1:] {
		m = min(m, x)
	}
	return m
}
