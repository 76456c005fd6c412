package results

import (
	"regexp"
	"strconv"
	"strings"
)

// A pull request's sweep is compared with what main measured of the same
// configuration. Upstream's compare_results.py looks each result up in its
// results database by model prefix, GPU, framework, precision, speculative
// decoding, disaggregation, node kind, the parallelism of each side,
// sequence lengths and concurrency; here the same fields (plus the worker
// counts and today's pipeline and context-parallel sizes) say which results
// of main's sweeps measured the same configuration, and the recipe
// fingerprint picks among them: main's result of the same recipe when
// there is one, else main's newest result of that configuration, marked as
// a changed recipe (a pull request that changes a recipe changes its
// fingerprint, and that change is what the comparison is for).

// hwSuffix is what upstream strips from a runner type to name the GPU.
var hwSuffix = regexp.MustCompile(`-(multinode|trt|disagg)$`)

// Hardware is the GPU a result ran on: its runner type without a
// -multinode, -trt or -disagg suffix, lower case.
func Hardware(hw string) string {
	if loc := hwSuffix.FindStringIndex(hw); loc != nil {
		hw = hw[:loc[0]]
	}
	return strings.ToLower(hw)
}

// boolText reads a boolean field as upstream's parse_bool does: a JSON
// boolean, or text that is "true" in any case.
func (r *Processed) boolText(key string) string {
	switch v := r.Fields[key].(type) {
	case bool:
		if v {
			return "true"
		}
		return "false"
	case nil:
		return "false"
	default:
		if strings.EqualFold(pyText(v), "true") {
			return "true"
		}
		return "false"
	}
}

func pyText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return scalarText(v)
}

// intText reads an integer field, def when absent.
func (r *Processed) intText(key, def string) string {
	v, ok := r.Fields[key]
	if !ok || v == nil {
		return def
	}
	if n, ok := Int(v); ok {
		return strconv.FormatInt(n, 10)
	}
	return pyText(v)
}

// BaselineKey is the configuration a result is compared under.
func (r *Processed) BaselineKey() string {
	spec := r.Str("spec_decoding")
	if spec == "" {
		spec = "none"
	}
	parts := []string{
		strings.ToLower(r.Str("infmax_model_prefix")), Hardware(r.Str("hw")), strings.ToLower(r.Str("framework")),
		strings.ToLower(r.Str("precision")), strings.ToLower(spec), r.boolText("disagg"), r.boolText("is_multinode"),
	}
	side := func(prefix string) {
		parts = append(parts,
			r.intText(prefix+"tp", "1"), r.intText(prefix+"pp", "1"), r.intText(prefix+"dcp_size", "1"),
			r.intText(prefix+"pcp_size", "1"), r.intText(prefix+"ep", "1"), r.boolText(prefix+"dp_attention"))
	}
	if r.MultiNode() {
		side("prefill_")
		parts = append(parts, r.intText("prefill_num_workers", "1"))
		side("decode_")
		parts = append(parts, r.intText("decode_num_workers", "1"))
	} else {
		side("")
	}
	parts = append(parts, r.intText("isl", "0"), r.intText("osl", "0"), r.intText("conc", "0"))
	return strings.Join(parts, "\x1f")
}

// Pair is a result and the baseline result it is compared with (nil when
// the baseline has none of its configuration).
type Pair struct {
	Cur, Base *Processed
	// Recipe says how the two recipes relate: "same" (equal recipe
	// fingerprints), "changed" (different ones), or "" when either result
	// has no fingerprint (the Feb-2026 format).
	Recipe string
}

// PairWithBaseline finds each current result's baseline among base, which
// is newest first: the newest of the same configuration and recipe
// fingerprint, else the newest of the same configuration.
func PairWithBaseline(cur, base []*Processed) []Pair {
	byKey := map[string][]*Processed{}
	for _, b := range base {
		k := b.BaselineKey()
		byKey[k] = append(byKey[k], b)
	}
	pairs := make([]Pair, len(cur))
	for i, c := range cur {
		pairs[i] = Pair{Cur: c}
		cands := byKey[c.BaselineKey()]
		if len(cands) == 0 {
			continue
		}
		fp := c.Str("recipe_fingerprint")
		pick := cands[0]
		if fp != "" {
			for _, b := range cands {
				if b.Str("recipe_fingerprint") == fp {
					pick = b
					break
				}
			}
		}
		pairs[i].Base = pick
		switch bfp := pick.Str("recipe_fingerprint"); {
		case fp == "" || bfp == "":
		case fp == bfp:
			pairs[i].Recipe = "same"
		default:
			pairs[i].Recipe = "changed"
		}
	}
	return pairs
}
