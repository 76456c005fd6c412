package changelog

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/sweep"
)

// Matrix is what `changelog matrix` prints for Feb-2026 configs: the jobs
// by node type and sequence length, and the entries that asked for them.
type Matrix struct {
	SingleNode Buckets
	MultiNode  Buckets
	Metadata   Metadata
}

// Metadata records what the matrix was made from.
type Metadata struct {
	BaseRef string       `json:"base_ref"`
	HeadRef string       `json:"head_ref"`
	Entries []EntryFeb26 `json:"entries"`
}

// EntryFeb26 is an entry as the Feb-2026 matrix records it.
type EntryFeb26 struct {
	ConfigKeys  []string `json:"config-keys"`
	Description []string `json:"description"`
	PRLink      string   `json:"pr-link"`
	EvalsOnly   bool     `json:"evals-only"`
}

// Buckets maps a sequence-length name (1k1k, 1k8k, 8k1k, <isl>_<osl>) to
// its jobs; names come out in a fixed order.
type Buckets struct {
	jobs map[sweep.SeqLen][]sweep.Entry
}

func (b *Buckets) add(sl sweep.SeqLen, e sweep.Entry) {
	if b.jobs == nil {
		b.jobs = map[sweep.SeqLen][]sweep.Entry{}
	}
	b.jobs[sl] = append(b.jobs[sl], e)
}

// Names lists the buckets: the named lengths first (1k1k, 1k8k, 8k1k), then
// the others by input then output length.
func (b Buckets) Names() []string {
	keys := b.order()
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name(config.FormatFeb2026)
	}
	return names
}

// Jobs returns a bucket's jobs.
func (b Buckets) Jobs(name string) []sweep.Entry {
	for sl, jobs := range b.jobs {
		if sl.Name(config.FormatFeb2026) == name {
			return jobs
		}
	}
	return nil
}

func (b Buckets) order() []sweep.SeqLen {
	rank := func(s sweep.SeqLen) int {
		switch s {
		case sweep.SeqLen1k1k:
			return 0
		case sweep.SeqLen1k8k:
			return 1
		case sweep.SeqLen8k1k:
			return 2
		}
		return 3
	}
	keys := make([]sweep.SeqLen, 0, len(b.jobs))
	for k := range b.jobs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, c := keys[i], keys[j]
		if rank(a) != rank(c) {
			return rank(a) < rank(c)
		}
		if a.ISL != c.ISL {
			return a.ISL < c.ISL
		}
		return a.OSL < c.OSL
	})
	return keys
}

// MarshalJSON writes the buckets in order.
func (b Buckets) MarshalJSON() ([]byte, error) {
	var out bytes.Buffer
	out.WriteByte('{')
	for i, sl := range b.order() {
		if i > 0 {
			out.WriteByte(',')
		}
		name, _ := json.Marshal(sl.Name(config.FormatFeb2026))
		out.Write(name)
		out.WriteByte(':')
		jobs, err := json.Marshal(b.jobs[sl])
		if err != nil {
			return nil, err
		}
		out.Write(jobs)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// MarshalJSON writes the matrix in the original's key order.
func (m *Matrix) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		SingleNode Buckets  `json:"single_node"`
		MultiNode  Buckets  `json:"multi_node"`
		Metadata   Metadata `json:"changelog_metadata"`
	}{m.SingleNode, m.MultiNode, m.Metadata})
}

// Build turns new changelog entries into jobs from Feb-2026 configs, as the
// original did at f0e131f2e. Each entry's keys run as `test-config` does,
// with evals marked (--run-evals) or, for an evals-only entry, only the
// eval jobs (--evals-only). A key asked for twice in the same mode runs
// once; a key asked for in both modes runs in both, and a job that both
// modes produce is listed once.
func (f *File) Build(m *config.Master, r *config.Runners, entries []Entry, base, head string) (*Matrix, error) {
	type job struct {
		key       string
		evalsOnly bool
	}
	seen := map[job]bool{}
	printed := map[string]bool{}
	mx := &Matrix{Metadata: Metadata{BaseRef: base, HeadRef: head}}
	for _, e := range entries {
		mx.Metadata.Entries = append(mx.Metadata.Entries, EntryFeb26{e.ConfigKeys, e.Description, e.PRLink, e.EvalsOnly})
	}
	for _, e := range entries {
		keys, err := f.Resolve(m, e)
		if err != nil {
			return nil, err
		}
		var run []string
		for _, k := range keys {
			if j := (job{k, e.EvalsOnly}); !seen[j] {
				seen[j] = true
				run = append(run, k)
			}
		}
		if len(run) == 0 {
			continue
		}
		jobs, _, err := sweep.TestConfig(m, r, sweep.TestConfigOptions{ConfigKeys: run})
		if err != nil {
			return nil, err
		}
		sweep.MarkEvalsFeb2026(jobs)
		if e.EvalsOnly {
			jobs = sweep.EvalsOnly(jobs)
		}
		for _, j := range jobs {
			id, err := json.Marshal(j)
			if err != nil {
				return nil, err
			}
			if printed[string(id)] {
				continue
			}
			printed[string(id)] = true
			switch x := j.(type) {
			case *sweep.SingleNodeEntry:
				mx.SingleNode.add(sweep.SeqLen{ISL: x.ISL, OSL: x.OSL}, x)
			case *sweep.MultiNodeEntry:
				mx.MultiNode.add(sweep.SeqLen{ISL: x.ISL, OSL: x.OSL}, x)
			}
		}
	}
	return mx, nil
}
