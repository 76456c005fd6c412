// Package config loads the master benchmark configurations
// (configs/*-master.yaml) and the runner pool (runners.yaml), in today's
// format (scenarios: fixed-seq-len, agentic-coding) or the Feb-2026 one
// (seq-len-configs), validates them against their schemas and the rules a
// schema cannot say, and reports every problem with its file, line, column
// and key path.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/yamldoc"
	"github.com/inferencex/inferencex-go/schemas"
)

// Spec-decoding modes.
const (
	SpecNone = "none"
)

// KV offload modes of agentic-coding points.
const (
	OffloadNone = "none"
	OffloadDRAM = "dram"
)

// ClusterPrefix starts the runner labels that name one exact fleet; an
// agentic-coding config must run on one, so that all of its points share
// the hardware that its DRAM budget was sized for.
const ClusterPrefix = "cluster:"

// Component is a separately versioned runtime component (the router).
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// OffloadBackend is the KV offload backend of an agentic-coding point. It
// has a version only where it is versioned apart from the serving stack.
type OffloadBackend struct {
	Name    string  `json:"name"`
	Version *string `json:"version"`
}

// Worker is one side (prefill or decode) of a disaggregated deployment.
// Pointer fields are absent when nil; AdditionalSettings is nil when the
// YAML does not have the key (which the recipe fingerprint tells apart from
// an empty list, as the original does).
type Worker struct {
	Hardware           *string  `json:"hardware"`
	NumWorker          int      `json:"num-worker"`
	TP                 int      `json:"tp"`
	PP                 *int     `json:"pp"`
	DCPSize            *int     `json:"dcp-size"`
	PCPSize            *int     `json:"pcp-size"`
	EP                 int      `json:"ep"`
	DPAttn             bool     `json:"dp-attn"`
	AdditionalSettings []string `json:"additional-settings"`
}

// SearchSpace is one point of a recipe's search space: the parallelism and
// the concurrencies to run it at. Single-node points set TP (and maybe the
// other sizes); multi-node points set Prefill and Decode. Agentic-coding
// points also say how the KV cache is offloaded.
type SearchSpace struct {
	TP               int             `json:"tp"`
	PP               *int            `json:"pp"`
	DCPSize          *int            `json:"dcp-size"`
	PCPSize          *int            `json:"pcp-size"`
	EP               *int            `json:"ep"`
	DPAttn           *bool           `json:"dp-attn"`
	SpecDecoding     string          `json:"spec-decoding"`
	Router           *Component      `json:"router"`
	KVP2PTransfer    *string         `json:"kv-p2p-transfer"`
	KVOffloading     *string         `json:"kv-offloading"`
	KVOffloadBackend *OffloadBackend `json:"kv-offload-backend"`
	ConcStart        *int            `json:"conc-start"`
	ConcEnd          *int            `json:"conc-end"`
	ConcList         []int           `json:"conc-list"`
	Prefill          *Worker         `json:"prefill"`
	Decode           *Worker         `json:"decode"`
}

// Spec returns the spec-decoding mode, "none" when unset.
func (s SearchSpace) Spec() string {
	if s.SpecDecoding == "" {
		return SpecNone
	}
	return s.SpecDecoding
}

// Offloading returns the KV offload mode, "none" when unset.
func (s SearchSpace) Offloading() string {
	if s.KVOffloading == nil {
		return OffloadNone
	}
	return *s.KVOffloading
}

// Size returns a parallelism size, 1 when unset.
func Size(p *int) int {
	if p == nil {
		return 1
	}
	return *p
}

// SeqLenConfig is the search space for one input/output sequence length.
type SeqLenConfig struct {
	ISL         int           `json:"isl"`
	OSL         int           `json:"osl"`
	SearchSpace []SearchSpace `json:"search-space"`
}

// AgenticConfig is one agentic-coding scenario: trace replay at each of its
// points' concurrencies.
type AgenticConfig struct {
	DRAMUtilization *float64      `json:"dram-utilization"`
	SearchSpace     []SearchSpace `json:"search-space"`
}

// Scenarios are the benchmark scenarios of a recipe in today's format.
type Scenarios struct {
	FixedSeqLen   []SeqLenConfig  `json:"fixed-seq-len"`
	AgenticCoding []AgenticConfig `json:"agentic-coding"`
}

// Entry is one recipe: a config key and how to benchmark it. Whatever the
// file's format, Scenarios holds its search spaces (a Feb-2026 file's
// seq-len-configs are its fixed-seq-len scenario).
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
	Router        *Component     `json:"router"`
	KVP2PTransfer *string        `json:"kv-p2p-transfer"`
	Scenarios     Scenarios      `json:"scenarios"`
	SeqLenConfigs []SeqLenConfig `json:"seq-len-configs"` // the Feb-2026 format only

	// Where the entry was read from, for messages about it.
	File   string `json:"-"`
	Line   int    `json:"-"`
	Format Format `json:"-"`
	doc    *yamldoc.Doc
	ptr    string
}

// Diag builds a diagnostic about a part of the entry: sub is a JSON pointer
// relative to the entry ("/runner", "/scenarios/fixed-seq-len/0").
func (e *Entry) Diag(sub, format string, args ...any) diag.Diagnostic {
	if e.doc == nil {
		return diag.Diagnostic{File: e.File, Line: e.Line, Path: diag.PathFromPointer("/" + e.Key + sub), Message: fmt.Sprintf(format, args...)}
	}
	return e.doc.Diag(e.ptr+sub, format, args...)
}

// KeyDiag is Diag located at the key that names the part rather than its
// value.
func (e *Entry) KeyDiag(sub, format string, args ...any) diag.Diagnostic {
	if e.doc == nil {
		return e.Diag(sub, format, args...)
	}
	return e.doc.KeyDiag(e.ptr+sub, format, args...)
}

// Raw is the entry as the YAML has it, as generic values: what the
// changelog's append-only check compares between two revisions.
func (e *Entry) Raw() any {
	if e.doc == nil {
		return nil
	}
	v, _ := e.doc.Lookup(e.ptr)
	return v
}

// FixedSeqLenPtr is the JSON pointer, relative to the entry, of its i-th
// fixed-seq-len scenario in the file's format.
func (e *Entry) FixedSeqLenPtr(i int) string {
	if e.Format == FormatFeb2026 {
		return fmt.Sprintf("/seq-len-configs/%d", i)
	}
	return fmt.Sprintf("/scenarios/fixed-seq-len/%d", i)
}

// Master is the merged content of one or more master config files, in the
// order the files and their keys were given. They share one format.
type Master struct {
	Format  Format
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

// loadedFile is one master config file, parsed and checked on its own.
type loadedFile struct {
	doc      *yamldoc.Doc
	format   Format
	first    string // the first entry key that shows the format
	problems diag.List
	err      error
}

// LoadMaster reads, validates and merges master config files, which must
// share one format. Every problem in every file is reported, as a
// diag.List.
func LoadMaster(v *schemas.Validator, files []string) (*Master, error) {
	if len(files) == 0 {
		return nil, errors.New("no master config files given")
	}
	// Parsing and schema validation of each file are independent: do them
	// in parallel, then merge in the order the files were given.
	results := make([]loadedFile, len(files))
	var wg sync.WaitGroup
	for i, file := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = readMaster(v, file)
		}()
	}
	wg.Wait()
	return mergeMaster(results)
}

// mergeMaster merges the files checked on their own, in order.
func mergeMaster(results []loadedFile) (*Master, error) {
	m := &Master{byKey: map[string]*Entry{}, Format: FormatUnknown}
	var problems diag.List
	var formatFrom *loadedFile
	for i := range results {
		res := &results[i]
		if res.err != nil {
			return nil, res.err
		}
		problems = append(problems, res.problems...)
		if res.doc == nil {
			continue
		}
		if res.format != FormatUnknown {
			if formatFrom != nil && res.format != m.Format {
				problems = append(problems, res.doc.KeyDiag(diag.AppendToken("", res.first),
					"this file is in %s but %s is in %s: the master config files of one call must share a format (matrixgen migrate rewrites Feb-2026 files)",
					res.format.Describe(), formatFrom.doc.File, m.Format.Describe()))
				continue
			}
			m.Format, formatFrom = res.format, res
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if m.Format == FormatUnknown {
		m.Format = FormatToday
	}
	for _, res := range results {
		doc := res.doc
		file := doc.File
		lines := doc.KeyPositions("")
		for _, key := range doc.Keys("") {
			ptr := diag.AppendToken("", key)
			e := &Entry{Key: key, File: file, Line: lines[key].Line, Format: m.Format, doc: doc, ptr: ptr}
			if err := doc.DecodeValidated(ptr, e); err != nil {
				var l diag.List
				if errors.As(err, &l) {
					problems = append(problems, l...)
					continue
				}
				return nil, err
			}
			if m.Format == FormatFeb2026 {
				e.Scenarios.FixedSeqLen = e.SeqLenConfigs
			}
			if prev, dup := m.byKey[key]; dup {
				problems = append(problems, doc.KeyDiag(ptr, "config key already defined in %s:%d (keys must be unique across all master config files)", prev.File, prev.Line))
				continue
			}
			problems = append(problems, checkEntry(e)...)
			m.byKey[key] = e
			m.Entries = append(m.Entries, e)
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return m, nil
}

// readMaster parses one master config file, finds its format and validates
// it against that format's schema. Problems with the file come back as
// diagnostics (and no doc).
func readMaster(v *schemas.Validator, file string) loadedFile {
	doc, err := readDoc(file)
	if err != nil {
		var l diag.List
		if errors.As(err, &l) {
			return loadedFile{problems: l}
		}
		return loadedFile{err: err}
	}
	return checkMaster(v, doc)
}

// Source is a config file's content in memory; Name is how messages call
// it.
type Source struct {
	Name string
	Data []byte
}

// ParseMaster is LoadMaster for files already read.
func ParseMaster(v *schemas.Validator, files ...Source) (*Master, error) {
	if len(files) == 0 {
		return nil, errors.New("no master config files given")
	}
	results := make([]loadedFile, len(files))
	for i, f := range files {
		doc, err := yamldoc.Parse(f.Name, f.Data)
		if err != nil {
			var l diag.List
			if errors.As(err, &l) {
				results[i] = loadedFile{problems: l}
				continue
			}
			return nil, err
		}
		results[i] = checkMaster(v, doc)
	}
	return mergeMaster(results)
}

func checkMaster(v *schemas.Validator, doc *yamldoc.Doc) loadedFile {
	file := doc.File
	format, first, problems := detectFormat(doc)
	if len(problems) > 0 {
		return loadedFile{problems: problems}
	}
	kind := schemas.MasterConfig
	if format == FormatFeb2026 {
		kind = schemas.MasterConfigFeb2026
	}
	var err error
	// Entries are independent: validate them on every core.
	if root, ok := doc.Root.(map[string]any); ok {
		err = v.ValidateProperties(kind, root, runtime.GOMAXPROCS(0))
	} else {
		err = v.Validate(kind, doc.Root)
	}
	if err != nil {
		l, err := schemaDiags(doc, err)
		if err != nil {
			return loadedFile{err: fmt.Errorf("%s: %w", file, err)}
		}
		l.Sort()
		return loadedFile{problems: l}
	}
	return loadedFile{doc: doc, format: format, first: first}
}
