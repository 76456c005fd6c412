// Package schemas holds the JSON Schema files that are the contract between the
// stages of the pipeline, and validates decoded documents against them.
//
// A document is validated in its generic decoded form: map[string]any,
// []any, string, bool, nil and numbers (int64, float64 or json.Number).
// Violations come back as a list, each anchored at a JSON pointer into the
// document, so that callers that know where a value came from (a YAML line,
// a file name) can say so.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

//go:embed *.schema.json
var files embed.FS

// Kind names one schema. The file behind kind K is K.schema.json.
type Kind string

// The kinds of document with a schema.
const (
	MasterConfig          Kind = "master-config"         // today's format (scenarios)
	MasterConfigFeb2026   Kind = "master-config-feb2026" // the Feb-2026 format (seq-len-configs)
	Runners               Kind = "runners"               // today's format (labels, hardware)
	RunnersFeb2026        Kind = "runners-feb2026"       // the Feb-2026 format (label -> nodes)
	MatrixEntrySingleNode Kind = "matrix-entry-single-node"
	MatrixEntryMultiNode  Kind = "matrix-entry-multi-node"
	// Agentic-coding jobs (today's format).
	MatrixEntryAgenticSingleNode Kind = "matrix-entry-agentic-single-node"
	MatrixEntryAgenticMultiNode  Kind = "matrix-entry-agentic-multi-node"
	Matrix                       Kind = "matrix"
	RawResult                    Kind = "raw-result"
	ProcessedResult              Kind = "processed-result"
	ProcessedResults             Kind = "processed-results"
	EvalResults                  Kind = "eval-results"
	RunStats                     Kind = "run-stats"
	Changelog                    Kind = "changelog"
	ChangelogMatrix              Kind = "changelog-matrix"
	PowerValidation              Kind = "power-validation"
	PowerWindow                  Kind = "power-window"
	EvalThresholds               Kind = "eval-thresholds"

	// loadgen replay: the traces it reads and the AIPerf-format artifacts
	// it writes.
	WekaTrace           Kind = "weka-trace"
	AIPerfRecord        Kind = "aiperf-profile-record"
	AIPerfProfileExport Kind = "aiperf-profile-export"
	AIPerfServerMetrics Kind = "aiperf-server-metrics"

	// AgenticResult is what resultproc agentic (upstream's
	// process_agentic_result.py) writes for an agentic-coding job; collect
	// puts it into agg_<prefix>.json beside the ProcessedResult ones.
	AgenticResult Kind = "agentic-result"
)

const baseURL = "https://inferencex.dev/schemas/"

// Kinds lists every embedded schema, sorted.
func Kinds() []Kind {
	entries, err := fs.Glob(files, "*.schema.json")
	if err != nil {
		return nil
	}
	kinds := make([]Kind, 0, len(entries))
	for _, e := range entries {
		kinds = append(kinds, Kind(strings.TrimSuffix(e, ".schema.json")))
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	return kinds
}

// Source returns the schema file of a kind.
func Source(k Kind) ([]byte, error) {
	b, err := files.ReadFile(string(k) + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("schemas: no schema of kind %q", k)
	}
	return b, nil
}

// Violation is one way in which a document breaks its schema.
type Violation struct {
	// Pointer is the RFC 6901 JSON pointer of the offending value ("" is the
	// whole document). For a missing key it names the key that should be
	// there, so it may point at nothing.
	Pointer string
	// Missing is true when the value at Pointer is required but absent.
	Missing bool
	// AtKey is true when the key at Pointer is itself the problem (an
	// unknown key, a key that breaks a naming rule), not its value.
	AtKey bool
	// Message says what is wrong and, where it helps, what was expected.
	Message string
}

// Error is returned by Validate when a document breaks its schema.
type Error struct {
	Kind       Kind
	Violations []Violation
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "document does not match schema %s", e.Kind)
	for _, v := range e.Violations {
		p := v.Pointer
		if p == "" {
			p = "/"
		}
		fmt.Fprintf(&b, "\n  %s: %s", p, v.Message)
	}
	return b.String()
}

// Validator validates documents against the embedded schemas. A schema is
// compiled the first time a document of its kind is validated; a Validator
// is safe for concurrent use.
type Validator struct {
	mu       sync.RWMutex
	compiler *jsonschema.Compiler
	compiled map[Kind]*jsonschema.Schema
	fast     map[Kind]*fastSchema // nil where the schema has no fast path
	raw      map[string]any       // schema file URL -> decoded schema, for x-messages
}

// New loads every embedded schema; each is compiled when first used.
func New() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	v := &Validator{compiler: c, compiled: map[Kind]*jsonschema.Schema{}, fast: map[Kind]*fastSchema{}, raw: map[string]any{}}
	for _, k := range Kinds() {
		src, err := Source(k)
		if err != nil {
			return nil, err
		}
		url := baseURL + string(k) + ".schema.json"
		if err := c.AddResource(url, bytes.NewReader(src)); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", k, err)
		}
		var doc any
		if err := json.Unmarshal(src, &doc); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", k, err)
		}
		v.raw[url] = doc
	}
	return v, nil
}

// fastFor returns the fast checker of a kind (nil when the kind has none),
// compiling it on first use.
func (v *Validator) fastFor(k Kind) (*fastSchema, error) {
	v.mu.RLock()
	fs, ok := v.fast[k]
	v.mu.RUnlock()
	if ok {
		return fs, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if fs, ok := v.fast[k]; ok {
		return fs, nil
	}
	url := baseURL + string(k) + ".schema.json"
	if _, ok := v.raw[url]; !ok {
		return nil, fmt.Errorf("schemas: no schema of kind %q", k)
	}
	fs, err := (&fastCompiler{raw: v.raw, done: map[string]*fastSchema{}}).compileURL(url)
	if err != nil {
		fs = nil // the library alone validates this kind
	}
	v.fast[k] = fs
	return fs, nil
}

// library returns the jsonschema/v5 schema of a kind, compiling it on first
// use: with a fast checker that is only when a document fails, since the
// library's violations are what the messages come from.
func (v *Validator) library(k Kind) (*jsonschema.Schema, error) {
	v.mu.RLock()
	s, ok := v.compiled[k]
	v.mu.RUnlock()
	if ok {
		return s, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.compiled[k]; ok {
		return s, nil
	}
	url := baseURL + string(k) + ".schema.json"
	if _, ok := v.raw[url]; !ok {
		return nil, fmt.Errorf("schemas: no schema of kind %q", k)
	}
	s, err := v.compiler.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schemas: compiling %s: %w", k, err)
	}
	v.compiled[k] = s
	return s, nil
}

// schema returns both (for tests).
func (v *Validator) schema(k Kind) (*jsonschema.Schema, *fastSchema, error) {
	s, err := v.library(k)
	if err != nil {
		return nil, nil, err
	}
	fs, err := v.fastFor(k)
	return s, fs, err
}

// Validate checks a generic decoded document against the schema of kind k.
// It returns nil, an *Error listing every violation, or another error when
// the document holds values that JSON cannot (a Go struct, say).
func (v *Validator) Validate(k Kind, doc any) error {
	fs, err := v.fastFor(k)
	if err != nil {
		return err
	}
	if fs != nil {
		if valid, known := fs.valid(doc); valid && known {
			return nil
		}
	}
	s, err := v.library(k)
	if err != nil {
		return err
	}
	err = s.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("schemas: validating %s: %w", k, err)
	}
	out := &Error{Kind: k}
	v.collect(ve, doc, &out.Violations)
	out.Violations = sortViolations(out.Violations)
	return out
}

// ValidateItems validates each item against the schema of its kind
// (kindOf(i)), spreading the items over up to workers goroutines.
// Violations carry pointers into the whole list ("/7/tp"), as if the list
// had been validated as one document.
func (v *Validator) ValidateItems(items []any, kindOf func(i int) Kind, workers int) error {
	if workers < 1 {
		workers = 1
	}
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	next := 0
	var mu sync.Mutex
	for range min(workers, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next += 32
				mu.Unlock()
				if i >= len(items) {
					return
				}
				for j := i; j < min(i+32, len(items)); j++ {
					errs[j] = v.Validate(kindOf(j), items[j])
				}
			}
		}()
	}
	wg.Wait()
	out := &Error{}
	for i, err := range errs {
		if err == nil {
			continue
		}
		var se *Error
		if !errors.As(err, &se) {
			return fmt.Errorf("item %d: %w", i, err)
		}
		if out.Kind == "" {
			out.Kind = se.Kind
		}
		for _, vi := range se.Violations {
			vi.Pointer = "/" + strconv.Itoa(i) + vi.Pointer
			out.Violations = append(out.Violations, vi)
		}
	}
	if len(out.Violations) > 0 {
		return out
	}
	return nil
}

// ValidateProperties validates a document of an object kind whose schema
// constrains each property on its own (propertyNames, additionalProperties:
// no required keys, no property counts), such as MasterConfig, spreading the
// properties over up to workers goroutines.
func (v *Validator) ValidateProperties(k Kind, obj map[string]any, workers int) error {
	if workers < 1 {
		workers = 1
	}
	keys := make([]string, 0, len(obj))
	for key := range obj {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	parts := make([]map[string]any, min(workers, max(len(keys), 1)))
	for i := range parts {
		parts[i] = map[string]any{}
	}
	for i, key := range keys {
		parts[i%len(parts)][key] = obj[key]
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = v.Validate(k, parts[i])
		}()
	}
	wg.Wait()
	out := &Error{Kind: k}
	for _, err := range errs {
		if err == nil {
			continue
		}
		var se *Error
		if !errors.As(err, &se) {
			return err
		}
		out.Violations = append(out.Violations, se.Violations...)
	}
	if len(out.Violations) > 0 {
		out.Violations = sortViolations(out.Violations)
		return out
	}
	return nil
}

// ValidateJSON decodes data (numbers kept exact) and validates it.
func (v *Validator) ValidateJSON(k Kind, data []byte) error {
	doc, err := DecodeJSON(data)
	if err != nil {
		return err
	}
	return v.Validate(k, doc)
}

// ValidateValue validates any Go value by way of its JSON encoding. Tools use
// it on what they are about to write.
func (v *Validator) ValidateValue(k Kind, val any) error {
	data, err := json.Marshal(val)
	if err != nil {
		return fmt.Errorf("schemas: encoding %s document: %w", k, err)
	}
	return v.ValidateJSON(k, data)
}

// DecodeJSON decodes one JSON document into generic values, keeping numbers
// as json.Number so that integers stay exact. Trailing data is an error.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("invalid JSON: more than one value")
	}
	return doc, nil
}

// collect flattens the library's error tree into violations, preferring a
// schema's own x-messages wording where it gives one.
func (v *Validator) collect(ve *jsonschema.ValidationError, doc any, out *[]Violation) {
	if msg, ok := v.customMessage(ve.AbsoluteKeywordLocation); ok {
		*out = append(*out, Violation{Pointer: libPointer(ve.InstanceLocation), Message: msg, AtKey: isPropertyNameCheck(ve.KeywordLocation)})
		return
	}
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			v.collect(c, doc, out)
		}
		return
	}
	*out = append(*out, translate(ve, v.siblingProperties(ve.AbsoluteKeywordLocation), doc)...)
}

// isPropertyNameCheck tells whether a failed keyword sits under
// propertyNames, where the instance is a key rather than a value.
func isPropertyNameCheck(keywordLoc string) bool {
	return strings.Contains(keywordLoc, "/propertyNames/")
}

// schemaAt resolves an absolute keyword location to the raw schema value at
// its parent (the schema object holding the keyword) and the keyword.
func (v *Validator) schemaAt(absLoc string) (parent map[string]any, keyword string, ok bool) {
	url, frag, found := strings.Cut(absLoc, "#")
	if !found {
		return nil, "", false
	}
	node, ok := v.raw[url]
	if !ok {
		return nil, "", false
	}
	toks := splitPointer(libPointer(frag))
	if len(toks) == 0 {
		return nil, "", false
	}
	keyword = toks[len(toks)-1]
	for _, t := range toks[:len(toks)-1] {
		switch n := node.(type) {
		case map[string]any:
			node, ok = n[t]
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(n) {
				return nil, "", false
			}
			node, ok = n[i], true
		default:
			return nil, "", false
		}
		if !ok {
			return nil, "", false
		}
	}
	parent, ok = node.(map[string]any)
	return parent, keyword, ok
}

func (v *Validator) customMessage(absLoc string) (string, bool) {
	parent, kw, ok := v.schemaAt(absLoc)
	if !ok {
		return "", false
	}
	msgs, ok := parent["x-messages"].(map[string]any)
	if !ok {
		return "", false
	}
	msg, ok := msgs[kw].(string)
	return msg, ok
}

// siblingProperties lists the keys a schema object allows, for the message
// about an unknown key.
func (v *Validator) siblingProperties(absLoc string) []string {
	parent, kw, ok := v.schemaAt(absLoc)
	if !ok || kw != "additionalProperties" {
		return nil
	}
	props, _ := parent["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// translate rewords one leaf error of the library.
func translate(ve *jsonschema.ValidationError, allowed []string, doc any) []Violation {
	loc := libPointer(ve.InstanceLocation)
	kw := lastToken(libPointer(ve.KeywordLocation))
	msg := ve.Message
	switch {
	case kw == "required" && strings.HasPrefix(msg, "missing properties: "):
		var out []Violation
		for _, name := range quotedNames(strings.TrimPrefix(msg, "missing properties: ")) {
			out = append(out, Violation{Pointer: loc + "/" + escapeToken(name), Missing: true, Message: "required key is missing"})
		}
		return out
	case kw == "additionalProperties" && strings.HasPrefix(msg, "additionalProperties "):
		var out []Violation
		names := quotedNames(strings.TrimSuffix(strings.TrimPrefix(msg, "additionalProperties "), " not allowed"))
		m := "unknown key"
		if len(allowed) > 0 {
			m += " (expected one of: " + strings.Join(allowed, ", ") + ")"
		}
		for _, name := range names {
			out = append(out, Violation{Pointer: loc + "/" + escapeToken(name), AtKey: true, Message: m})
		}
		return out
	case kw == "type":
		expected, _, _ := strings.Cut(strings.TrimPrefix(msg, "expected "), ", but got ")
		return []Violation{{Pointer: loc, Message: fmt.Sprintf("expected %s, got %s", expected, Describe(lookup(doc, loc)))}}
	case kw == "enum" || kw == "const":
		m := strings.Replace(msg, "value must be", "must be", 1)
		return []Violation{{Pointer: loc, Message: fmt.Sprintf("%s, got %s", m, Describe(lookup(doc, loc)))}}
	case kw == "minItems":
		return []Violation{{Pointer: loc, Message: "must not be empty"}}
	case kw == "minLength":
		return []Violation{{Pointer: loc, Message: "must not be empty"}}
	case kw == "minimum":
		return []Violation{{Pointer: loc, Message: strings.Replace(msg, " but found ", ", got ", 1)}}
	case kw == "uniqueItems":
		return []Violation{{Pointer: loc, Message: "must not list the same value twice (" + strings.TrimPrefix(msg, "items at ") + ")"}}
	case strings.Contains(ve.KeywordLocation, "/dependentRequired/"):
		// "property "b" is required, if "a" property exists"
		names := quotedNames(strings.Replace(strings.TrimSuffix(strings.TrimPrefix(msg, "property "), " property exists"), " is required, if ", ", ", 1))
		if len(names) == 2 {
			return []Violation{{Pointer: loc + "/" + escapeToken(names[0]), Missing: true, Message: fmt.Sprintf("required when %s is given", names[1])}}
		}
	}
	return []Violation{{Pointer: loc, Message: msg, AtKey: isPropertyNameCheck(ve.KeywordLocation)}}
}

// Describe renders a value in a message: its JSON type and, for scalars,
// the value itself (strings cut at 40 bytes).
func Describe(val any) string {
	switch x := val.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + x.String()
	case float64, float32:
		return fmt.Sprintf("number %v", x)
	case int, int64, int32, uint64:
		return fmt.Sprintf("integer %v", x)
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", val)
}

func lookup(doc any, ptr string) any {
	node := doc
	for _, t := range splitPointer(ptr) {
		switch n := node.(type) {
		case map[string]any:
			node = n[t]
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			node = n[i]
		default:
			return nil
		}
	}
	return node
}

// quotedNames parses the library's lists of single-quoted names
// ('a', 'b'), whose quotes are Go escapes with ' in place of ".
func quotedNames(s string) []string {
	var names []string
	for s = strings.TrimSpace(s); s != ""; {
		if s[0] != '\'' {
			return append(names, s)
		}
		end := 1
		for end < len(s) && s[end] != '\'' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(s) {
			return append(names, s)
		}
		inner := strings.ReplaceAll(s[1:end], `\'`, `'`)
		name, err := strconv.Unquote(`"` + strings.ReplaceAll(inner, `"`, `\"`) + `"`)
		if err != nil {
			name = inner
		}
		names = append(names, name)
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s[end+1:]), ","))
	}
	return names
}

// libPointer turns the library's locations, whose tokens are also URL path
// escaped, into plain RFC 6901 pointers.
func libPointer(p string) string {
	if p == "" {
		return ""
	}
	toks := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range toks {
		if u, err := url.PathUnescape(t); err == nil {
			toks[i] = u
		}
	}
	return "/" + strings.Join(toks, "/")
}

// splitPointer splits an RFC 6901 pointer ("/a/b~1c") into unescaped tokens.
func splitPointer(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}

func lastToken(p string) string {
	toks := splitPointer(p)
	if len(toks) == 0 {
		return ""
	}
	return toks[len(toks)-1]
}

func escapeToken(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}

// sortViolations orders violations by pointer (array indexes numerically)
// so that messages come out in a stable order, and drops exact duplicates.
func sortViolations(vs []Violation) []Violation {
	sort.SliceStable(vs, func(i, j int) bool { return comparePointers(vs[i].Pointer, vs[j].Pointer) < 0 })
	out := vs[:0]
	for i, v := range vs {
		if i > 0 && v == vs[i-1] {
			continue
		}
		out = append(out, v)
	}
	return out
}

func comparePointers(a, b string) int {
	ta, tb := splitPointer(a), splitPointer(b)
	for i := 0; i < len(ta) && i < len(tb); i++ {
		if ta[i] == tb[i] {
			continue
		}
		ia, ea := strconv.Atoi(ta[i])
		ib, eb := strconv.Atoi(tb[i])
		if ea == nil && eb == nil {
			return ia - ib
		}
		return strings.Compare(ta[i], tb[i])
	}
	return len(ta) - len(tb)
}
