package changelog

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/sweep"
)

// An append-only entry adds points to curves the dashboard already has:
// new concurrencies of an existing recipe, or new recipe variants next to
// it. Its configs may change only in ways that keep every point they
// generated at the base revision, unchanged; the sweep then runs only the
// new points. These checks are the original's, with messages that say
// which config and which point.

// checkAppendScope refuses edits that an append-only entry does not cover:
// configs it does not select, scenarios added or removed, and changes to
// scenarios (or config-wide fields that reach them) outside the entry's
// scenario-type. selected maps each selected config to its scenarios.
func checkAppendScope(base, head *config.Master, selected map[string][]string, order []string) error {
	if base.Format != head.Format {
		return inputErrorf("append-only compares the base revision's configs with today's, but they are in %s: migrate them in a change of its own first", base.Format.Describe())
	}
	var problems diag.List
	for _, k := range order {
		if _, ok := base.Lookup(k); !ok {
			e, _ := head.Lookup(k)
			problems = append(problems, e.KeyDiag("", "append-only needs every config it selects to exist at the base revision; this one is new (add it with a regular entry)"))
		}
	}
	if len(problems) > 0 {
		return problems
	}
	for _, k := range unionKeys(base, head) {
		if _, ok := selected[k]; ok {
			continue
		}
		b, inBase := base.Lookup(k)
		h, inHead := head.Lookup(k)
		switch {
		case !inHead:
			problems = append(problems, b.KeyDiag("", "append-only: this config was removed, but the entry does not select it (at the base revision: %s:%d)", b.File, b.Line))
		case !inBase:
			problems = append(problems, h.KeyDiag("", "append-only: this config is new, but the entry does not select it"))
		case !pyEqual(b.Raw(), h.Raw()):
			problems = append(problems, h.KeyDiag("", "append-only: this config changed, but the entry does not select it"))
		}
	}
	for _, k := range order {
		b, _ := base.Lookup(k)
		h, _ := head.Lookup(k)
		braw, _ := b.Raw().(map[string]any)
		hraw, _ := h.Raw().(map[string]any)
		bs, _ := braw["scenarios"].(map[string]any)
		hs, _ := hraw["scenarios"].(map[string]any)
		if !slices.Equal(sortedKeys(bs), sortedKeys(hs)) {
			problems = append(problems, h.KeyDiag("/scenarios", "append-only may not add or remove a scenario (the base revision has %s)", strings.Join(sortedKeys(bs), ", ")))
			continue
		}
		var unselected []string
		for _, s := range sortedKeys(bs) {
			if !slices.Contains(selected[k], s) {
				unselected = append(unselected, s)
			}
		}
		if len(unselected) == 0 {
			continue
		}
		topB, topH := withoutKey(braw, "scenarios"), withoutKey(hraw, "scenarios")
		if !pyEqual(topB, topH) {
			problems = append(problems, h.KeyDiag("", "append-only changed fields of the whole config, which reach the scenarios its entry does not select (%s)", strings.Join(unselected, ", ")))
		}
		for _, s := range unselected {
			if !pyEqual(bs[s], hs[s]) {
				problems = append(problems, h.KeyDiag("/scenarios/"+s, "append-only changed the %s scenario, which its entry does not select (scenario-type)", s))
			}
		}
	}
	if len(problems) > 0 {
		problems.Sort()
		return problems
	}
	return nil
}

// appendOnlyDelta returns the jobs of the head revision whose points the
// base revision did not generate, refusing any change to a point it did.
func (f *File) appendOnlyDelta(baseM, headM *config.Master, baseJobs, headJobs []sweep.Entry, e Entry) ([]sweep.Entry, error) {
	type curve struct {
		first sweep.Entry
		concs []int
	}
	group := func(jobs []sweep.Entry) (map[string]*curve, []string, error) {
		out := map[string]*curve{}
		var order []string
		for _, j := range jobs {
			k, err := sweep.Key(j, "conc", "exp-name", "recipe-fingerprint")
			if err != nil {
				return nil, nil, err
			}
			c, ok := out[k]
			if !ok {
				c = &curve{first: j}
				out[k] = c
				order = append(order, k)
			}
			for _, x := range concsOf(j) {
				if !slices.Contains(c.concs, x) {
					c.concs = append(c.concs, x)
				}
			}
		}
		return out, order, nil
	}
	base, baseOrder, err := group(baseJobs)
	if err != nil {
		return nil, err
	}
	head, _, err := group(headJobs)
	if err != nil {
		return nil, err
	}
	where := fmt.Sprintf("append-only (%s:%d, entry [%d])", f.Name, e.Line, e.Index)
	if len(base) == 0 {
		return nil, diag.List{f.Doc.Diag(fmt.Sprintf("/%d", e.Index), "append-only: its configs generate no point at the base revision: there is no curve to append to")}
	}
	var problems diag.List
	for _, k := range baseOrder {
		b := base[k]
		h, ok := head[k]
		if !ok {
			problems = append(problems, jobDiag(headM, baseM, b.first, "%s may not remove or change an existing recipe: %s is not generated any more", where, describeJob(b.first)))
			continue
		}
		var gone []int
		for _, c := range b.concs {
			if !slices.Contains(h.concs, c) {
				gone = append(gone, c)
			}
		}
		if len(gone) > 0 {
			slices.Sort(gone)
			problems = append(problems, jobDiag(headM, baseM, b.first, "%s may not remove the existing points conc %v of %s", where, gone, describeJob(b.first)))
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	var delta []sweep.Entry
	emitted := map[string][]int{}
	for _, j := range headJobs {
		k, err := sweep.Key(j, "conc", "exp-name", "recipe-fingerprint")
		if err != nil {
			return nil, err
		}
		var baseConcs []int
		if b, ok := base[k]; ok {
			baseConcs = b.concs
		}
		var added []int
		for _, c := range concsOf(j) {
			if !slices.Contains(baseConcs, c) && !slices.Contains(emitted[k], c) {
				added = append(added, c)
				emitted[k] = append(emitted[k], c)
			}
		}
		if len(added) == 0 {
			continue
		}
		delta = append(delta, withConcs(j, added))
	}
	if len(delta) == 0 {
		return nil, diag.List{f.Doc.Diag(fmt.Sprintf("/%d", e.Index), "append-only: its configs add no point to what the base revision generates")}
	}
	images := map[string][]string{}
	for _, j := range baseJobs {
		s := seriesKey(j)
		if img := imageOf(j); !slices.Contains(images[s], img) {
			images[s] = append(images[s], img)
		}
	}
	for _, j := range delta {
		if got := images[seriesKey(j)]; len(got) != 1 || got[0] != imageOf(j) {
			had := "no curve"
			if len(got) > 0 {
				had = "image " + strings.Join(got, ", ")
			}
			problems = append(problems, jobDiag(headM, baseM, j, "%s: a new point must join an existing curve with one unchanged image: %s uses %s, the base revision's curve has %s",
				where, describeJob(j), imageOf(j), had))
		}
	}
	if len(problems) > 0 {
		return nil, dedupe(problems)
	}
	return delta, nil
}

func dedupe(l diag.List) diag.List {
	var out diag.List
	for _, d := range l {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// jobDiag places a message about a job at the config that generates it
// (the head revision's, else the base revision's).
func jobDiag(head, base *config.Master, j sweep.Entry, format string, args ...any) diag.Diagnostic {
	for _, m := range []*config.Master{head, base} {
		if e, ok := m.Lookup(sweep.ConfigKeyOf(j)); ok {
			return e.KeyDiag("", format, args...)
		}
	}
	return diag.Diagnostic{Message: fmt.Sprintf(format, args...)}
}

type jobFields struct {
	image, model, modelPrefix, precision, framework, runner, spec string
	isl, osl                                                      int
	disagg, agentic                                               bool
	offload                                                       string
	prefillHW, decodeHW                                           string
}

func fields(j sweep.Entry) jobFields {
	switch x := j.(type) {
	case *sweep.SingleNodeEntry:
		return jobFields{x.Image, x.Model, x.ModelPrefix, x.Precision, x.Framework, x.Runner, x.SpecDecoding, x.ISL, x.OSL, x.Disagg, false, "", "", ""}
	case *sweep.MultiNodeEntry:
		return jobFields{x.Image, x.Model, x.ModelPrefix, x.Precision, x.Framework, x.Runner, x.SpecDecoding, x.ISL, x.OSL, x.Disagg, false, "", x.Prefill.Hardware, x.Decode.Hardware}
	case *sweep.AgenticSingleNodeEntry:
		return jobFields{x.Image, x.Model, x.ModelPrefix, x.Precision, x.Framework, x.Runner, x.SpecDecoding, 0, 0, false, true, x.KVOffloading, "", ""}
	case *sweep.AgenticMultiNodeEntry:
		return jobFields{x.Image, x.Model, x.ModelPrefix, x.Precision, x.Framework, x.Runner, x.SpecDecoding, 0, 0, x.Disagg, true, x.KVOffloading, x.Prefill.Hardware, x.Decode.Hardware}
	}
	return jobFields{}
}

func imageOf(j sweep.Entry) string { return fields(j).image }

// seriesKey names the dashboard curve a job's points are drawn on: the
// recipe's identity apart from its parallelism.
func seriesKey(j sweep.Entry) string {
	f := fields(j)
	offload := "off"
	if f.offload != "" && f.offload != config.OffloadNone {
		offload = "on"
	}
	scenario, isl, osl, spec := "single_turn", fmt.Sprint(f.isl), fmt.Sprint(f.osl), f.spec
	if f.agentic {
		scenario, isl, osl, spec = "agentic_traces", "", "", ""
	}
	return strings.Join([]string{f.model, f.modelPrefix, f.precision, f.framework, f.runner, fmt.Sprint(f.disagg), scenario, isl, osl, offload, spec, f.prefillHW, f.decodeHW}, "\x1f")
}

// describeJob names a job's recipe in a message.
func describeJob(j sweep.Entry) string {
	switch x := j.(type) {
	case *sweep.SingleNodeEntry:
		return fmt.Sprintf("the %s recipe tp=%d ep=%d dp-attn=%t spec-decoding=%s on %s", sweep.SeqLen{ISL: x.ISL, OSL: x.OSL}.Name(config.FormatToday), x.TP, x.EP, x.DPAttn, x.SpecDecoding, x.Runner)
	case *sweep.MultiNodeEntry:
		return fmt.Sprintf("the %s recipe prefill %dx tp=%d ep=%d, decode %dx tp=%d ep=%d, spec-decoding=%s on %s", sweep.SeqLen{ISL: x.ISL, OSL: x.OSL}.Name(config.FormatToday),
			x.Prefill.NumWorker, x.Prefill.TP, x.Prefill.EP, x.Decode.NumWorker, x.Decode.TP, x.Decode.EP, x.SpecDecoding, x.Runner)
	case *sweep.AgenticSingleNodeEntry:
		return fmt.Sprintf("the agentic recipe tp=%d ep=%d dp-attn=%t kv-offloading=%s on %s", x.TP, x.EP, x.DPAttn, x.KVOffloading, x.Runner)
	case *sweep.AgenticMultiNodeEntry:
		return fmt.Sprintf("the agentic recipe prefill %dx tp=%d, decode %dx tp=%d, kv-offloading=%s on %s", x.Prefill.NumWorker, x.Prefill.TP, x.Decode.NumWorker, x.Decode.TP, x.KVOffloading, x.Runner)
	}
	return "a job"
}

func concsOf(j sweep.Entry) []int {
	switch x := j.(type) {
	case *sweep.SingleNodeEntry:
		return []int{x.Conc}
	case *sweep.AgenticSingleNodeEntry:
		return []int{x.Conc}
	case *sweep.MultiNodeEntry:
		return x.Conc
	case *sweep.AgenticMultiNodeEntry:
		return x.Conc
	}
	return nil
}

// withConcs is a multi-node job with only some of its concurrencies (a
// single-node job has one, and is returned as it is).
func withConcs(j sweep.Entry, concs []int) sweep.Entry {
	switch x := j.(type) {
	case *sweep.MultiNodeEntry:
		y := *x
		y.Conc = slices.Clone(concs)
		return &y
	case *sweep.AgenticMultiNodeEntry:
		y := *x
		y.Conc = slices.Clone(concs)
		return &y
	}
	return j
}

func unionKeys(a, b *config.Master) []string {
	out := a.Keys()
	for _, k := range b.Keys() {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func withoutKey(m map[string]any, drop string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != drop {
			out[k] = v
		}
	}
	return out
}

// pyEqual compares generic YAML values as the original does (Python ==),
// where an integer equals the same number written as a float.
func pyEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !pyEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y && math.Abs(y) < 1<<53
		}
		return false
	case float64:
		if y, ok := b.(int64); ok {
			return pyEqual(y, x)
		}
	}
	return a == b
}
