// Package sweep expands master config recipes into the job matrix: one
// entry per benchmark job, every field filled in. It holds the three ways
// of choosing what to run (a full sweep with filters, a runner-model sweep
// that checks every node of a runner label, and an explicit list of config
// keys), the policies that mark which jobs also run evals (today's and the
// Feb-2026 one), and the recipe fingerprint that names a job's recipe.
//
// What a config expands into depends on its format (config.Format): the
// Feb-2026 format keeps the original's rules at f0e131f2e (max-model-len =
// isl + osl + 200, evals opt-in), today's follows upstream main
// (max-model-len = isl + osl + 256, pp/dcp-size/pcp-size on every job,
// agentic-coding jobs, evals on by default).
package sweep

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
)

// ScenarioAgentic is the scenario-type of agentic-coding jobs; fixed-seq-len
// jobs have no scenario-type field.
const ScenarioAgentic = "agentic-coding"

// Scenario types, as --scenario-type and changelog entries name them.
const (
	ScenarioFixedSeqLen = "fixed-seq-len"
)

// ScenarioTypes lists the scenario types in their canonical order.
func ScenarioTypes() []string { return []string{ScenarioFixedSeqLen, ScenarioAgentic} }

// DefaultAgenticDuration is how long an agentic-coding job replays traces,
// in seconds; workflow callers may override it.
const DefaultAgenticDuration = 3600

// Worker is one side of a multi-node job. pp, dcp-size and pcp-size are set
// in today's format only, hardware when the config gives it.
type Worker struct {
	Hardware           string   `json:"hardware,omitempty"`
	NumWorker          int      `json:"num-worker"`
	TP                 int      `json:"tp"`
	EP                 int      `json:"ep"`
	DPAttn             bool     `json:"dp-attn"`
	AdditionalSettings []string `json:"additional-settings"`
	PP                 *int     `json:"pp,omitempty"`
	DCPSize            *int     `json:"dcp-size,omitempty"`
	PCPSize            *int     `json:"pcp-size,omitempty"`

	// settingsWritten: the config had additional-settings. The original
	// copies a worker as written, so its recipe fingerprint covers the key
	// only then; matrixgen always writes it.
	settingsWritten bool
}

// OffloadBackend is the KV offload backend of an agentic job.
type OffloadBackend struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// SingleNodeEntry is one single-node fixed-seq-len benchmark job. Field
// order is the original's key order.
type SingleNodeEntry struct {
	// ConfigKey is the master config key the job comes from (not printed).
	ConfigKey string `json:"-"`

	Image             string            `json:"image"`
	Model             string            `json:"model"`
	ModelPrefix       string            `json:"model-prefix"`
	Precision         string            `json:"precision"`
	Framework         string            `json:"framework"`
	Runner            string            `json:"runner"`
	ISL               int               `json:"isl"`
	OSL               int               `json:"osl"`
	TP                int               `json:"tp"`
	PP                *int              `json:"pp,omitempty"`
	DCPSize           *int              `json:"dcp-size,omitempty"`
	PCPSize           *int              `json:"pcp-size,omitempty"`
	Conc              int               `json:"conc"`
	MaxModelLen       int               `json:"max-model-len"`
	EP                int               `json:"ep"`
	DPAttn            bool              `json:"dp-attn"`
	SpecDecoding      string            `json:"spec-decoding"`
	ExpName           string            `json:"exp-name"`
	Disagg            bool              `json:"disagg"`
	RunEval           bool              `json:"run-eval"`
	Router            *config.Component `json:"router,omitempty"`
	EvalOnly          *bool             `json:"eval-only,omitempty"`
	RecipeFingerprint string            `json:"recipe-fingerprint,omitempty"`
}

// MultiNodeEntry is one multi-node (disaggregated) fixed-seq-len job; one
// job runs every concurrency in Conc.
type MultiNodeEntry struct {
	// ConfigKey is the master config key the job comes from (not printed).
	ConfigKey string `json:"-"`

	Image             string            `json:"image"`
	Model             string            `json:"model"`
	ModelPrefix       string            `json:"model-prefix"`
	Precision         string            `json:"precision"`
	Framework         string            `json:"framework"`
	Runner            string            `json:"runner"`
	ISL               int               `json:"isl"`
	OSL               int               `json:"osl"`
	SpecDecoding      string            `json:"spec-decoding"`
	Prefill           Worker            `json:"prefill"`
	Decode            Worker            `json:"decode"`
	Conc              []int             `json:"conc"`
	MaxModelLen       int               `json:"max-model-len"`
	ExpName           string            `json:"exp-name"`
	Disagg            bool              `json:"disagg"`
	RunEval           bool              `json:"run-eval"`
	Router            *config.Component `json:"router,omitempty"`
	KVP2PTransfer     string            `json:"kv-p2p-transfer,omitempty"`
	EvalConc          *int              `json:"eval-conc,omitempty"`
	EvalAllConcs      *bool             `json:"eval-all-concs,omitempty"`
	EvalOnly          *bool             `json:"eval-only,omitempty"`
	RecipeFingerprint string            `json:"recipe-fingerprint,omitempty"`
}

// AgenticSingleNodeEntry is one single-node agentic-coding job: trace
// replay at one concurrency. RunEval is set once evals were considered.
type AgenticSingleNodeEntry struct {
	// ConfigKey is the master config key the job comes from (not printed).
	ConfigKey string `json:"-"`

	Image             string            `json:"image"`
	Model             string            `json:"model"`
	ModelPrefix       string            `json:"model-prefix"`
	Precision         string            `json:"precision"`
	Framework         string            `json:"framework"`
	Runner            string            `json:"runner"`
	TP                int               `json:"tp"`
	PP                int               `json:"pp"`
	DCPSize           int               `json:"dcp-size"`
	PCPSize           int               `json:"pcp-size"`
	EP                int               `json:"ep"`
	DPAttn            bool              `json:"dp-attn"`
	SpecDecoding      string            `json:"spec-decoding"`
	Conc              int               `json:"conc"`
	KVOffloading      string            `json:"kv-offloading"`
	TotalCPUDRAMGB    int64             `json:"total-cpu-dram-gb"`
	Duration          int               `json:"duration"`
	ExpName           string            `json:"exp-name"`
	ScenarioType      string            `json:"scenario-type"`
	KVOffloadBackend  *OffloadBackend   `json:"kv-offload-backend,omitempty"`
	Router            *config.Component `json:"router,omitempty"`
	RunEval           *bool             `json:"run-eval,omitempty"`
	EvalOnly          *bool             `json:"eval-only,omitempty"`
	RecipeFingerprint string            `json:"recipe-fingerprint,omitempty"`
}

// AgenticMultiNodeEntry is one multi-node agentic-coding job (one
// concurrency per job, as a one-item list).
type AgenticMultiNodeEntry struct {
	// ConfigKey is the master config key the job comes from (not printed).
	ConfigKey string `json:"-"`

	Image             string            `json:"image"`
	Model             string            `json:"model"`
	ModelPrefix       string            `json:"model-prefix"`
	Precision         string            `json:"precision"`
	Framework         string            `json:"framework"`
	Runner            string            `json:"runner"`
	SpecDecoding      string            `json:"spec-decoding"`
	Prefill           Worker            `json:"prefill"`
	Decode            Worker            `json:"decode"`
	Conc              []int             `json:"conc"`
	KVOffloading      string            `json:"kv-offloading"`
	TotalCPUDRAMGB    int64             `json:"total-cpu-dram-gb"`
	Duration          int               `json:"duration"`
	ExpName           string            `json:"exp-name"`
	Disagg            bool              `json:"disagg"`
	ScenarioType      string            `json:"scenario-type"`
	KVOffloadBackend  *OffloadBackend   `json:"kv-offload-backend,omitempty"`
	Router            *config.Component `json:"router,omitempty"`
	KVP2PTransfer     string            `json:"kv-p2p-transfer,omitempty"`
	RunEval           *bool             `json:"run-eval,omitempty"`
	EvalConc          *int              `json:"eval-conc,omitempty"`
	EvalOnly          *bool             `json:"eval-only,omitempty"`
	RecipeFingerprint string            `json:"recipe-fingerprint,omitempty"`
}

// Entry is a *SingleNodeEntry, *MultiNodeEntry, *AgenticSingleNodeEntry or
// *AgenticMultiNodeEntry.
type Entry interface{ isEntry() }

func (*SingleNodeEntry) isEntry()        {}
func (*MultiNodeEntry) isEntry()         {}
func (*AgenticSingleNodeEntry) isEntry() {}
func (*AgenticMultiNodeEntry) isEntry()  {}

// ConfigKeyOf is the master config key a job comes from.
func ConfigKeyOf(e Entry) string {
	switch x := e.(type) {
	case *SingleNodeEntry:
		return x.ConfigKey
	case *MultiNodeEntry:
		return x.ConfigKey
	case *AgenticSingleNodeEntry:
		return x.ConfigKey
	case *AgenticMultiNodeEntry:
		return x.ConfigKey
	}
	return ""
}

// IsMultiNode tells multi-node jobs (with prefill and decode workers).
func IsMultiNode(e Entry) bool {
	switch e.(type) {
	case *MultiNodeEntry, *AgenticMultiNodeEntry:
		return true
	}
	return false
}

// IsAgentic tells agentic-coding jobs.
func IsAgentic(e Entry) bool {
	switch e.(type) {
	case *AgenticSingleNodeEntry, *AgenticMultiNodeEntry:
		return true
	}
	return false
}

// RunsEval tells whether a job is marked to run evals.
func RunsEval(e Entry) bool {
	switch x := e.(type) {
	case *SingleNodeEntry:
		return x.RunEval
	case *MultiNodeEntry:
		return x.RunEval
	case *AgenticSingleNodeEntry:
		return x.RunEval != nil && *x.RunEval
	case *AgenticMultiNodeEntry:
		return x.RunEval != nil && *x.RunEval
	}
	return false
}

// SeqLen is an input/output length pair.
type SeqLen struct{ ISL, OSL int }

// The sequence lengths with short names.
var (
	SeqLen1k1k = SeqLen{1024, 1024}
	SeqLen1k8k = SeqLen{1024, 8192}
	SeqLen8k1k = SeqLen{8192, 1024}
)

// SeqLenNames lists the short names of a format in their canonical order.
// Today's format dropped 1k8k (its configs have no such scenario), so
// there 1024/8192 is named 1024_8192 like any other length.
func SeqLenNames(f config.Format) []string {
	if f == config.FormatFeb2026 {
		return []string{"1k1k", "1k8k", "8k1k"}
	}
	return []string{"1k1k", "8k1k"}
}

// AllSeqLenNames is every short name of either format.
func AllSeqLenNames() []string { return []string{"1k1k", "1k8k", "8k1k"} }

// ParseSeqLen maps a short name of a format to its lengths.
func ParseSeqLen(f config.Format, name string) (SeqLen, bool) {
	if !slices.Contains(SeqLenNames(f), name) {
		return SeqLen{}, false
	}
	switch name {
	case "1k1k":
		return SeqLen1k1k, true
	case "1k8k":
		return SeqLen1k8k, true
	}
	return SeqLen8k1k, true
}

// Name is the short name of the lengths in a format, or "<isl>_<osl>".
func (s SeqLen) Name(f config.Format) string {
	for _, n := range SeqLenNames(f) {
		if sl, _ := ParseSeqLen(f, n); sl == s {
			return n
		}
	}
	return strconv.Itoa(s.ISL) + "_" + strconv.Itoa(s.OSL)
}

// maxModelLen leaves room for the chat template and special tokens.
func maxModelLen(f config.Format, isl, osl int) int {
	if f == config.FormatFeb2026 {
		return isl + osl + 200
	}
	return isl + osl + 256
}

func expName(f config.Format, prefix string, s SeqLen) string { return prefix + "_" + s.Name(f) }

// ExpandConc lists a range of concurrencies: start, start*step, ... and
// always end itself (the last step is clipped to end). step must be >= 2 and
// 1 <= start <= end.
func ExpandConc(start, end, step int) []int {
	var out []int
	for c := start; c <= end; {
		out = append(out, c)
		if c == end {
			break
		}
		if c > end/step { // c*step would pass end (and cannot overflow)
			c = end
		} else {
			c *= step
		}
	}
	return out
}

// concValues lists a search-space point's concurrencies.
func concValues(s config.SearchSpace, step int) []int {
	if len(s.ConcList) > 0 {
		return slices.Clone(s.ConcList)
	}
	if s.ConcStart == nil || s.ConcEnd == nil {
		return nil
	}
	return ExpandConc(*s.ConcStart, *s.ConcEnd, step)
}

// OptionError is a bad combination of options: a usage error.
type OptionError struct{ Msg string }

func (e *OptionError) Error() string { return e.Msg }

func optErr(format string, args ...any) error {
	return &OptionError{Msg: fmt.Sprintf(format, args...)}
}

func positive(name string, v *int) error {
	if v != nil && *v < 1 {
		return optErr("%s must be a positive integer, got %d", name, *v)
	}
	return nil
}

// nodeFilter returns the nodes of a runner label whose name contains
// filter.
func nodeFilter(r *config.Runners, runnerType, filter string) []string {
	var out []string
	for _, n := range r.Nodes[runnerType] {
		if strings.Contains(n, filter) {
			out = append(out, n)
		}
	}
	return out
}

func hasPrefix(key string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// selected applies the filters common to full-sweep and
// runner-model-sweep. The model-prefix filter matches the start of the
// config key, as the original does.
func selected(e *config.Entry, prefixes, precisions, frameworks []string) bool {
	if len(prefixes) > 0 && !hasPrefix(e.Key, prefixes) {
		return false
	}
	if len(precisions) > 0 && !slices.Contains(precisions, e.Precision) {
		return false
	}
	if len(frameworks) > 0 && !slices.Contains(frameworks, e.Framework) {
		return false
	}
	return true
}

// worker copies a config worker into a job. Today's format fills in
// pp, dcp-size and pcp-size.
func worker(f config.Format, w *config.Worker) Worker {
	out := Worker{NumWorker: w.NumWorker, TP: w.TP, EP: w.EP, DPAttn: w.DPAttn,
		AdditionalSettings: slices.Clone(w.AdditionalSettings), settingsWritten: w.AdditionalSettings != nil}
	if out.AdditionalSettings == nil {
		out.AdditionalSettings = []string{}
	}
	if f == config.FormatToday {
		out.PP, out.DCPSize, out.PCPSize = sizep(w.PP), sizep(w.DCPSize), sizep(w.PCPSize)
		if w.Hardware != nil {
			out.Hardware = *w.Hardware
		}
	}
	return out
}

func sizep(p *int) *int {
	v := config.Size(p)
	return &v
}

func boolp(b bool) *bool { return &b }

// router and p2pTransfer resolve the optional component metadata from the
// scope the config declares it at (the point's, else the config's).
func router(e *config.Entry, s config.SearchSpace) *config.Component {
	if s.Router != nil {
		c := *s.Router
		return &c
	}
	if e.Router != nil {
		c := *e.Router
		return &c
	}
	return nil
}

func p2pTransfer(e *config.Entry, s config.SearchSpace) string {
	if s.KVP2PTransfer != nil {
		return *s.KVP2PTransfer
	}
	if e.KVP2PTransfer != nil {
		return *e.KVP2PTransfer
	}
	return ""
}

func singleEntry(e *config.Entry, runner string, sl SeqLen, s config.SearchSpace, conc int) *SingleNodeEntry {
	ep := 1
	if s.EP != nil {
		ep = *s.EP
	}
	dpAttn := false
	if s.DPAttn != nil {
		dpAttn = *s.DPAttn
	}
	out := &SingleNodeEntry{
		ConfigKey: e.Key, Image: e.Image, Model: e.Model, ModelPrefix: e.ModelPrefix, Precision: e.Precision,
		Framework: e.Framework, Runner: runner, ISL: sl.ISL, OSL: sl.OSL, TP: s.TP, Conc: conc,
		MaxModelLen: maxModelLen(e.Format, sl.ISL, sl.OSL), EP: ep, DPAttn: dpAttn, SpecDecoding: s.Spec(),
		ExpName: expName(e.Format, e.ModelPrefix, sl), Disagg: e.Disagg,
	}
	if e.Format == config.FormatToday {
		out.PP, out.DCPSize, out.PCPSize = sizep(s.PP), sizep(s.DCPSize), sizep(s.PCPSize)
		out.Router = router(e, s)
	}
	return out
}

func multiEntry(e *config.Entry, runner string, sl SeqLen, s config.SearchSpace, conc []int) *MultiNodeEntry {
	out := &MultiNodeEntry{
		ConfigKey: e.Key, Image: e.Image, Model: e.Model, ModelPrefix: e.ModelPrefix, Precision: e.Precision,
		Framework: e.Framework, Runner: runner, ISL: sl.ISL, OSL: sl.OSL, SpecDecoding: s.Spec(),
		Prefill: worker(e.Format, s.Prefill), Decode: worker(e.Format, s.Decode), Conc: conc,
		MaxModelLen: maxModelLen(e.Format, sl.ISL, sl.OSL), ExpName: expName(e.Format, e.ModelPrefix, sl), Disagg: e.Disagg,
	}
	if e.Format == config.FormatToday {
		out.Router = router(e, s)
		out.KVP2PTransfer = p2pTransfer(e, s)
	}
	return out
}
