package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/schemas"
)

// Processed is one processed result (what resultproc writes).
type Processed struct {
	// Path is the file it came from ("" for an element of an aggregate
	// file, whose Source names the file and index).
	Path string
	// Source names where it came from in messages: a path, or
	// "agg.json[3]".
	Source string
	// Doc is the result as read, key order kept, for writing back.
	Doc *pyjson.Object
	// Fields is the same in generic form, for reading values.
	Fields map[string]any
}

// Problem is a file that could not be used, and why.
type Problem struct {
	Path string
	Err  error
}

func (p Problem) String() string { return p.Diagnostics().Error() }

// Diagnostics renders a problem as positioned diagnostics: one per schema
// violation (with its key path), the line and column of a syntax error.
func (p Problem) Diagnostics() diag.List {
	var se *schemas.Error
	if errors.As(p.Err, &se) {
		var l diag.List
		for _, vi := range se.Violations {
			l = append(l, diag.Diagnostic{File: p.Path, Path: diag.PathFromPointer(vi.Pointer), Message: vi.Message})
		}
		return l
	}
	var syn *SyntaxError
	if errors.As(p.Err, &syn) {
		return diag.List{{File: p.Path, Line: syn.Line, Col: syn.Col, Message: "invalid JSON: " + syn.Msg}}
	}
	var dl diag.List
	if errors.As(p.Err, &dl) {
		return dl
	}
	return diag.List{{File: p.Path, Message: p.Err.Error()}}
}

// ParseProcessed decodes and validates one processed result document.
func ParseProcessed(v *schemas.Validator, source string, data []byte) (*Processed, error) {
	doc, err := DecodeOrdered(data)
	if err != nil {
		return nil, err
	}
	return processedFrom(v, source, doc)
}

// AgenticScenario is the scenario_type of an agentic-coding (AgentX)
// result, upstream's process_agentic_result.py output; fixed-seq-len
// results have no scenario_type.
const AgenticScenario = "agentic-coding"

// processedFrom validates a decoded result against its kind's schema:
// AgenticResult when it says scenario_type agentic-coding, else
// ProcessedResult. Upstream's collect_results.py put both into one
// aggregate, and so does collect.
func processedFrom(v *schemas.Validator, source string, doc any) (*Processed, error) {
	obj, ok := doc.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("expected a JSON object (a processed result), got %s", Describe(Generic(doc)))
	}
	gen := Generic(obj).(map[string]any)
	kind := schemas.ProcessedResult
	if gen["scenario_type"] == AgenticScenario {
		kind = schemas.AgenticResult
	}
	if err := v.Validate(kind, gen); err != nil {
		return nil, err
	}
	return &Processed{Source: source, Doc: obj, Fields: gen}, nil
}

// Agentic tells an agentic-coding result (nested request and server
// metrics, no sequence lengths) from a fixed-seq-len one.
func (r *Processed) Agentic() bool { return r.Fields["scenario_type"] == AgenticScenario }

// FixedSeqLen returns the fixed-seq-len results of rs, in order, and how
// many agentic ones it left out: the tools that compare throughput at a
// sequence length (the regression check, the comparison with main) have
// nothing to compare an agentic result with.
func FixedSeqLen(rs []*Processed) (fixed []*Processed, agentic int) {
	fixed = make([]*Processed, 0, len(rs))
	for _, r := range rs {
		if r.Agentic() {
			agentic++
			continue
		}
		fixed = append(fixed, r)
	}
	return fixed, agentic
}

// ReadAggregate reads an aggregate file (agg_<prefix>.json: a list of
// processed results) and validates every element.
func ReadAggregate(v *schemas.Validator, path string) ([]*Processed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := DecodeOrdered(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := v.Validate(schemas.ProcessedResults, Generic(doc)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []*Processed
	for i, e := range doc.([]any) {
		p, err := processedFrom(v, fmt.Sprintf("%s[%d]", path, i), e)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", path, i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// IsProcessedCandidate tells whether a decoded JSON file claims to be a
// processed result: the original summarize took any object with an
// is_multinode key, and so does summarize here; collect takes every file.
func IsProcessedCandidate(doc any) bool {
	obj, ok := doc.(*pyjson.Object)
	if !ok {
		return false
	}
	_, ok = obj.Get("is_multinode")
	return ok
}

// LoadDir reads the JSON files under dir in FindJSON order. accept decides
// from the decoded document whether a file is meant to be a processed
// result (nil: every file is); files it turns down are counted in skipped.
// A file that is meant to be one but is not valid JSON or breaks the schema
// is a Problem; the rest come back in order.
func LoadDir(v *schemas.Validator, dir string, accept func(doc any) bool) (found []*Processed, problems []Problem, skipped int, err error) {
	paths, err := FindJSON(dir)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, Problem{p, err})
			continue
		}
		doc, err := DecodeOrdered(data)
		if err != nil {
			// Even where only some files are meant to be results, a file
			// named .json that does not parse is worth a word.
			problems = append(problems, Problem{p, err})
			continue
		}
		if accept != nil && !accept(doc) {
			skipped++
			continue
		}
		r, err := processedFrom(v, p, doc)
		if err != nil {
			problems = append(problems, Problem{p, err})
			continue
		}
		r.Path = p
		found = append(found, r)
	}
	return found, problems, skipped, nil
}

// Str returns a string field ("" when absent or not a string).
func (r *Processed) Str(key string) string {
	s, _ := r.Fields[key].(string)
	return s
}

// Int returns an integer field.
func (r *Processed) Int(key string) int64 {
	i, _ := Int(r.Fields[key])
	return i
}

// Float returns a number field; ok is false when it is absent or null.
func (r *Processed) Float(key string) (float64, bool) {
	return Float(r.Fields[key])
}

// Bool returns a boolean field.
func (r *Processed) Bool(key string) bool {
	b, _ := r.Fields[key].(bool)
	return b
}

// MultiNode tells a disaggregated multi-node result from a single-node one.
func (r *Processed) MultiNode() bool { return r.Bool("is_multinode") }

// Identity is what makes two results measurements of the same
// configuration: model, hardware, serving stack, precision, speculative
// decoding, sequence lengths, parallelism and concurrency. The image is not
// part of it: comparing two images on one configuration is what a baseline
// check is for.
type Identity string

// identityKeys are the fields of an identity, single-node then multi-node.
var (
	identityCommon = []string{"infmax_model_prefix", "model", "hw", "framework", "precision", "spec_decoding", "isl", "osl", "disagg", "is_multinode"}
	identitySingle = []string{"tp", "pp", "dcp_size", "pcp_size", "ep", "dp_attention"}
	identityMulti  = []string{"prefill_hw", "prefill_tp", "prefill_pp", "prefill_dcp_size", "prefill_pcp_size", "prefill_ep",
		"prefill_dp_attention", "prefill_num_workers", "num_prefill_gpu", "decode_hw", "decode_tp", "decode_pp",
		"decode_dcp_size", "decode_pcp_size", "decode_ep", "decode_dp_attention", "decode_num_workers", "num_decode_gpu"}
)

// identityDefaults are what a result without today's fields (the Feb-2026
// format) means by their absence, so that it has the identity of the same
// configuration in today's format.
var identityDefaults = map[string]any{
	"pp": json.Number("1"), "dcp_size": json.Number("1"), "pcp_size": json.Number("1"),
	"prefill_pp": json.Number("1"), "prefill_dcp_size": json.Number("1"), "prefill_pcp_size": json.Number("1"),
	"decode_pp": json.Number("1"), "decode_dcp_size": json.Number("1"), "decode_pcp_size": json.Number("1"),
	"prefill_hw": "", "decode_hw": "",
}

// identityAgentic replaces the sequence lengths of an agentic result: its
// workload is the trace set, and what tells two of its jobs apart is the KV
// offload.
var identityAgentic = []string{"infmax_model_prefix", "model", "hw", "framework", "precision", "spec_decoding", "disagg",
	"is_multinode", "scenario_type", "kv_offloading", "kv_offload_backend"}

// Identity returns the configuration identity of a result.
func (r *Processed) Identity() Identity {
	keys := append([]string{}, identityCommon...)
	if r.Agentic() {
		keys = append(keys[:0], identityAgentic...)
	}
	if r.MultiNode() {
		keys = append(keys, identityMulti...)
	} else {
		keys = append(keys, identitySingle...)
	}
	keys = append(keys, "conc")
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\x1f')
		}
		b.WriteString(k)
		b.WriteByte('=')
		v, ok := r.Fields[k]
		if !ok {
			v = identityDefaults[k]
		}
		b.WriteString(scalarText(v))
	}
	return Identity(b.String())
}

// sizes writes the pipeline and context parallelism that differs from 1
// (" pp2 dcp2 pcp2"), with prefix before each name.
func (r *Processed) sizes(prefix string) string {
	var b strings.Builder
	for _, k := range []string{"pp", "dcp", "pcp"} {
		key := prefix + k
		if k != "pp" {
			key += "_size"
		}
		if n, ok := Int(r.Fields[key]); ok && n != 1 {
			fmt.Fprintf(&b, " %s%d", k, n)
		}
	}
	return b.String()
}

// Label is a short human-readable name of the configuration, for tables
// and messages: "dsr1 h200 sglang fp8 1k1k tp8 ep1 dpa=false conc=64".
func (r *Processed) Label() string {
	var b strings.Builder
	workload := SeqName(r.Int("isl"), r.Int("osl"))
	if r.Agentic() {
		workload = "agentic"
	}
	fmt.Fprintf(&b, "%s %s %s %s %s", r.Str("infmax_model_prefix"), r.Str("hw"), r.Str("framework"), r.Str("precision"), workload)
	if s := r.Str("spec_decoding"); s != "" && s != "none" {
		fmt.Fprintf(&b, " spec=%s", s)
	}
	if r.MultiNode() {
		hw := func(role string) string {
			if h := r.Str(role + "_hw"); h != "" {
				return " " + h
			}
			return ""
		}
		fmt.Fprintf(&b, " prefill%s %dx(tp%d%s ep%d dpa=%s) %dgpu decode%s %dx(tp%d%s ep%d dpa=%s) %dgpu",
			hw("prefill"), r.Int("prefill_num_workers"), r.Int("prefill_tp"), r.sizes("prefill_"), r.Int("prefill_ep"),
			r.Str("prefill_dp_attention"), r.Int("num_prefill_gpu"),
			hw("decode"), r.Int("decode_num_workers"), r.Int("decode_tp"), r.sizes("decode_"), r.Int("decode_ep"),
			r.Str("decode_dp_attention"), r.Int("num_decode_gpu"))
	} else {
		fmt.Fprintf(&b, " tp%d%s ep%d dpa=%s", r.Int("tp"), r.sizes(""), r.Int("ep"), r.Str("dp_attention"))
	}
	if r.Agentic() {
		kv := r.Str("kv_offloading")
		if be, ok := r.Fields["kv_offload_backend"].(map[string]any); ok {
			if name, ok := be["name"].(string); ok {
				kv += "(" + name + ")"
			}
		}
		fmt.Fprintf(&b, " kv=%s", kv)
	}
	fmt.Fprintf(&b, " conc=%d", r.Int("conc"))
	return b.String()
}

// SeqName is the sequence-length name the project uses: 1k1k, 1k8k, 8k1k,
// or <isl>_<osl>.
func SeqName(isl, osl int64) string {
	switch {
	case isl == 1024 && osl == 1024:
		return "1k1k"
	case isl == 1024 && osl == 8192:
		return "1k8k"
	case isl == 8192 && osl == 1024:
		return "8k1k"
	}
	return fmt.Sprintf("%d_%d", isl, osl)
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case json.Number:
		return x.String()
	case nil:
		return "null"
	case map[string]any:
		// An agentic result's kv_offload_backend ({"name", "version"}).
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s:%s;", strconv.Quote(k), scalarText(x[k]))
		}
		return "{" + b.String() + "}"
	}
	return fmt.Sprint(v)
}

// Duplicates groups results that share an identity; it returns only the
// groups with more than one member, in first-seen order.
func Duplicates(rs []*Processed) [][]*Processed {
	groups := map[Identity][]*Processed{}
	var order []Identity
	for _, r := range rs {
		id := r.Identity()
		if _, ok := groups[id]; !ok {
			order = append(order, id)
		}
		groups[id] = append(groups[id], r)
	}
	var out [][]*Processed
	for _, id := range order {
		if len(groups[id]) > 1 {
			out = append(out, groups[id])
		}
	}
	return out
}

// SortProblems orders problems by path.
func SortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
}

// ErrNoResults is returned when a directory holds no processed result.
var ErrNoResults = errors.New("no processed results found")
