package servermetrics

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// pyInt is a Python int too large for int64, by its digits (what
// round_floats makes of an integral float such as 1e20).
type pyInt string

// roundFloats is upstream's round_floats(obj, 5), for the tests: the
// callers of this package round with their own copy.
func roundFloats(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return x
		}
		r := pynum.Round(x, 5)
		if math.Abs(r) >= 1 && r == math.Trunc(r) {
			i, _ := big.NewFloat(r).Int(nil)
			return pyInt(i.String())
		}
		return r
	case *pyjson.Object:
		o := &pyjson.Object{}
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			o.Set(k, roundFloats(val))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = roundFloats(e)
		}
		return out
	}
	return v
}

// pyDumps is json.dumps(v, indent=2), NaN and infinities written as
// Python writes them.
func pyDumps(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := dump(&b, v, 0); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func dump(b *bytes.Buffer, v any, level int) error {
	indent := func(l int) string { return "\n" + strings.Repeat("  ", l) }
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case pyInt:
		b.WriteString(string(x))
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
	case string:
		s, err := pyjson.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(s)
	case []string:
		list := make([]any, len(x))
		for i, s := range x {
			list[i] = s
		}
		return dump(b, list, level)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(indent(level + 1))
			if err := dump(b, e, level+1); err != nil {
				return err
			}
		}
		b.WriteString(indent(level) + "]")
	case *pyjson.Object:
		keys := x.Keys()
		if len(keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(indent(level + 1))
			if err := dump(b, k, level+1); err != nil {
				return err
			}
			b.WriteString(": ")
			val, _ := x.Get(k)
			if err := dump(b, val, level+1); err != nil {
				return err
			}
		}
		b.WriteString(indent(level) + "}")
	default:
		return fmt.Errorf("cannot dump %T", v)
	}
	return nil
}
