// Package pyvalue is Python's view of decoded JSON values (as
// pkg/results.DecodeOrdered returns them): repr() for the failure details
// upstream writes with !r, == with Python's rules (1 == 1.0 == True), type
// names for its error messages, and the canonical JSON upstream hashes.
package pyvalue

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
)

// TypeName is type(v).__name__.
func TypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case json.Number:
		if IsIntLiteral(x) {
			return "int"
		}
		return "float"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case *pyjson.Object, map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// IsIntLiteral is whether Python's json reads the literal as an int (no
// fraction, no exponent) rather than a float.
func IsIntLiteral(n json.Number) bool { return !strings.ContainsAny(n.String(), ".eE") }

// ErrOverflow marks a value Python would turn into an OverflowError.
var ErrOverflow = errors.New("value out of range")

// NumberFloat is float() of a JSON number as Python decoded it: an int
// literal too large for a float overflows, a float literal too large was
// already infinite when Python read it.
func NumberFloat(n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			if IsIntLiteral(n) {
				return 0, fmt.Errorf("int %s too large to convert to float: %w", n, ErrOverflow)
			}
			return f, nil
		}
		return 0, fmt.Errorf("invalid number %s", n)
	}
	return f, nil
}

// IsInt is isinstance(v, int) and not a bool.
func IsInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok || !IsIntLiteral(n) {
		return 0, false
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	return i, err == nil
}

// IsNumber is isinstance(v, (int, float)) and not a bool, as a float.
func IsNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(x.String(), 64)
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

// IsFinite is upstream's _is_finite.
func IsFinite(v any) bool {
	f, ok := IsNumber(v)
	return ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// Truthy is Python's bool() of a decoded JSON value: None, False, "", 0,
// and empty lists and objects are false; anything else, numbers too large
// for a float included, is true.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case *pyjson.Object:
		return len(x.Keys()) > 0
	case map[string]any:
		return len(x) > 0
	}
	f, ok := IsNumber(v)
	return !ok || f != 0
}

// Repr is Python's repr() of a JSON value.
func Repr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case json.Number:
		if IsIntLiteral(x) {
			if x.String() == "-0" {
				return "0"
			}
			return x.String()
		}
		f, _ := strconv.ParseFloat(x.String(), 64)
		return FloatRepr(f)
	case float64:
		return FloatRepr(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return StrRepr(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Repr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = StrRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *pyjson.Object:
		parts := make([]string, 0, len(x.Keys()))
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			parts = append(parts, StrRepr(k)+": "+Repr(val))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// FloatRepr is repr() of a float.
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s, _ := pyjson.FormatFloat(f, 64)
	return s
}

// StrRepr is repr() of a str: single quotes unless the text has a single
// quote and no double one; backslash escapes for what is not printable.
func StrRepr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError:
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// number is a numeric value with Python's exact comparison: bools are 0
// and 1, ints exact, floats exact.
func number(v any) (*big.Float, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewFloat(1), true
		}
		return big.NewFloat(0), true
	case json.Number:
		f, ok := new(big.Float).SetPrec(0).SetString(x.String())
		if !ok {
			return nil, false
		}
		if !IsIntLiteral(x) {
			// A float literal is the float it rounds to.
			g, _ := strconv.ParseFloat(x.String(), 64)
			return big.NewFloat(g), true
		}
		return f.SetPrec(4096).SetMode(big.ToNearestEven), true
	case float64:
		if math.IsNaN(x) {
			return nil, false
		}
		return big.NewFloat(x), true
	case int:
		return big.NewFloat(float64(x)), true
	case int64:
		return new(big.Float).SetInt64(x), true
	}
	return nil, false
}

// Equal is Python's == on JSON values: numbers by value whatever their
// type, lists item by item, dicts key by key regardless of order.
func Equal(a, b any) bool {
	if na, ok := number(a); ok {
		nb, ok := number(b)
		return ok && na.Cmp(nb) == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *pyjson.Object:
		y, ok := b.(*pyjson.Object)
		if !ok || len(x.Keys()) != len(y.Keys()) {
			return false
		}
		for _, k := range x.Keys() {
			va, _ := x.Get(k)
			vb, ok := y.Get(k)
			if !ok || !Equal(va, vb) {
				return false
			}
		}
		return true
	}
	return false
}

// CanonicalJSON is json.dumps(v, sort_keys=True, separators=(",", ":"))
// of a decoded value: what upstream hashes to compare two result files.
func CanonicalJSON(v any) ([]byte, error) {
	var b strings.Builder
	if err := canonical(&b, v); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

func canonical(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case *pyjson.Object:
		keys := x.Keys()
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			ks, _ := pyjson.Marshal(k)
			b.Write(ks)
			b.WriteByte(':')
			val, _ := x.Get(k)
			if err := canonical(b, val); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := canonical(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	s, err := pyjson.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(s)
	return nil
}
