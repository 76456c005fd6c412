// Package pyout writes a result document the way upstream's Python
// scripts do: round_floats(obj, 5) over the whole document, then
// json.dump(obj, f, indent=2). Every result processor whose output is
// compared byte for byte with upstream's goes through it.
package pyout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// RoundFloats is upstream's round_floats(obj, 5) over a whole document:
// every finite float rounded to five decimals, and one that is then a
// whole number of magnitude at least 1 written as an int (0.0 stays a
// float). The int is exact however large, as Python's int(float) is.
func RoundFloats(v any) any {
	switch x := v.(type) {
	case json.Number:
		if pyvalue.IsIntLiteral(x) {
			return x
		}
		if f, err := pyvalue.NumberFloat(x); err == nil {
			return RoundFloats(f)
		}
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return x
		}
		r := pynum.Round(x, 5)
		if math.Abs(r) >= 1 && r == math.Trunc(r) {
			if r >= -0x1p63 && r < 0x1p63 {
				return int64(r)
			}
			return json.Number(strconv.FormatFloat(r, 'f', 0, 64))
		}
		return r
	case *pyjson.Object:
		o := &pyjson.Object{}
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			o.Set(k, RoundFloats(val))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = RoundFloats(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = RoundFloats(e)
		}
		return out
	}
	return v
}

// MarshalIndent writes v byte for byte as Python's json.dump(v, f,
// indent=2) does, NaN and the infinities included (Python writes them as
// NaN, Infinity and -Infinity).
func MarshalIndent(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := writeIndent(&b, v, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func newline(b *bytes.Buffer, depth int) {
	b.WriteByte('\n')
	for i := 0; i < depth; i++ {
		b.WriteString("  ")
	}
}

// writeItems writes a list or an object of n items as indent=2 lays
// them out: each item on its own line one level in, the closing bracket
// back at depth; an empty one stays on one line ("[]", "{}").
func writeItems(b *bytes.Buffer, opening, closing byte, n, depth int, item func(i int) error) error {
	b.WriteByte(opening)
	if n == 0 {
		b.WriteByte(closing)
		return nil
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		newline(b, depth+1)
		if err := item(i); err != nil {
			return err
		}
	}
	newline(b, depth)
	b.WriteByte(closing)
	return nil
}

// A str that Python read from a lone `\udXXX` escape holds that one
// surrogate, which a Go string cannot hold as UTF-8. Readers that keep it
// store its three-byte generalized UTF-8 form (ED A0-BF 80-BF), which
// valid UTF-8 never contains, so it cannot be confused with text.

// AppendSurrogate appends r as UTF-8, or a surrogate in its three-byte
// form.
func AppendSurrogate(b []byte, r rune) []byte {
	if r >= 0xd800 && r < 0xe000 {
		return append(b, 0xe0|byte(r>>12), 0x80|byte(r>>6)&0x3f, 0x80|byte(r)&0x3f)
	}
	return utf8.AppendRune(b, r)
}

// SurrogateAt returns the surrogate whose three-byte form starts at s[i].
func SurrogateAt(s string, i int) (rune, bool) {
	if i+2 >= len(s) || s[i] != 0xed || s[i+1] < 0xa0 || s[i+1] > 0xbf || s[i+2] < 0x80 || s[i+2] > 0xbf {
		return 0, false
	}
	return rune(s[i]&0x0f)<<12 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), true
}

// writeString writes s as json.dump (ensure_ascii) does, a kept surrogate
// as its \uXXXX escape.
func writeString(b *bytes.Buffer, s string) error {
	start, i := 0, 0
	b.WriteByte('"')
	for i+2 < len(s) {
		r, ok := SurrogateAt(s, i)
		if !ok {
			i++
			continue
		}
		if err := writeStringBody(b, s[start:i]); err != nil {
			return err
		}
		fmt.Fprintf(b, `\u%04x`, r)
		i += 3
		start = i
	}
	if err := writeStringBody(b, s[start:]); err != nil {
		return err
	}
	b.WriteByte('"')
	return nil
}

// writeStringBody writes s escaped, without its quotes.
func writeStringBody(b *bytes.Buffer, s string) error {
	if s == "" {
		return nil
	}
	q, err := pyjson.Marshal(s)
	if err != nil {
		return err
	}
	b.Write(q[1 : len(q)-1])
	return nil
}

func writeIndent(b *bytes.Buffer, v any, depth int) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		return writeString(b, x)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case json.Number:
		if pyvalue.IsIntLiteral(x) {
			// JSON's one integer with two spellings: Python reads -0 as
			// the int 0.
			if x == "-0" {
				x = "0"
			}
			b.WriteString(string(x))
			return nil
		}
		f, err := pyvalue.NumberFloat(x)
		if err != nil {
			return err
		}
		return writeIndent(b, f, depth)
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			s, err := pyjson.FormatFloat(x, 64)
			if err != nil {
				return err
			}
			b.WriteString(s)
		}
	case *pyjson.Object:
		keys := x.Keys()
		return writeItems(b, '{', '}', len(keys), depth, func(i int) error {
			if err := writeIndent(b, keys[i], depth+1); err != nil {
				return err
			}
			b.WriteString(": ")
			val, _ := x.Get(keys[i])
			if err := writeIndent(b, val, depth+1); err != nil {
				return fmt.Errorf("%s: %w", keys[i], err)
			}
			return nil
		})
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		o := &pyjson.Object{}
		for _, k := range keys {
			o.Set(k, x[k])
		}
		return writeIndent(b, o, depth)
	case []any:
		return writeItems(b, '[', ']', len(x), depth, func(i int) error {
			return writeIndent(b, x[i], depth+1)
		})
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return writeIndent(b, out, depth)
	default:
		return fmt.Errorf("cannot write a %T as JSON", v)
	}
	return nil
}
