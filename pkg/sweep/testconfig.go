package sweep

import (
	"slices"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
)

// TestConfigOptions names the configs to run in full.
type TestConfigOptions struct {
	ConfigKeys       []string // keys; in today's format also glob patterns (*, ?, [...])
	Conc             []int    // keep only these concurrencies
	SeqLens          []SeqLen // today's format: keep only these fixed sequence lengths
	Scenarios        []string // today's format: keep only these scenario types
	RunnerNodeFilter string   // expand each job to the nodes whose name contains it
}

// TestConfig expands the named configs completely (ranges step by 2),
// optionally keeping only some concurrencies. A key named twice runs once.
// Warnings are configs that produce nothing for a reason worth saying.
func TestConfig(m *config.Master, r *config.Runners, o TestConfigOptions) (entries []Entry, warnings diag.List, err error) {
	for _, c := range o.Conc {
		if c < 1 {
			return nil, nil, optErr("--conc values must be positive integers, got %d", c)
		}
	}
	keys, err := resolveKeys(m, o.ConfigKeys)
	if err != nil {
		return nil, nil, err
	}
	if m.Format == config.FormatFeb2026 {
		entries, err := testConfigFeb(m, r, keys, o)
		return entries, nil, err
	}
	out := []Entry{}
	for _, key := range keys {
		e, _ := m.Lookup(key)
		runners := testConfigRunners(r, e.Runner, o.RunnerNodeFilter)
		if len(runners) == 0 {
			warnings = append(warnings, e.Diag("/runner", "no node of runner label %q matches --runner-node-filter %q: this config runs nothing", e.Runner, o.RunnerNodeFilter))
			continue
		}
		jobs, err := ExpandToday(e, r, runners, o.Conc, o.SeqLens, o.Scenarios)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, jobs...)
	}
	return out, warnings, nil
}

// resolveKeys checks the named keys and, in today's format, expands glob
// patterns (fnmatch: *, ?, [...]) in master config order, without repeats.
func resolveKeys(m *config.Master, names []string) ([]string, error) {
	keys := m.Keys()
	var missing []string
	var out []string
	add := func(k string) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, name := range names {
		if m.Format == config.FormatToday && strings.ContainsAny(name, "*?") {
			matched := false
			for _, k := range keys {
				if Fnmatch(name, k) {
					matched = true
					add(k)
				}
			}
			if !matched {
				sorted := slices.Clone(keys)
				slices.Sort(sorted)
				return nil, optErr("pattern %q matched no config keys\navailable keys: %s", name, strings.Join(sorted, ", "))
			}
			continue
		}
		if _, ok := m.Lookup(name); !ok {
			missing = append(missing, name)
			continue
		}
		add(name)
	}
	if len(missing) > 0 {
		sorted := slices.Clone(keys)
		slices.Sort(sorted)
		return nil, optErr("config key(s) not found: %s\navailable keys: %s", strings.Join(missing, ", "), strings.Join(sorted, ", "))
	}
	return out, nil
}

// testConfigRunners is where today's test-config runs a config: its label,
// or with a node filter the label's matching nodes, and the label itself
// first when the filter matches the label (as upstream does).
func testConfigRunners(r *config.Runners, label, filter string) []string {
	if filter == "" {
		return []string{label}
	}
	var out []string
	if strings.Contains(label, filter) {
		out = append(out, label)
	}
	for _, n := range r.Nodes[label] {
		if strings.Contains(n, filter) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func testConfigFeb(m *config.Master, r *config.Runners, keys []string, o TestConfigOptions) ([]Entry, error) {
	var problems diag.List
	out := []Entry{}
	for _, key := range keys {
		e, _ := m.Lookup(key)
		runners := []string{e.Runner}
		if o.RunnerNodeFilter != "" {
			runners = nodeFilter(r, e.Runner, o.RunnerNodeFilter)
			if len(runners) == 0 {
				problems = append(problems, e.Diag("/runner", "no node of runner type %q matches --runner-node-filter %q", e.Runner, o.RunnerNodeFilter))
				continue
			}
		}
		out = append(out, Expand(e, runners, o.Conc)...)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// keepConc keeps the concurrencies that keep lists (all when it is empty).
func keepConc(conc, keep []int) []int {
	if len(keep) == 0 {
		return conc
	}
	return slices.DeleteFunc(conc, func(c int) bool { return !slices.Contains(keep, c) })
}

// Expand runs one config's fixed-seq-len scenario in full on the given
// runners: every sequence length, every search-space point, ranges
// stepping by 2. With keep, only those concurrencies run (a point left with
// none is dropped).
func Expand(e *config.Entry, runners []string, keep []int) []Entry {
	var out []Entry
	for _, slc := range e.Scenarios.FixedSeqLen {
		out = append(out, expandSeqLen(e, runners, slc, keep)...)
	}
	return out
}

func expandSeqLen(e *config.Entry, runners []string, slc config.SeqLenConfig, keep []int) []Entry {
	var out []Entry
	sl := SeqLen{slc.ISL, slc.OSL}
	for _, s := range slc.SearchSpace {
		conc := keepConc(concValues(s, 2), keep)
		if len(conc) == 0 {
			continue
		}
		if e.Multinode {
			for _, runner := range runners {
				out = append(out, multiEntry(e, runner, sl, s, slices.Clone(conc)))
			}
			continue
		}
		for _, c := range conc {
			for _, runner := range runners {
				out = append(out, singleEntry(e, runner, sl, s, c))
			}
		}
	}
	return out
}

// ExpandToday runs one config of today's format in full on the given
// runners: its fixed-seq-len scenario (only seqLens, when given) and its
// agentic-coding scenario, as scenarios selects (all when empty), ranges
// stepping by 2, only the concurrencies in keep when given.
func ExpandToday(e *config.Entry, r *config.Runners, runners []string, keep []int, seqLens []SeqLen, scenarios []string) ([]Entry, error) {
	var out []Entry
	if wants(scenarios, ScenarioFixedSeqLen) {
		for _, slc := range e.Scenarios.FixedSeqLen {
			if len(seqLens) > 0 && !slices.Contains(seqLens, SeqLen{slc.ISL, slc.OSL}) {
				continue
			}
			out = append(out, expandSeqLen(e, runners, slc, keep)...)
		}
	}
	if !wants(scenarios, ScenarioAgentic) {
		return out, nil
	}
	for i := range e.Scenarios.AgenticCoding {
		a := &e.Scenarios.AgenticCoding[i]
		for _, s := range a.SearchSpace {
			budget, err := offloadBudget(e, a, s, r)
			if err != nil {
				return nil, err
			}
			if conc := keepConc(concValues(s, 2), keep); len(conc) > 0 {
				out = append(out, agenticEntries(e, s, budget, conc, runners)...)
			}
		}
	}
	return out, nil
}

// Fnmatch reports whether name matches a shell-style pattern as Python's
// fnmatch.fnmatchcase does: * any run of characters, ? one character,
// [seq] one character of seq, [!seq] one not in it; a [ without its ] is
// itself.
func Fnmatch(pattern, name string) bool {
	p, n := []rune(pattern), []rune(name)
	// Iterative matching with one backtrack point for the last *.
	pi, ni := 0, 0
	starP, starN := -1, 0
	for ni < len(n) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				starP, starN = pi, ni
				pi++
				continue
			case '?':
				pi++
				ni++
				continue
			case '[':
				if end, ok := classEnd(p, pi); ok {
					if classMatch(p[pi+1:end], n[ni]) {
						pi, ni = end+1, ni+1
						continue
					}
				} else if n[ni] == '[' {
					pi++
					ni++
					continue
				}
			default:
				if p[pi] == n[ni] {
					pi++
					ni++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starN++
		pi, ni = starP+1, starN
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// classEnd finds the ] closing the class opened at p[i] ([!]...] and []...]
// take a leading ] as a member).
func classEnd(p []rune, i int) (int, bool) {
	j := i + 1
	if j < len(p) && p[j] == '!' {
		j++
	}
	if j < len(p) && p[j] == ']' {
		j++
	}
	for ; j < len(p); j++ {
		if p[j] == ']' {
			return j, true
		}
	}
	return 0, false
}

// classMatch tests c against a class body (between [ and ]).
func classMatch(body []rune, c rune) bool {
	negate := len(body) > 0 && body[0] == '!'
	if negate {
		body = body[1:]
	}
	in := false
	for i := 0; i < len(body); i++ {
		if i+2 < len(body) && body[i+1] == '-' {
			if body[i] <= c && c <= body[i+2] {
				in = true
			}
			i += 2
			continue
		}
		if body[i] == c {
			in = true
		}
	}
	return in != negate
}
