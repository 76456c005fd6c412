package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/schemas"
)

// DecodeOrdered decodes one JSON document the way Python's json.load does
// for the purpose of writing it back with json.dump: objects keep their key
// order (as *pyjson.Object; a repeated key keeps its first place and its
// last value), integers stay exact (json.Number) and other numbers become
// float64, so that re-encoding with pyjson gives Python's bytes.
func DecodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, positioned(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: more than one value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &pyjson.Object{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %v, not a string", kt)
				}
				val, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				obj.Set(key, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				val, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return PyNumber(t)
	default:
		return t, nil // string, bool, nil
	}
}

// positioned rewords a decoding error with the line and column where the
// document stops being JSON.
func positioned(data []byte, err error) error {
	var probe any
	uerr := json.Unmarshal(data, &probe)
	var se *json.SyntaxError
	if errors.As(uerr, &se) {
		// Offset counts the bytes read, the offending one included.
		end := int(se.Offset) - 1
		if se.Error() == "unexpected end of JSON input" {
			end = len(data)
		}
		line, col := 1, 1
		for _, c := range data[:max(0, min(end, len(data)))] {
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return &SyntaxError{Line: line, Col: col, Msg: se.Error()}
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// SyntaxError is a document that is not JSON, and where it stops being so.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// PyNumber is what Python's json module makes of a JSON number literal: an
// exact integer when it has no fraction or exponent, else a float.
func PyNumber(n json.Number) (any, error) {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return json.Number("0"), nil
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, fmt.Errorf("number %s is out of range", s)
	}
	return f, nil
}

// MarshalIndent encodes v byte for byte as Python's json.dumps(v, indent=2).
func MarshalIndent(v any) ([]byte, error) {
	compact, err := pyjson.Marshal(v)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		return nil, fmt.Errorf("indenting JSON: %w", err)
	}
	return b.Bytes(), nil
}

// Generic turns an ordered value into the plain generic form that schema
// validation takes (map[string]any, []any, json.Number, float64, ...).
func Generic(v any) any {
	switch x := v.(type) {
	case *pyjson.Object:
		m := make(map[string]any, len(x.Keys()))
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			m[k] = Generic(val)
		}
		return m
	case pyjson.Object:
		return Generic(&x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Generic(e)
		}
		return out
	case int:
		return json.Number(strconv.Itoa(x))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	}
	return v
}

// Float reads a number value (json.Number, float64, int) as float64.
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(x.String(), 64)
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// Int reads an integral number value as int64 (Python's int() of it).
func Int(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return i, true
		}
		f, err := strconv.ParseFloat(x.String(), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
			return 0, false
		}
		return int64(f), true
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<62 {
			return 0, false
		}
		return int64(x), true
	case int:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Describe names a value's JSON type (and a scalar's value) for messages.
func Describe(v any) string {
	switch v.(type) {
	case *pyjson.Object, pyjson.Object:
		return "object"
	}
	return schemas.Describe(v)
}
