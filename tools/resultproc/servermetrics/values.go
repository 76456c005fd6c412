package servermetrics

import (
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// dict is a decoded JSON object seen the way the Python code sees a dict:
// Load gives *pyjson.Object below the top level (file order kept, as
// Python's json keeps it), callers may build plain maps.
type dict interface {
	get(key string) (any, bool)
	keys() []string
}

type mapDict map[string]any

func (m mapDict) get(k string) (any, bool) { v, ok := m[k]; return v, ok }

// keys of a plain map come sorted: a map has no order, and this one is only
// reached for repr() of a label that is itself an object.
func (m mapDict) keys() []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

type objDict struct{ o *pyjson.Object }

func (d objDict) get(k string) (any, bool) { return d.o.Get(k) }
func (d objDict) keys() []string           { return d.o.Keys() }

// asDict is isinstance(v, dict).
func asDict(v any) (dict, bool) {
	switch x := v.(type) {
	case map[string]any:
		return mapDict(x), true
	case *pyjson.Object:
		if x == nil {
			return nil, false
		}
		return objDict{x}, true
	}
	return nil, false
}

// lookup is d.get(key): nil when the key is absent.
func lookup(d dict, key string) any {
	v, _ := d.get(key)
	return v
}

// errIntTooLarge is Python's OverflowError from float() of an int past the
// float range, which upstream does not catch.
var errIntTooLarge = errors.New("integer too large to convert to float")

// toFloat is upstream's to_float: float(value), or not ok where Python
// raises TypeError or ValueError (lists, dicts, text that is not a number).
func toFloat(v any) (float64, bool, error) {
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case bool:
		if x {
			return 1, true, nil
		}
		return 0, true, nil
	case json.Number:
		s := x.String()
		f, err := strconv.ParseFloat(s, 64)
		isInt := !strings.ContainsAny(s, ".eE")
		if err != nil {
			var ne *strconv.NumError
			if !errors.As(err, &ne) || !errors.Is(ne.Err, strconv.ErrRange) {
				return 0, false, nil
			}
			// A float literal past the range is what Python's json makes
			// of it (±inf, or 0 for an underflow); an int literal past
			// it cannot become a float at all.
			if isInt && math.IsInf(f, 0) {
				return 0, false, errIntTooLarge
			}
		}
		if isInt && f == 0 {
			f = 0 // Python's int -0 is 0, whose float is +0.0
		}
		return f, true, nil
	case float64:
		return x, true, nil
	case int64:
		return float64(x), true, nil
	case int:
		return float64(x), true, nil
	case string:
		f, ok := pynum.Float(x)
		return f, ok, nil
	}
	return 0, false, nil
}

// pyStr is Python's str() of a decoded JSON value.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyvalue.Repr(ordered(v))
}

// ordered turns plain maps into ordered objects (sorted keys) so that
// pyvalue.Repr can write them.
func ordered(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := &pyjson.Object{}
		for _, k := range mapDict(x).keys() {
			o.Set(k, ordered(x[k]))
		}
		return o
	case *pyjson.Object:
		o := &pyjson.Object{}
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			o.Set(k, ordered(val))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ordered(e)
		}
		return out
	}
	return v
}

// truthy is Python's bool() of a decoded JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case int64:
		return x != 0
	case int:
		return x != 0
	case float64:
		return x != 0
	}
	return pyvalue.Truthy(v)
}

// fnum is a Python float or None.
type fnum struct {
	v  float64
	ok bool
}

func some(v float64) fnum { return fnum{v, true} }

var none fnum

// value is the float for the nested block: float64, or nil for None.
func (f fnum) value() any {
	if !f.ok {
		return nil
	}
	return f.v
}

// or0 is `x or 0.0`: None and both zeros are false.
func (f fnum) or0() float64 {
	if !f.ok || f.v == 0 {
		return 0
	}
	return f.v
}
