package sweep

import (
	"slices"
)

// MinEvalConc is the lowest concurrency today's eval policy evaluates at:
// below it an eval run is slow for what it tells.
const MinEvalConc = 16

// MarkEvalsFeb2026 is the original's policy at f0e131f2e: among
// single-node 1k8k jobs grouped by model, runner, framework, precision,
// sequence lengths, spec-decoding and dp-attn, the highest concurrency at
// the highest TP and the highest concurrency at the lowest TP run evals.
// Every other job gets run-eval false.
func MarkEvalsFeb2026(entries []Entry) {
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
		if RunsEval(en) {
			out = append(out, en)
		}
	}
	return out
}

// eligible lists a job's concurrencies that today's policy may evaluate
// at, ascending.
func eligible(conc []int) []int {
	var out []int
	for _, c := range conc {
		if c >= MinEvalConc {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// MarkEvals is today's eval policy (upstream main), over the jobs of one
// matrix:
//   - single-node fixed-seq-len jobs at 8k1k, grouped by model, runner,
//     framework, precision, sequence lengths, spec-decoding and dp-attn:
//     among those at a concurrency of at least MinEvalConc, every job at the
//     group's highest and at its median concurrency;
//   - multi-node fixed-seq-len jobs at 8k1k: per topology (the job without
//     its concurrencies and eval fields), the job holding the highest
//     eligible concurrency, which becomes its eval-conc;
//   - with includeAgentic (evals-only and all-evals runs), per model,
//     runner, framework and precision the single-node agentic job at the
//     highest concurrency, and per topology the multi-node agentic job with
//     the highest eligible concurrency (eval-conc).
//
// Every job gets run-eval (true or false).
func MarkEvals(entries []Entry, includeAgentic bool) error {
	marked := make([]bool, len(entries))
	evalConc := map[int]int{}

	type snKey struct {
		model, runner, framework, precision string
		isl, osl                            int
		spec                                string
		dpAttn                              bool
	}
	snGroups := map[snKey][]int{}
	var snOrder []snKey
	type best struct{ idx, conc int }
	mnBest := map[string]best{}
	var mnOrder []string
	agMNBest := map[string]best{}
	var agMNOrder []string
	type agKey struct{ model, runner, framework, precision string }
	agSNBest := map[agKey]best{}
	var agSNOrder []agKey
	// Python's max() keeps the first of equal maxima: so does this.
	consider := func(m map[string]best, order *[]string, key string, b best) {
		cur, ok := m[key]
		if !ok {
			*order = append(*order, key)
			m[key] = b
			return
		}
		if b.conc > cur.conc {
			m[key] = b
		}
	}
	for i, en := range entries {
		switch x := en.(type) {
		case *SingleNodeEntry:
			if (SeqLen{x.ISL, x.OSL}) != SeqLen8k1k || x.Conc < MinEvalConc {
				continue
			}
			k := snKey{x.Model, x.Runner, x.Framework, x.Precision, x.ISL, x.OSL, x.SpecDecoding, x.DPAttn}
			if _, ok := snGroups[k]; !ok {
				snOrder = append(snOrder, k)
			}
			snGroups[k] = append(snGroups[k], i)
		case *MultiNodeEntry:
			if (SeqLen{x.ISL, x.OSL}) != SeqLen8k1k {
				continue
			}
			el := eligible(x.Conc)
			if len(el) == 0 {
				continue
			}
			key, err := topologyKey(x)
			if err != nil {
				return err
			}
			consider(mnBest, &mnOrder, key, best{i, el[len(el)-1]})
		case *AgenticSingleNodeEntry:
			if !includeAgentic {
				continue
			}
			k := agKey{x.Model, x.Runner, x.Framework, x.Precision}
			cur, ok := agSNBest[k]
			if !ok {
				agSNOrder = append(agSNOrder, k)
				agSNBest[k] = best{i, x.Conc}
			} else if x.Conc > cur.conc {
				agSNBest[k] = best{i, x.Conc}
			}
		case *AgenticMultiNodeEntry:
			if !includeAgentic {
				continue
			}
			el := eligible(x.Conc)
			if len(el) == 0 {
				continue
			}
			key, err := topologyKey(x)
			if err != nil {
				return err
			}
			consider(agMNBest, &agMNOrder, key, best{i, el[len(el)-1]})
		}
	}
	for _, k := range snOrder {
		var concs []int
		for _, i := range snGroups[k] {
			concs = append(concs, entries[i].(*SingleNodeEntry).Conc)
		}
		slices.Sort(concs)
		concs = slices.Compact(concs)
		top, median := concs[len(concs)-1], concs[len(concs)/2]
		for _, i := range snGroups[k] {
			if c := entries[i].(*SingleNodeEntry).Conc; c == top || c == median {
				marked[i] = true
			}
		}
	}
	for _, k := range mnOrder {
		b := mnBest[k]
		marked[b.idx], evalConc[b.idx] = true, b.conc
	}
	for _, k := range agSNOrder {
		marked[agSNBest[k].idx] = true
	}
	for _, k := range agMNOrder {
		b := agMNBest[k]
		marked[b.idx], evalConc[b.idx] = true, b.conc
	}
	for i, en := range entries {
		c, hasConc := evalConc[i]
		switch x := en.(type) {
		case *SingleNodeEntry:
			x.RunEval = marked[i]
		case *MultiNodeEntry:
			x.RunEval = marked[i]
			if hasConc {
				x.EvalConc = &c
			}
		case *AgenticSingleNodeEntry:
			x.RunEval = boolp(marked[i])
		case *AgenticMultiNodeEntry:
			x.RunEval = boolp(marked[i])
			if hasConc {
				x.EvalConc = &c
			}
		}
	}
	return nil
}

// MarkAllEvals widens today's eval selection (--all-evals) after MarkEvals:
// every single-node 8k1k job and every single-node agentic job runs evals;
// the multi-node 8k1k jobs of one topology merge into one job that
// evaluates all of their concurrencies against the same engine
// (eval-all-concs); the multi-node agentic jobs of one topology merge into
// one job evaluated at its highest concurrency (eval-conc). Other jobs pass
// through as they are.
func MarkAllEvals(entries []Entry) ([]Entry, error) {
	out := make([]Entry, 0, len(entries))
	mnAt := map[string]int{}
	agAt := map[string]int{}
	for _, en := range entries {
		switch x := en.(type) {
		case *AgenticSingleNodeEntry:
			x.RunEval = boolp(true)
			out = append(out, x)
		case *AgenticMultiNodeEntry:
			key, err := topologyKey(x)
			if err != nil {
				return nil, err
			}
			if i, ok := agAt[key]; ok {
				existing := out[i].(*AgenticMultiNodeEntry)
				existing.Conc = sortedSet(append(existing.Conc, x.Conc...))
				top := existing.Conc[len(existing.Conc)-1]
				existing.EvalConc = &top
				continue
			}
			y := *x
			y.Conc = sortedSet(slices.Clone(x.Conc))
			top := y.Conc[len(y.Conc)-1]
			y.RunEval, y.EvalConc = boolp(true), &top
			agAt[key] = len(out)
			out = append(out, &y)
		case *SingleNodeEntry:
			if (SeqLen{x.ISL, x.OSL}) == SeqLen8k1k {
				x.RunEval = true
			}
			out = append(out, x)
		case *MultiNodeEntry:
			if (SeqLen{x.ISL, x.OSL}) != SeqLen8k1k {
				out = append(out, x)
				continue
			}
			key, err := topologyKey(x)
			if err != nil {
				return nil, err
			}
			if i, ok := mnAt[key]; ok {
				existing := out[i].(*MultiNodeEntry)
				existing.Conc = sortedSet(append(existing.Conc, x.Conc...))
				continue
			}
			y := *x
			y.Conc = sortedSet(slices.Clone(x.Conc))
			y.RunEval, y.EvalAllConcs, y.EvalConc = true, boolp(true), nil
			mnAt[key] = len(out)
			out = append(out, &y)
		default:
			out = append(out, en)
		}
	}
	return out, nil
}

// SelectEvalRows keeps the jobs that run evals and marks them eval-only
// (no throughput run), as today's --evals-only and --all-evals print them.
func SelectEvalRows(entries []Entry) []Entry {
	out := []Entry{}
	for _, en := range EvalsOnly(entries) {
		t := boolp(true)
		switch x := en.(type) {
		case *SingleNodeEntry:
			x.EvalOnly = t
		case *MultiNodeEntry:
			x.EvalOnly = t
		case *AgenticSingleNodeEntry:
			x.EvalOnly = t
		case *AgenticMultiNodeEntry:
			x.EvalOnly = t
		}
		out = append(out, en)
	}
	return out
}

func sortedSet(v []int) []int {
	slices.Sort(v)
	return slices.Compact(v)
}
