package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/suggest"
	"github.com/inferencex/inferencex-go/pkg/yamldoc"
	"github.com/inferencex/inferencex-go/schemas"
)

// Hardware is what a runner label's nodes offer a benchmark job beyond
// their GPUs.
type Hardware struct {
	AvailableCPUDRAMMiB int64 `json:"available-cpu-dram-mib"`
	GPUsPerNode         int   `json:"gpus-per-node"`
}

// Runners is the runner pool: runner label -> node names, and the hardware
// facts of some labels (today's format only).
type Runners struct {
	File     string
	Format   Format
	Types    []string // labels, in file order
	Nodes    map[string][]string
	Hardware map[string]Hardware

	doc *yamldoc.Doc
}

// runnersFormat tells the two layouts apart: today's has a labels mapping
// at the top; the Feb-2026 one maps labels to node lists right there.
func runnersFormat(doc *yamldoc.Doc) Format {
	root, ok := doc.Root.(map[string]any)
	if !ok {
		return FormatToday
	}
	if _, isMap := root["labels"].(map[string]any); isMap {
		return FormatToday
	}
	if _, isMap := root["hardware"].(map[string]any); isMap {
		return FormatToday
	}
	for _, v := range root {
		if _, isList := v.([]any); isList {
			return FormatFeb2026
		}
	}
	return FormatToday
}

// LoadRunners reads and validates the runner pool, in either format.
func LoadRunners(v *schemas.Validator, file string) (*Runners, error) {
	doc, err := readDoc(file)
	if err != nil {
		return nil, err
	}
	return checkRunners(v, doc)
}

// ParseRunners is LoadRunners for a file's content in memory (name is how
// messages call it).
func ParseRunners(v *schemas.Validator, name string, data []byte) (*Runners, error) {
	doc, err := yamldoc.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return checkRunners(v, doc)
}

func checkRunners(v *schemas.Validator, doc *yamldoc.Doc) (*Runners, error) {
	file := doc.File
	format := runnersFormat(doc)
	kind := schemas.Runners
	if format == FormatFeb2026 {
		kind = schemas.RunnersFeb2026
	}
	if err := v.Validate(kind, doc.Root); err != nil {
		l, err := schemaDiags(doc, err)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		l.Sort()
		return nil, l
	}
	r := &Runners{File: file, Format: format, Nodes: map[string][]string{}, Hardware: map[string]Hardware{}, doc: doc}
	labels := ""
	if format == FormatToday {
		labels = "/labels"
		if _, ok := doc.Lookup("/hardware"); ok {
			if err := doc.Decode("/hardware", &r.Hardware); err != nil {
				return nil, err
			}
		}
	}
	if err := doc.Decode(labels, &r.Nodes); err != nil {
		return nil, err
	}
	r.Types = doc.Keys(labels)
	return r, nil
}

// RunnerCheck tunes CheckRunners.
type RunnerCheck struct {
	// AllowUnlisted makes a runner label the pool does not define only a
	// warning in a fixed-seq-len config of today's format. Upstream main
	// does not check the label at all, and its own configs name GitHub
	// runner labels its runners.yaml does not list; this opt-in lets such
	// a repository expand them. Feb-2026 and agentic-coding configs still
	// need the label (the pool is their list of labels, or their hardware).
	AllowUnlisted bool
}

// CheckRunners holds the master configs to the runner pool. A runner label
// the pool does not define is an error: no node filter, --runner-type or
// runner-model-sweep could ever reach its jobs, and a typo would otherwise
// schedule jobs on a label no runner carries (with AllowUnlisted, see
// RunnerCheck). Every agentic point with DRAM KV offload that the label's
// hardware facts cannot size (no facts, a topology that does not fit its
// nodes) is an error.
func (m *Master) CheckRunners(r *Runners, o RunnerCheck) (warnings diag.List, err error) {
	var out diag.List
	for _, e := range m.Entries {
		if _, ok := r.Nodes[e.Runner]; !ok {
			if o.AllowUnlisted && e.Format == FormatToday && len(e.Scenarios.AgenticCoding) == 0 {
				warnings = append(warnings, e.Diag("/runner", "runner label %q is not defined in %s: runner node filters find no node for it", e.Runner, r.File))
				continue
			}
			types := append([]string(nil), r.Types...)
			sort.Strings(types)
			msg := fmt.Sprintf("runner label %q is not defined in %s", e.Runner, r.File)
			// Upstream's configs name fleets both ways (h200-dgxc next to
			// cluster:h200-dgxc), so the cluster form is the likeliest fix.
			hint := suggest.Closest(e.Runner, types, 2)
			if _, ok := r.Nodes[ClusterPrefix+e.Runner]; ok {
				hint = ClusterPrefix + e.Runner
			}
			if hint != "" {
				msg += fmt.Sprintf("; did you mean %q?", hint)
			}
			msg += fmt.Sprintf(" (defined: %s)", strings.Join(types, ", "))
			if e.Format == FormatToday {
				msg += "; add it under labels: there"
				if len(e.Scenarios.AgenticCoding) == 0 {
					msg += " (or pass --allow-unlisted-runners to only warn)"
				}
			}
			out = append(out, e.Diag("/runner", "%s", msg))
			continue
		}
		for _, p := range e.points() {
			if p.agentic == nil || p.s.Offloading() != OffloadDRAM {
				continue
			}
			hw, ok := r.Hardware[e.Runner]
			if !ok {
				out = append(out, e.Diag(p.ptr+"/kv-offloading", "kv-offloading: dram is sized from the hardware of runner %q, which %s does not give (hardware: {%s: {available-cpu-dram-mib, gpus-per-node}})", e.Runner, r.File, e.Runner))
				continue
			}
			if _, err := OffloadGPUs(*p.s, hw.GPUsPerNode); err != nil {
				out = append(out, e.Diag(p.ptr, "%v (runner %q)", err, e.Runner))
			}
		}
	}
	if len(out) > 0 {
		return warnings, out
	}
	return warnings, nil
}

// OffloadGPUs is the number of a node's GPUs that one server of an
// agentic point occupies, which its share of the node's DRAM follows. A
// single-node topology (tp*pp*pcp GPUs) must fit the node. A multi-node
// point is sized by its prefill workers (only they offload today): a
// replica larger than a node must fill whole nodes, a smaller one must
// divide the node evenly.
func OffloadGPUs(s SearchSpace, gpusPerNode int) (int, error) {
	if s.Prefill == nil {
		n := s.TP * Size(s.PP) * Size(s.PCPSize)
		if n > gpusPerNode {
			return 0, fmt.Errorf("tp=%d with pp=%d and pcp-size=%d needs %d GPUs, more than gpus-per-node=%d", s.TP, Size(s.PP), Size(s.PCPSize), n, gpusPerNode)
		}
		return n, nil
	}
	w := s.Prefill
	n := w.TP * Size(w.PP) * Size(w.PCPSize)
	if n > gpusPerNode {
		if n%gpusPerNode != 0 {
			return 0, fmt.Errorf("prefill tp*pp*pcp-size=%d spans several nodes but is not a multiple of gpus-per-node=%d", n, gpusPerNode)
		}
		return gpusPerNode, nil
	}
	if gpusPerNode%n != 0 {
		return 0, fmt.Errorf("prefill tp*pp*pcp-size=%d does not divide gpus-per-node=%d evenly", n, gpusPerNode)
	}
	return n, nil
}
