package changelog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/sweep"
)

// TodayOptions are `changelog matrix`'s switches for today's configs.
type TodayOptions struct {
	TrimConc  bool // keep one (the lowest) concurrency per throughput recipe
	AllEvals  bool // every entry as if it said all-evals
	EvalsOnly bool // every entry as if it said evals-only
	// Base loads the master configs and runner pool of the base revision;
	// append-only entries compare against them. Called only when needed.
	Base func() (*config.Master, *config.Runners, error)
}

// MatrixToday is what `changelog matrix` prints for today's configs:
// throughput jobs by node type and bucket (sequence lengths, or agentic),
// eval jobs in four lists, and the entries.
type MatrixToday struct {
	SingleNode            orderedBuckets
	MultiNode             orderedBuckets
	Evals                 []sweep.Entry
	AgenticEvals          []sweep.Entry
	MultinodeEvals        []sweep.Entry
	MultinodeAgenticEvals []sweep.Entry
	BaseRef, HeadRef      string
	Entries               []Entry
}

// orderedBuckets keeps buckets in the order they were first filled, as the
// original's dictionaries do.
type orderedBuckets struct {
	names []string
	jobs  map[string][]sweep.Entry
}

func (b *orderedBuckets) add(name string, e sweep.Entry) {
	if b.jobs == nil {
		b.jobs = map[string][]sweep.Entry{}
	}
	if _, ok := b.jobs[name]; !ok {
		b.names = append(b.names, name)
	}
	b.jobs[name] = append(b.jobs[name], e)
}

// Names lists the buckets in order.
func (b orderedBuckets) Names() []string { return slices.Clone(b.names) }

// Jobs returns a bucket's jobs.
func (b orderedBuckets) Jobs(name string) []sweep.Entry { return b.jobs[name] }

// BuildToday turns new changelog entries into jobs from today's configs,
// as upstream main's process_changelog.py does:
//   - entries that say all-evals go first; each entry runs its configs'
//     scenarios (all, or its scenario-type) that no earlier entry ran in the
//     same role, throughput and evals apart;
//   - throughput jobs come from test-config --no-evals, unless the entry
//     (or the run) asks for evals only, or all evals; append-only entries
//     run only the points their configs gained since the base revision;
//   - eval jobs come from test-config --evals-only (--all-evals when the
//     entry or the run says so), dropping multi-node ones whose prefill ep
//     is below the entry's eval-min-prefill-ep;
//   - with TrimConc each throughput recipe keeps its lowest concurrency;
//     every throughput job gets its recipe-fingerprint.
func (f *File) BuildToday(m *config.Master, r *config.Runners, entries []Entry, base, head string, o TodayOptions) (*MatrixToday, error) {
	mx := &MatrixToday{BaseRef: base, HeadRef: head, Entries: entries}
	appendOnly := 0
	for _, e := range entries {
		if e.AppendOnly {
			appendOnly++
		}
	}
	if appendOnly > 0 && appendOnly < len(entries) {
		var problems diag.List
		for _, e := range entries {
			if !e.AppendOnly {
				problems = append(problems, f.Doc.Diag(fmt.Sprintf("/%d", e.Index), "append-only entries cannot share a sweep with other entries: add this one in another change"))
			}
		}
		return nil, problems
	}
	if appendOnly > 0 && (o.AllEvals || o.EvalsOnly) {
		return nil, inputErrorf("append-only sweeps run throughput jobs only: they cannot take --all-evals or --evals-only")
	}
	type resolved struct {
		entry Entry
		keys  []string
	}
	var all []resolved
	var problems diag.List
	for _, e := range entries {
		keys, err := f.Resolve(m, e)
		if err != nil {
			if l, ok := err.(diag.List); ok {
				problems = append(problems, l...)
				continue
			}
			return nil, err
		}
		all = append(all, resolved{e, keys})
	}
	if len(problems) > 0 {
		return nil, problems
	}
	var baseM *config.Master
	var baseR *config.Runners
	if appendOnly > 0 {
		if o.Base == nil {
			return nil, fmt.Errorf("internal error: append-only entries without the base revision's configs")
		}
		var err error
		if baseM, baseR, err = o.Base(); err != nil {
			return nil, err
		}
		selected := map[string][]string{}
		var order []string
		for _, rs := range all {
			for _, k := range rs.keys {
				if _, ok := selected[k]; !ok {
					order = append(order, k)
				}
				for _, s := range rs.entry.Scenarios() {
					if !slices.Contains(selected[k], s) {
						selected[k] = append(selected[k], s)
					}
				}
			}
		}
		if err := checkAppendScope(baseM, m, selected, order); err != nil {
			return nil, err
		}
	}
	// Entries asking for all evals go first, so that their wider eval
	// matrix wins where a config is named twice.
	sort.SliceStable(all, func(i, j int) bool { return all[i].entry.AllEvals && !all[j].entry.AllEvals })

	var bench, evals []sweep.Entry
	benchSeen, evalSeen := map[string][]string{}, map[string][]string{}
	for _, rs := range all {
		e := rs.entry
		scenarios := e.Scenarios()
		allEvals := o.AllEvals || e.AllEvals
		if !(o.EvalsOnly || e.EvalsOnly || e.AllEvals) {
			for _, g := range groupUnseen(rs.keys, scenarios, benchSeen) {
				jobs, err := throughput(m, r, g.keys, g.scenarios)
				if err != nil {
					return nil, err
				}
				if e.AppendOnly {
					baseJobs, err := throughput(baseM, baseR, g.keys, g.scenarios)
					if err != nil {
						return nil, err
					}
					if jobs, err = f.appendOnlyDelta(baseM, m, baseJobs, jobs, e); err != nil {
						return nil, err
					}
				}
				bench = append(bench, jobs...)
			}
		}
		if e.AppendOnly {
			continue
		}
		for _, g := range groupUnseen(rs.keys, scenarios, evalSeen) {
			jobs, _, err := sweep.TestConfig(m, r, sweep.TestConfigOptions{ConfigKeys: g.keys, Scenarios: g.scenarios})
			if err != nil {
				return nil, err
			}
			if err := sweep.MarkEvals(jobs, true); err != nil {
				return nil, err
			}
			if allEvals {
				if jobs, err = sweep.MarkAllEvals(jobs); err != nil {
					return nil, err
				}
			}
			for _, j := range sweep.SelectEvalRows(jobs) {
				if e.EvalMinPrefillEP != nil && prefillEP(j) < *e.EvalMinPrefillEP {
					continue
				}
				evals = append(evals, j)
			}
		}
	}
	if o.TrimConc {
		var err error
		if bench, err = trimConc(bench); err != nil {
			return nil, err
		}
	}
	for _, j := range bench {
		if err := sweep.SetRecipeFingerprint(j); err != nil {
			return nil, err
		}
		switch x := j.(type) {
		case *sweep.AgenticSingleNodeEntry:
			mx.SingleNode.add("agentic", x)
		case *sweep.AgenticMultiNodeEntry:
			mx.MultiNode.add("agentic", x)
		case *sweep.SingleNodeEntry:
			mx.SingleNode.add(sweep.SeqLen{ISL: x.ISL, OSL: x.OSL}.Name(config.FormatToday), x)
		case *sweep.MultiNodeEntry:
			mx.MultiNode.add(sweep.SeqLen{ISL: x.ISL, OSL: x.OSL}.Name(config.FormatToday), x)
		}
	}
	mx.Evals, mx.AgenticEvals, mx.MultinodeEvals, mx.MultinodeAgenticEvals = []sweep.Entry{}, []sweep.Entry{}, []sweep.Entry{}, []sweep.Entry{}
	for _, j := range evals {
		switch j.(type) {
		case *sweep.SingleNodeEntry:
			mx.Evals = append(mx.Evals, j)
		case *sweep.AgenticSingleNodeEntry:
			mx.AgenticEvals = append(mx.AgenticEvals, j)
		case *sweep.MultiNodeEntry:
			mx.MultinodeEvals = append(mx.MultinodeEvals, j)
		case *sweep.AgenticMultiNodeEntry:
			mx.MultinodeAgenticEvals = append(mx.MultinodeAgenticEvals, j)
		}
	}
	return mx, nil
}

// group is configs that run the same scenarios in one generator call.
type group struct {
	scenarios []string
	keys      []string
}

// groupUnseen gives each config the scenarios (of want) it has not run yet
// in this role, marks them run, and groups the configs by those scenarios,
// groups in order of first appearance.
func groupUnseen(keys, want []string, seen map[string][]string) []group {
	var out []group
	for _, k := range keys {
		var unseen []string
		for _, s := range sweep.ScenarioTypes() {
			if slices.Contains(want, s) && !slices.Contains(seen[k], s) {
				unseen = append(unseen, s)
			}
		}
		if len(unseen) == 0 {
			continue
		}
		seen[k] = append(seen[k], unseen...)
		i := slices.IndexFunc(out, func(g group) bool { return slices.Equal(g.scenarios, unseen) })
		if i < 0 {
			out = append(out, group{scenarios: unseen})
			i = len(out) - 1
		}
		out[i].keys = append(out[i].keys, k)
	}
	return out
}

// throughput is test-config --no-evals over some configs.
func throughput(m *config.Master, r *config.Runners, keys, scenarios []string) ([]sweep.Entry, error) {
	jobs, _, err := sweep.TestConfig(m, r, sweep.TestConfigOptions{ConfigKeys: keys, Scenarios: scenarios})
	return jobs, err
}

func prefillEP(j sweep.Entry) int {
	switch x := j.(type) {
	case *sweep.MultiNodeEntry:
		return x.Prefill.EP
	case *sweep.AgenticMultiNodeEntry:
		return x.Prefill.EP
	}
	return 1 << 30 // single-node jobs are never dropped
}

// trimConc keeps one concurrency per recipe, the lowest, so that a pull
// request's sweep checks that each recipe runs without filling the cluster:
// single-node jobs of one recipe (equal but for conc and exp-name) keep the
// first at the lowest conc; a multi-node job keeps the lowest of its list.
func trimConc(jobs []sweep.Entry) ([]sweep.Entry, error) {
	type member struct{ idx, conc int }
	groups := map[string][]member{}
	var order []string
	for i, j := range jobs {
		var conc int
		switch x := j.(type) {
		case *sweep.MultiNodeEntry:
			if len(x.Conc) > 1 {
				x.Conc = []int{slices.Min(x.Conc)}
			}
			continue
		case *sweep.AgenticMultiNodeEntry:
			if len(x.Conc) > 1 {
				x.Conc = []int{slices.Min(x.Conc)}
			}
			continue
		case *sweep.SingleNodeEntry:
			conc = x.Conc
		case *sweep.AgenticSingleNodeEntry:
			conc = x.Conc
		}
		key, err := sweep.Key(j, "conc", "exp-name")
		if err != nil {
			return nil, err
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], member{i, conc})
	}
	drop := map[int]bool{}
	for _, k := range order {
		g := groups[k]
		keep := g[0]
		for _, m := range g[1:] {
			if m.conc < keep.conc {
				keep = m
			}
		}
		for _, m := range g {
			if m.idx != keep.idx {
				drop[m.idx] = true
			}
		}
	}
	out := make([]sweep.Entry, 0, len(jobs)-len(drop))
	for i, j := range jobs {
		if !drop[i] {
			out = append(out, j)
		}
	}
	return out, nil
}

// MarshalJSON writes the matrix as the original's pydantic models dump it:
// their field order, their defaults written out, absent values left out.
func (mx *MatrixToday) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	write := func(v any) error {
		data, err := marshal(v)
		if err != nil {
			return err
		}
		b.Write(data)
		return nil
	}
	buckets := func(ob orderedBuckets) error {
		b.WriteByte('{')
		for i, name := range ob.names {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := write(name); err != nil {
				return err
			}
			b.WriteByte(':')
			jobs, err := dumpAll(ob.jobs[name])
			if err != nil {
				return err
			}
			if err := write(jobs); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	}
	b.WriteString(`{"single_node":`)
	if err := buckets(mx.SingleNode); err != nil {
		return nil, err
	}
	b.WriteString(`,"multi_node":`)
	if err := buckets(mx.MultiNode); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		name string
		jobs []sweep.Entry
	}{{"evals", mx.Evals}, {"agentic_evals", mx.AgenticEvals}, {"multinode_evals", mx.MultinodeEvals}, {"multinode_agentic_evals", mx.MultinodeAgenticEvals}} {
		b.WriteString(`,"` + l.name + `":`)
		jobs, err := dumpAll(l.jobs)
		if err != nil {
			return nil, err
		}
		if err := write(jobs); err != nil {
			return nil, err
		}
	}
	entries := make([]entryDump, len(mx.Entries))
	for i, e := range mx.Entries {
		entries[i] = entryDump{e.ConfigKeys, e.Description, e.PRLink, e.EvalsOnly, e.AllEvals, e.AppendOnly, e.EvalMinPrefillEP, e.ScenarioType}
	}
	b.WriteString(`,"changelog_metadata":`)
	if err := write(struct {
		BaseRef string      `json:"base_ref"`
		HeadRef string      `json:"head_ref"`
		Entries []entryDump `json:"entries"`
	}{mx.BaseRef, mx.HeadRef, entries}); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, as pydantic writes.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
