// Package config loads the master benchmark configurations
// (configs/*-master.yaml) and the runner pool (runners.yaml),
// validates them against their schemas and the rules a schema cannot say,
// and reports every problem with its file, line, column and key path.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/yamldoc"
	"github.com/inferencex/inferencex-go/schemas"
)

// Spec-decoding modes.
const (
	SpecNone = "none"
)

// Worker is one side (prefill or decode) of a disaggregated deployment.
type Worker struct {
	NumWorker          int      `json:"num-worker"`
	TP                 int      `json:"tp"`
	EP                 int      `json:"ep"`
	DPAttn             bool     `json:"dp-attn"`
	AdditionalSettings []string `json:"additional-settings"`
}

// SearchSpace is one point of a recipe's search space: the parallelism and
// the concurrencies to run it at. Single-node points set TP (and maybe EP,
// DPAttn); multi-node points set Prefill and Decode.
type SearchSpace struct {
	TP           int     `json:"tp"`
	EP           *int    `json:"ep"`
	DPAttn       *bool   `json:"dp-attn"`
	SpecDecoding string  `json:"spec-decoding"`
	ConcStart    *int    `json:"conc-start"`
	ConcEnd      *int    `json:"conc-end"`
	ConcList     []int   `json:"conc-list"`
	Prefill      *Worker `json:"prefill"`
	Decode       *Worker `json:"decode"`
}

// Spec returns the spec-decoding mode, "none" when unset.
func (s SearchSpace) Spec() string {
	if s.SpecDecoding == "" {
		return SpecNone
	}
	return s.SpecDecoding
}

// SeqLenConfig is the search space for one input/output sequence length.
type SeqLenConfig struct {
	ISL         int           `json:"isl"`
	OSL         int           `json:"osl"`
	SearchSpace []SearchSpace `json:"search-space"`
}

// Entry is one recipe: a config key and how to benchmark it.
type Entry struct {
	Key           string         `json:"-"`
	Image         string         `json:"image"`
	Model         string         `json:"model"`
	ModelPrefix   string         `json:"model-prefix"`
	Precision     string         `json:"precision"`
	Framework     string         `json:"framework"`
	Runner        string         `json:"runner"`
	Multinode     bool           `json:"multinode"`
	Disagg        bool           `json:"disagg"`
	SeqLenConfigs []SeqLenConfig `json:"seq-len-configs"`

	// Where the entry was read from, for messages about it.
	File string `json:"-"`
	Line int    `json:"-"`
	doc  *yamldoc.Doc
	ptr  string
}

// Diag builds a diagnostic about a part of the entry: sub is a JSON pointer
// relative to the entry ("/runner", "/seq-len-configs/0").
func (e *Entry) Diag(sub, format string, args ...any) diag.Diagnostic {
	if e.doc == nil {
		return diag.Diagnostic{File: e.File, Line: e.Line, Path: diag.PathFromPointer("/" + e.Key + sub), Message: fmt.Sprintf(format, args...)}
	}
	return e.doc.Diag(e.ptr+sub, format, args...)
}

// Master is the merged content of one or more master config files, in the
// order the files and their keys were given.
type Master struct {
	Entries []*Entry
	byKey   map[string]*Entry
}

// Lookup returns the entry of a config key.
func (m *Master) Lookup(key string) (*Entry, bool) {
	e, ok := m.byKey[key]
	return e, ok
}

// Keys returns every config key in order.
func (m *Master) Keys() []string {
	keys := make([]string, len(m.Entries))
	for i, e := range m.Entries {
		keys[i] = e.Key
	}
	return keys
}

// Runners is the runner pool: runner type -> node names.
type Runners struct {
	File  string
	Types []string // in file order
	Nodes map[string][]string

	doc *yamldoc.Doc
}

// readDoc reads and parses one YAML file.
func readDoc(file string) (*yamldoc.Doc, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, diag.Errorf(file, 0, 0, "", "file does not exist")
		}
		return nil, diag.Errorf(file, 0, 0, "", "cannot read: %v", err)
	}
	return yamldoc.Parse(file, data)
}

// schemaDiags turns schema violations into positioned diagnostics.
func schemaDiags(doc *yamldoc.Doc, err error) (diag.List, error) {
	var se *schemas.Error
	if !errors.As(err, &se) {
		return nil, err
	}
	var out diag.List
	for _, v := range se.Violations {
		if v.AtKey {
			out = append(out, doc.KeyDiag(v.Pointer, "%s", v.Message))
		} else {
			out = append(out, doc.Diag(v.Pointer, "%s", v.Message))
		}
	}
	return out, nil
}

// LoadMaster reads, validates and merges master config files. Every problem
// in every file is reported, as a diag.List.
func LoadMaster(v *schemas.Validator, files []string) (*Master, error) {
	if len(files) == 0 {
		return nil, errors.New("no master config files given")
	}
	m := &Master{byKey: map[string]*Entry{}}
	// Parsing and schema validation of each file are independent: do them
	// in parallel, then merge in the order the files were given.
	type loaded struct {
		doc      *yamldoc.Doc
		problems diag.List
		err      error
	}
	results := make([]loaded, len(files))
	var wg sync.WaitGroup
	for i, file := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].doc, results[i].problems, results[i].err = readMaster(v, file)
		}()
	}
	wg.Wait()
	var problems diag.List
	for _, res := range results {
		if res.err != nil {
			return nil, res.err
		}
		problems = append(problems, res.problems...)
		doc := res.doc
		if doc == nil {
			continue
		}
		file := doc.File
		for _, key := range doc.Keys("") {
			ptr := diag.AppendToken("", key)
			e := &Entry{Key: key, File: file, Line: doc.KeyPos(ptr).Line, doc: doc, ptr: ptr}
			if err := doc.Decode(ptr, e); err != nil {
				var l diag.List
				if errors.As(err, &l) {
					problems = append(problems, l...)
					continue
				}
				return nil, err
			}
			if prev, dup := m.byKey[key]; dup {
				problems = append(problems, doc.KeyDiag(ptr, "config key already defined in %s:%d (keys must be unique across all master config files)", prev.File, prev.Line))
				continue
			}
			problems = append(problems, checkEntry(doc, ptr, e)...)
			m.byKey[key] = e
			m.Entries = append(m.Entries, e)
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return m, nil
}

// readMaster parses one master config file and validates it against the
// schema. Problems with the file come back as diagnostics (and no doc).
func readMaster(v *schemas.Validator, file string) (*yamldoc.Doc, diag.List, error) {
	doc, err := readDoc(file)
	if err != nil {
		var l diag.List
		if errors.As(err, &l) {
			return nil, l, nil
		}
		return nil, nil, err
	}
	// Entries are independent: validate them on every core.
	if root, ok := doc.Root.(map[string]any); ok {
		err = v.ValidateProperties(schemas.MasterConfig, root, runtime.GOMAXPROCS(0))
	} else {
		err = v.Validate(schemas.MasterConfig, doc.Root)
	}
	if err != nil {
		l, err := schemaDiags(doc, err)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		l.Sort()
		return nil, l, nil
	}
	return doc, nil, nil
}

// checkEntry applies the rules the schema cannot express.
func checkEntry(doc *yamldoc.Doc, ptr string, e *Entry) diag.List {
	var out diag.List
	for i, slc := range e.SeqLenConfigs {
		for j, s := range slc.SearchSpace {
			sp := fmt.Sprintf("%s/seq-len-configs/%d/search-space/%d", ptr, i, j)
			if s.ConcStart != nil && s.ConcEnd != nil && *s.ConcEnd < *s.ConcStart {
				out = append(out, doc.Diag(sp+"/conc-end", "must be >= conc-start (%d)", *s.ConcStart))
			}
		}
	}
	return out
}

// LoadRunners reads and validates the runner pool.
func LoadRunners(v *schemas.Validator, file string) (*Runners, error) {
	doc, err := readDoc(file)
	if err != nil {
		return nil, err
	}
	if err := v.Validate(schemas.Runners, doc.Root); err != nil {
		l, err := schemaDiags(doc, err)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		l.Sort()
		return nil, l
	}
	r := &Runners{File: file, Nodes: map[string][]string{}, doc: doc}
	if err := doc.Decode("", &r.Nodes); err != nil {
		return nil, err
	}
	r.Types = doc.Keys("")
	return r, nil
}

// CheckRunners reports every master config entry whose runner type the
// runner pool does not define: such an entry could never be placed on a
// node by runner-model-sweep or a node filter.
func (m *Master) CheckRunners(r *Runners) error {
	var out diag.List
	for _, e := range m.Entries {
		if _, ok := r.Nodes[e.Runner]; ok {
			continue
		}
		types := append([]string(nil), r.Types...)
		sort.Strings(types)
		out = append(out, e.Diag("/runner", "runner type %q is not defined in %s (defined: %s)", e.Runner, r.File, strings.Join(types, ", ")))
	}
	if len(out) > 0 {
		return out
	}
	return nil
}
