// Package pyjson encodes JSON byte for byte as Python's json.dumps does with
// its defaults (", " and ": " separators, ensure_ascii, floats written as
// Python's repr writes them), so that files and outputs read by the original
// Python tools' users, and compared against them, do not change.
//
// Struct fields are written in declaration order under their json tag names
// (omitempty and "-" are honoured); map keys are sorted. NaN and infinities
// are an error: Python would write NaN and Infinity, which is not JSON.
package pyjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Marshal returns the Python-style JSON encoding of v.
func Marshal(v any) ([]byte, error) {
	e := encoder{fields: fieldCache{}}
	if err := e.encode(reflect.ValueOf(v)); err != nil {
		return nil, err
	}
	return e.b.Bytes(), nil
}

// encoder writes one document; fields remembers the struct layouts it met.
type encoder struct {
	b      bytes.Buffer
	fields fieldCache
}

var numberType = reflect.TypeFor[json.Number]()

func (e *encoder) encode(v reflect.Value) error {
	b := &e.b
	if !v.IsValid() {
		b.WriteString("null")
		return nil
	}
	if v.Type() == numberType {
		s := v.String()
		if !json.Valid([]byte(s)) {
			return fmt.Errorf("pyjson: invalid number %q", s)
		}
		b.WriteString(s)
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("null")
			return nil
		}
		return e.encode(v.Elem())
	case reflect.Bool:
		if v.Bool() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		s, err := FormatFloat(v.Float(), v.Type().Bits())
		if err != nil {
			return err
		}
		b.WriteString(s)
	case reflect.String:
		writeString(b, v.String())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := e.encode(v.Index(i)); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("null")
			return nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("pyjson: map keys must be strings, got %s", v.Type().Key())
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeString(b, k)
			b.WriteString(": ")
			if err := e.encode(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key()))); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case reflect.Struct:
		return e.encodeStruct(v)
	default:
		return fmt.Errorf("pyjson: cannot encode %s", v.Type())
	}
	return nil
}

func (e *encoder) encodeStruct(v reflect.Value) error {
	if o, ok := v.Interface().(Object); ok {
		return e.encodeObject(o)
	}
	b := &e.b
	b.WriteByte('{')
	first := true
	for _, f := range e.fields.of(v.Type()) {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		writeString(b, f.name)
		b.WriteString(": ")
		if err := e.encode(fv); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	b.WriteByte('}')
	return nil
}

// field is how a struct field appears in JSON.
type field struct {
	index     int
	name      string
	omitEmpty bool
}

// fieldCache maps a struct type to the fields encoding/json would write:
// exported, not tagged "-", in declaration order.
type fieldCache map[reflect.Type][]field

func (c fieldCache) of(t reflect.Type) []field {
	if fs, ok := c[t]; ok {
		return fs
	}
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fs = append(fs, field{index: i, name: name, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	c[t] = fs
	return fs
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	}
	return v.IsZero()
}

// Object is a JSON object that keeps its keys in insertion order, for
// documents whose key order is data (a result file written key by key).
type Object struct {
	keys   []string
	values map[string]any
}

// Set adds or replaces a key; a new key goes last.
func (o *Object) Set(key string, value any) {
	if o.values == nil {
		o.values = map[string]any{}
	}
	if _, ok := o.values[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.values[key] = value
}

// Get returns the value of a key.
func (o *Object) Get(key string) (any, bool) {
	v, ok := o.values[key]
	return v, ok
}

// Delete removes a key.
func (o *Object) Delete(key string) {
	if _, ok := o.values[key]; !ok {
		return
	}
	delete(o.values, key)
	o.keys = slices.DeleteFunc(o.keys, func(k string) bool { return k == key })
}

// Keys returns the keys in order.
func (o *Object) Keys() []string { return slices.Clone(o.keys) }

// MarshalJSON lets encoding/json write an Object in order too.
func (o Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.values[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (e *encoder) encodeObject(o Object) error {
	b := &e.b
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		writeString(b, k)
		b.WriteString(": ")
		if err := e.encode(reflect.ValueOf(o.values[k])); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	b.WriteByte('}')
	return nil
}

// FormatFloat writes f as Python's float repr does: the shortest digits
// that read back as f, in positional notation when the decimal exponent is
// in [-4, 16), with ".0" on integral values, else in scientific notation
// with a signed exponent of at least two digits (1e-05, 1.5e+16).
func FormatFloat(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("pyjson: %v is not valid JSON", f)
	}
	if bits == 32 {
		// Python has no float32; widen exactly as numpy's float32 -> float does.
		f = float64(float32(f))
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0", nil
		}
		return "0.0", nil
	}
	// Shortest round-trip digits and the decimal exponent.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	var s string
	if exp >= -4 && exp < 16 {
		if exp >= 0 {
			if len(digits) <= exp+1 {
				s = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
			} else {
				s = digits[:exp+1] + "." + digits[exp+1:]
			}
		} else {
			s = "0." + strings.Repeat("0", -exp-1) + digits
		}
	} else {
		s = digits[:1]
		if len(digits) > 1 {
			s += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		s += fmt.Sprintf("e%s%02d", sign, exp)
	}
	if neg {
		s = "-" + s
	}
	return s, nil
}

const hexDigits = "0123456789abcdef"

// writeString writes s as json.dumps(ensure_ascii=True) does.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b.WriteString(`\"`)
			case c == '\\':
				b.WriteString(`\\`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\b':
				b.WriteString(`\b`)
			case c == '\f':
				b.WriteString(`\f`)
			case c < 0x20 || c == 0x7f:
				writeU(b, rune(c))
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			r -= 0x10000
			writeU(b, 0xd800+(r>>10))
			writeU(b, 0xdc00+(r&0x3ff))
		} else {
			writeU(b, r)
		}
		i += size
	}
	b.WriteByte('"')
}

func writeU(b *bytes.Buffer, r rune) {
	b.WriteString(`\u`)
	b.WriteByte(hexDigits[(r>>12)&0xf])
	b.WriteByte(hexDigits[(r>>8)&0xf])
	b.WriteByte(hexDigits[(r>>4)&0xf])
	b.WriteByte(hexDigits[r&0xf])
}
