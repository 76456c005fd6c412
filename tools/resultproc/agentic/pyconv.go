package agentic

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// Python's float() and int() of the values a record holds (decoded with
// UseNumber, so every number is a json.Number), and which failures
// upstream's helpers let through: to_float and to_int turn TypeError and
// ValueError (to_int OverflowError too) into None, a bare int() does not.

// toFloat is upstream's to_float: ok is false where it returns None.
func toFloat(v any) (float64, bool, error) {
	switch x := v.(type) {
	case bool:
		return float64(boolInt(x)), true, nil
	case json.Number:
		f, err := pyvalue.NumberFloat(x)
		return f, err == nil, err
	case float64:
		return x, true, nil
	case string:
		f, ok := pynum.Float(x)
		return f, ok, nil
	}
	return 0, false, nil
}

// pyInt is int() of a value: ok false where Python raises TypeError or
// ValueError, an error wrapping pyvalue.ErrOverflow where it raises OverflowError
// (an infinity) or where the integer does not fit in 64 bits (Python has
// no limit; such a value has no meaning in these files).
func pyInt(v any) (int64, bool, error) {
	switch x := v.(type) {
	case bool:
		return boolInt(x), true, nil
	case json.Number:
		if pyvalue.IsIntLiteral(x) {
			i, err := strconv.ParseInt(string(x), 10, 64)
			if err != nil {
				return 0, false, fmt.Errorf("integer %s does not fit in 64 bits: %w", x, pyvalue.ErrOverflow)
			}
			return i, true, nil
		}
		f, err := pyvalue.NumberFloat(x)
		if err != nil {
			return 0, false, err
		}
		return floatInt(f)
	case float64:
		return floatInt(x)
	case string:
		i, ok := pynum.Int(x)
		return i, ok, nil
	}
	return 0, false, nil
}

// boolInt is int(b): bool is an int subclass in Python.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// floatInt is int() of a float: truncation; NaN is a ValueError, an
// infinity an OverflowError.
func floatInt(f float64) (int64, bool, error) {
	if math.IsNaN(f) {
		return 0, false, nil
	}
	if math.IsInf(f, 0) {
		return 0, false, fmt.Errorf("cannot convert float %s to integer: %w", pyvalue.FloatRepr(f), pyvalue.ErrOverflow)
	}
	t := math.Trunc(f)
	if t >= 0x1p63 || t < -0x1p63 {
		return 0, false, fmt.Errorf("integer %s does not fit in 64 bits: %w", pyvalue.FloatRepr(f), pyvalue.ErrOverflow)
	}
	return int64(t), true, nil
}

// toInt is upstream's to_int: None (ok false) for what int() rejects,
// overflow included.
func toInt(v any) (int64, bool) {
	i, ok, err := pyInt(v)
	if err != nil {
		return 0, false
	}
	return i, ok
}

// mustInt is a bare int(): any failure stops the aggregation, as
// upstream's traceback does.
func mustInt(v any) (int64, error) {
	i, ok, err := pyInt(v)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("int() cannot take %s %s", pyvalue.TypeName(v), pyvalue.Repr(v))
	}
	return i, nil
}
