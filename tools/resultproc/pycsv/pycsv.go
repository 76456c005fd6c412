// Package pycsv reads CSV exactly as Python's csv module does with its
// default "excel" dialect on a file opened with newline="" (what upstream's
// power scripts use): the same fields for the same bytes, including quoted
// fields across lines, a quote inside an unquoted field, blank lines as
// empty records, Python's field size limit and its errors. Upstream's
// telemetry readers key on this behaviour (a row with a stray quote is one
// field longer or shorter), so our readers use it to give the same verdicts.
package pycsv

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// FieldLimit is Python's default csv.field_size_limit().
const FieldLimit = 131072

// Error is a csv.Error: what Python raises, and on which line.
type Error struct {
	Line int // 1-based physical line where it was raised
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Record is one parsed record and the physical line it ended on.
type Record struct {
	Fields []string
	Line   int
}

// Decode turns bytes into text as Python's UTF-8 decoder does with
// errors="replace": every maximal ill-formed subsequence becomes one
// U+FFFD.
func Decode(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			sb.WriteRune(r)
			i += n
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += maximalSubpart(b[i:])
	}
	return sb.String()
}

// maximalSubpart is how many bytes Python's decoder swallows into one
// replacement character at the start of an invalid sequence: the lead byte
// and as many following bytes as could still begin a valid sequence.
func maximalSubpart(b []byte) int {
	lead := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead == 0xE0:
		need, lo = 2, 0xA0
	case lead >= 0xE1 && lead <= 0xEC, lead == 0xEE, lead == 0xEF:
		need = 2
	case lead == 0xED:
		need, hi = 2, 0x9F
	case lead == 0xF0:
		need, lo = 3, 0x90
	case lead >= 0xF1 && lead <= 0xF3:
		need = 3
	case lead == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		c := b[n]
		if k == 0 {
			if c < lo || c > hi {
				break
			}
		} else if c < 0x80 || c > 0xBF {
			break
		}
		n++
	}
	return n
}

// Lines splits text as Python's text files opened with newline="" do: at
// "\n", "\r" and "\r\n", each line keeping its ending.
func Lines(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			out = append(out, text[start:i+1])
			start = i + 1
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			out = append(out, text[start:i+1])
			start = i + 1
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

type state int

const (
	startRecord state = iota
	startField
	inField
	inQuotedField
	quoteInQuotedField
	eatCRNL
)

// Reader parses one file's lines.
type Reader struct {
	skipInitialSpace bool
	lines            []string
	next             int // index of the next line to read
	state            state
	fields           []string
	field            []rune
	err              *Error
}

// NewReader reads text (already decoded) with the excel dialect; with
// skipInitialSpace, spaces after a delimiter are dropped
// (csv.reader(..., skipinitialspace=True)).
func NewReader(text string, skipInitialSpace bool) *Reader {
	return &Reader{skipInitialSpace: skipInitialSpace, lines: Lines(text)}
}

// LineNum is the number of physical lines read so far (reader.line_num).
func (r *Reader) LineNum() int { return r.next }

// Next returns the next record, or false at the end or on an error (Err
// tells which). A blank line is a record with no fields, as in Python.
func (r *Reader) Next() (Record, bool) {
	if r.err != nil {
		return Record{}, false
	}
	r.fields = nil
	r.field = r.field[:0]
	r.state = startRecord
	for {
		if r.next >= len(r.lines) {
			// End of input: a record cut short is still returned, as
			// Python does in its non-strict mode.
			if len(r.field) > 0 || r.state == inQuotedField {
				r.saveField()
				return Record{Fields: r.fields, Line: r.next}, true
			}
			return Record{}, false
		}
		line := r.lines[r.next]
		r.next++
		for _, c := range line {
			if !r.process(c, false) {
				return Record{}, false
			}
		}
		if !r.process(0, true) {
			return Record{}, false
		}
		if r.state == startRecord {
			fields := r.fields
			if fields == nil {
				fields = []string{}
			}
			return Record{Fields: fields, Line: r.next}, true
		}
	}
}

// Err is the csv.Error that stopped the reader, if any.
func (r *Reader) Err() *Error { return r.err }

func (r *Reader) fail(msg string) bool {
	r.err = &Error{Line: r.next, Msg: msg}
	return false
}

func (r *Reader) saveField() {
	r.fields = append(r.fields, string(r.field))
	r.field = r.field[:0]
}

func (r *Reader) add(c rune) bool {
	if len(r.field) >= FieldLimit {
		return r.fail(fmt.Sprintf("field larger than field limit (%d)", FieldLimit))
	}
	r.field = append(r.field, c)
	return true
}

// process is one step of CPython's parse_process_char for the excel
// dialect (delimiter ",", quote '"', doubled quotes, no escape character,
// not strict); eol marks the end of a physical line.
func (r *Reader) process(c rune, eol bool) bool {
	newline := !eol && (c == '\n' || c == '\r')
	switch r.state {
	case startRecord:
		if eol {
			return true
		}
		if newline {
			r.state = eatCRNL
			return true
		}
		r.state = startField
		fallthrough
	case startField:
		switch {
		case newline || eol:
			r.saveField()
			if eol {
				r.state = startRecord
			} else {
				r.state = eatCRNL
			}
		case c == '"':
			r.state = inQuotedField
		case c == ' ' && r.skipInitialSpace:
		case c == ',':
			r.saveField()
		default:
			if !r.add(c) {
				return false
			}
			r.state = inField
		}
	case inField:
		switch {
		case newline || eol:
			r.saveField()
			if eol {
				r.state = startRecord
			} else {
				r.state = eatCRNL
			}
		case c == ',':
			r.saveField()
			r.state = startField
		default:
			return r.add(c)
		}
	case inQuotedField:
		switch {
		case eol:
		case c == '"':
			r.state = quoteInQuotedField
		default:
			return r.add(c)
		}
	case quoteInQuotedField:
		switch {
		case !eol && c == '"':
			r.state = inQuotedField
			return r.add(c)
		case !eol && c == ',':
			r.saveField()
			r.state = startField
		case newline || eol:
			r.saveField()
			if eol {
				r.state = startRecord
			} else {
				r.state = eatCRNL
			}
		default:
			r.state = inField
			return r.add(c)
		}
	case eatCRNL:
		switch {
		case newline:
		case eol:
			r.state = startRecord
		default:
			return r.fail("new-line character seen in unquoted field - do you need to open the file with newline=''?")
		}
	}
	return true
}

// Dict is one csv.DictReader row: the fields by column name as Python
// builds the dict (a repeated column name keeps its last value; columns
// past the end of a short row are absent, which reads as None).
type Dict struct {
	values map[string]string
	nulls  map[string]bool
	Line   int
}

// Get is row.get(name) or "": Python's (row.get(col) or "").
func (d Dict) Get(name string) string { return d.values[name] }

// Has tells whether the row has a non-None value for name.
func (d Dict) Has(name string) bool { _, ok := d.values[name]; return ok && !d.nulls[name] }

// DictReader is csv.DictReader over a Reader, with the header stripped as
// upstream strips it ([c.strip() for c in reader.fieldnames]).
type DictReader struct {
	r      *Reader
	Header []string // nil when the file has no first row
}

// NewDictReader reads the header row; strip tells how to clean names.
func NewDictReader(r *Reader, strip func(string) string) *DictReader {
	d := &DictReader{r: r}
	if rec, ok := r.Next(); ok {
		d.Header = make([]string, len(rec.Fields))
		for i, f := range rec.Fields {
			d.Header[i] = strip(f)
		}
	}
	return d
}

// Next returns the next non-blank row.
func (d *DictReader) Next() (Dict, bool) {
	for {
		rec, ok := d.r.Next()
		if !ok {
			return Dict{}, false
		}
		if len(rec.Fields) == 0 {
			continue
		}
		row := Dict{values: map[string]string{}, Line: rec.Line}
		for i, name := range d.Header {
			if i < len(rec.Fields) {
				row.values[name] = rec.Fields[i]
				delete(row.nulls, name)
			} else {
				// restval None overwrites, also a name seen earlier.
				row.values[name] = ""
				if row.nulls == nil {
					row.nulls = map[string]bool{}
				}
				row.nulls[name] = true
			}
		}
		return row, true
	}
}

// Err is the csv.Error that stopped the reader, if any.
func (d *DictReader) Err() *Error { return d.r.Err() }
