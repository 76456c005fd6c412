package sweep

import (
	"slices"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
)

// TestConfigOptions names the configs to run in full.
type TestConfigOptions struct {
	ConfigKeys       []string
	Conc             []int  // keep only these concurrencies
	RunnerNodeFilter string // expand each job to the nodes whose name contains it
}

// TestConfig expands the named configs completely (ranges step by 2),
// optionally keeping only some concurrencies. A key named twice runs once.
func TestConfig(m *config.Master, r *config.Runners, o TestConfigOptions) ([]Entry, error) {
	var missing []string
	for _, k := range o.ConfigKeys {
		if _, ok := m.Lookup(k); !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		keys := m.Keys()
		slices.Sort(keys)
		return nil, optErr("config key(s) not found: %s\navailable keys: %s", strings.Join(missing, ", "), strings.Join(keys, ", "))
	}
	for _, c := range o.Conc {
		if c < 1 {
			return nil, optErr("--conc values must be positive integers, got %d", c)
		}
	}
	var problems diag.List
	out := []Entry{}
	seen := map[string]bool{}
	for _, key := range o.ConfigKeys {
		if seen[key] {
			continue
		}
		seen[key] = true
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

// Expand runs one config in full on the given runners: every sequence
// length, every search-space point, ranges stepping by 2. With keep, only
// those concurrencies run (a point left with none is dropped).
func Expand(e *config.Entry, runners []string, keep []int) []Entry {
	var out []Entry
	for _, slc := range e.SeqLenConfigs {
		sl := SeqLen{slc.ISL, slc.OSL}
		for _, s := range slc.SearchSpace {
			conc := concValues(s, 2)
			if len(keep) > 0 {
				conc = slices.DeleteFunc(conc, func(c int) bool { return !slices.Contains(keep, c) })
				if len(conc) == 0 {
					continue
				}
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
	}
	return out
}
