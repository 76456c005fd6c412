package agentic

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// Record is one profiling row of profile_export.jsonl, kept as decoded
// (json.Number for numbers) so that the aggregation can apply Python's
// rules to whatever the row holds.
type Record struct {
	// Line is the row's line number in its file, for messages.
	Line int
	// Meta holds the row's "metadata" values that the aggregation reads
	// (metaKeys); nil when the row has no metadata.
	Meta map[string]any
	// metrics holds the values of the metrics the aggregation reads
	// (metricKeys): metrics[k] if it is not an object, else its "value".
	metrics [len(metricKeys)]any
	// notObject is the type of a "metrics" value that is no object
	// (upstream needs one, but only fails once it aggregates); "" when
	// it is one or missing.
	notObject string
}

// metaKeys are the metadata fields the aggregation reads.
var metaKeys = [...]string{"benchmark_phase", "request_start_ns", "request_end_ns", "conversation_id", "turn_index"}

// metricKeys are the metrics the aggregation reads.
var metricKeys = [...]string{"time_to_first_token", "request_latency", "inter_token_latency",
	"full_response_inter_token_latency", "input_sequence_length", "output_sequence_length"}

// Accounting is upstream's request_accounting block.
type Accounting struct {
	Total, Profiled, Dropped, WarmupDropped, ErrorDropped int64
	// Categories counts the error rows per category, in first-seen order.
	Categories *pyjson.Object
}

// Object is the block as upstream writes it.
func (a *Accounting) Object() *pyjson.Object {
	o := &pyjson.Object{}
	o.Set("records_total", a.Total)
	o.Set("records_profiled", a.Profiled)
	o.Set("records_dropped_total", a.Dropped)
	o.Set("records_warmup_dropped", a.WarmupDropped)
	o.Set("records_error_dropped", a.ErrorDropped)
	o.Set("error_categories", a.Categories)
	return o
}

// LineError is a row of a JSON-lines file that could not be read.
type LineError struct {
	Path string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ReadRecords is upstream's load_records_with_accounting over a file.
func ReadRecords(path string) ([]Record, *Accounting, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return DecodeRecords(path, f)
}

// DecodeRecords reads profile_export.jsonl from r (path names it in
// messages): every non-blank line is one JSON object; rows of a phase
// other than "profiling" (a missing phase counts as profiling: older
// artifacts had none) and rows with an error are counted and dropped.
func DecodeRecords(path string, r io.Reader) ([]Record, *Accounting, error) {
	acc := &Accounting{Categories: &pyjson.Object{}}
	var out []Record
	sc := newLineScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if !isBlank(text) {
			rec, drop, err := decodeRow(text, acc)
			if err != nil {
				return nil, nil, &LineError{Path: path, Line: line, Err: err}
			}
			if !drop {
				rec.Line = line
				out = append(out, rec)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	acc.Profiled = int64(len(out))
	acc.Dropped = acc.Total - acc.Profiled
	return out, acc, nil
}

// newLineScanner reads r line by line as Python iterates a text file,
// with room for lines of up to 1 GiB (one row holds a whole
// conversation).
func newLineScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<30)
	sc.Split(splitLines)
	return sc
}

// splitLines splits as Python's text files iterate: a line ends at \n,
// \r\n or a lone \r.
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil // a \r at the end of the buffer: is \n next?
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// isBlank is true for a line that str.strip() empties.
func isBlank(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if !pynum.IsSpace(r) {
			return false
		}
		b = b[n:]
	}
	return true
}

// decodeRow decodes one row, counts it and tells whether it is dropped.
func decodeRow(text []byte, acc *Accounting) (Record, bool, error) {
	text = []byte(pynum.Strip(string(text)))
	if !json.Valid(text) {
		var probe any
		err := json.Unmarshal(text, &probe)
		return Record{}, false, fmt.Errorf("invalid JSON: %w", err)
	}
	var top [3][]byte // metadata, error, metrics
	isObj, err := walkObject(text, func(k string, v []byte) {
		switch k {
		case "metadata":
			top[0] = v
		case "error":
			top[1] = v
		case "metrics":
			top[2] = v
		}
	})
	if err != nil {
		return Record{}, false, err
	}
	if !isObj {
		return Record{}, false, fmt.Errorf("a record must be a JSON object, not %s", diag.JSONKind(text))
	}
	acc.Total++
	var rec Record
	if raw := top[0]; raw != nil {
		m, err := decodeFields(raw, metaKeys[:])
		if err != nil {
			return Record{}, false, fmt.Errorf("metadata: %w", err)
		}
		if m == nil {
			return Record{}, false, fmt.Errorf("metadata must be an object, not %s", diag.JSONKind(raw))
		}
		rec.Meta = m
	}
	phase, hasPhase := rec.Meta["benchmark_phase"]
	warmup := hasPhase && phase != nil && phase != "profiling"
	var errVal any
	if raw := top[1]; raw != nil && !bytes.Equal(raw, []byte("null")) {
		v, err := orderedValue(raw)
		if err != nil {
			return Record{}, false, fmt.Errorf("error: %w", err)
		}
		errVal = v
	}
	if warmup {
		acc.WarmupDropped++
	}
	failed := pyvalue.Truthy(errVal)
	if failed {
		acc.ErrorDropped++
		cat, err := errorCategory(errVal)
		if err != nil {
			return Record{}, false, err
		}
		n, _ := acc.Categories.Get(cat)
		c, _ := n.(int64)
		acc.Categories.Set(cat, c+1)
	}
	if failed || warmup {
		return Record{}, true, nil
	}
	if raw := top[2]; raw != nil {
		if err := rec.setMetrics(raw); err != nil {
			return Record{}, false, fmt.Errorf("metrics: %w", err)
		}
	}
	return rec, false, nil
}

// decodeAny decodes one value that the caller has already checked is
// valid JSON on its own.
func decodeAny(raw json.RawMessage) (any, error) {
	// Scalars, most of what a record holds, need no decoder of their own;
	// raw is a value the outer decoding has already checked.
	if t := bytes.TrimSpace(raw); len(t) > 0 {
		switch c := t[0]; {
		case c == '-' || (c >= '0' && c <= '9'):
			return json.Number(t), nil
		case c == 'n' && string(t) == "null":
			return nil, nil
		case c == 't' && string(t) == "true":
			return true, nil
		case c == 'f' && string(t) == "false":
			return false, nil
		case c == '"':
			return unquote(t)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// isObject tells whether an encoded value is an object.
func isObject(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{'
}

// decodeFields decodes the given keys of an object (a missing key and a
// null are both nil, as dict.get sees them); nil, nil when raw is not an
// object. Only the fields read are decoded: the rows are many.
func decodeFields(raw []byte, keys []string) (map[string]any, error) {
	found := make([][]byte, len(keys))
	isObj, err := walkObject(raw, func(k string, v []byte) {
		for i, want := range keys {
			if k == want {
				found[i] = v
			}
		}
	})
	if err != nil || !isObj {
		return nil, err
	}
	out := make(map[string]any, len(keys))
	for i, k := range keys {
		if found[i] != nil {
			v, err := decodeAny(found[i])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = v
		}
	}
	return out, nil
}

// setMetrics keeps the metric values the aggregation reads.
func (r *Record) setMetrics(raw json.RawMessage) error {
	if !isObject(raw) {
		v, err := decodeAny(raw)
		if err != nil {
			return err
		}
		if v == nil {
			r.notObject = "NoneType"
		} else {
			r.notObject = pyvalue.TypeName(v)
		}
		return nil
	}
	var found [len(metricKeys)][]byte
	if _, err := walkObject(raw, func(k string, v []byte) {
		for i, want := range metricKeys {
			if k == want {
				found[i] = v
			}
		}
	}); err != nil {
		return err
	}
	for i, k := range metricKeys {
		fr := found[i]
		if fr == nil {
			continue
		}
		if isObject(fr) {
			m, err := decodeFields(fr, []string{"value"})
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			r.metrics[i] = m["value"]
			continue
		}
		v, err := decodeAny(fr)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		r.metrics[i] = v
	}
	return nil
}

// errorCategory is upstream's _error_category: the first of an error
// object's type, error_type, code, class or status that is set, else the
// text before the first colon of its message's first line (120
// characters at most).
func errorCategory(v any) (string, error) {
	var message any = v
	if o, ok := v.(*pyjson.Object); ok {
		for _, key := range [...]string{"type", "error_type", "code", "class", "status"} {
			val, _ := o.Get(key)
			if val != nil && val != "" {
				return pyStr(val), nil
			}
		}
		msg, _ := o.Get("message")
		if !pyvalue.Truthy(msg) {
			msg, _ = o.Get("error")
		}
		message = msg
	}
	if !pyvalue.Truthy(message) {
		return "unknown", nil
	}
	text := pynum.Strip(pyStr(message))
	if text == "" {
		// Upstream takes the first of no lines here and stops with an
		// IndexError.
		return "", fmt.Errorf("error: the message %s has no text to categorise", pyvalue.Repr(message))
	}
	first := firstLine(text)
	head, _, _ := strings.Cut(first, ":")
	if head == "" {
		head = "unknown"
	}
	return pyTruncate(head, 120), nil
}

// firstLine is str.splitlines()[0] of a non-empty text.
func firstLine(s string) string {
	if i := strings.IndexFunc(s, isLineBreak); i >= 0 {
		return s[:i]
	}
	return s
}

// isLineBreak is what str.splitlines splits at.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// pyStr is Python's str() of a decoded JSON value.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyvalue.Repr(v)
}

// RecordError is a profiling record whose values the aggregation cannot
// take; the caller names the file.
type RecordError struct {
	Line int
	Err  error
}

func (e *RecordError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }
