package pyjson

import (
	"fmt"
	"math"
	"reflect"
)

// Value returns v as the generic value that decoding Marshal(v) gives:
// map[string]any, []any, string, bool, nil, int64 for integers and float64
// for other numbers (json.Number stays as it is). Tools validate what they
// are about to write without encoding and decoding it.
func Value(v any) (any, error) {
	return fieldCache{}.value(reflect.ValueOf(v))
}

func (c fieldCache) value(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	if v.Type() == numberType {
		return v.Interface(), nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return c.value(v.Elem())
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := v.Uint()
		if u > math.MaxInt64 {
			return float64(u), nil
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("pyjson: %v is not valid JSON", f)
		}
		return f, nil
	case reflect.String:
		return v.String(), nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range out {
			x, err := c.value(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("pyjson: map keys must be strings, got %s", v.Type().Key())
		}
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			x, err := c.value(iter.Value())
			if err != nil {
				return nil, err
			}
			out[iter.Key().String()] = x
		}
		return out, nil
	case reflect.Struct:
		if o, ok := v.Interface().(Object); ok {
			out := make(map[string]any, len(o.keys))
			for _, k := range o.keys {
				x, err := c.value(reflect.ValueOf(o.values[k]))
				if err != nil {
					return nil, err
				}
				out[k] = x
			}
			return out, nil
		}
		fs := c.of(v.Type())
		out := make(map[string]any, len(fs))
		for _, f := range fs {
			fv := v.Field(f.index)
			if f.omitEmpty && isEmpty(fv) {
				continue
			}
			x, err := c.value(fv)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
			out[f.name] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("pyjson: cannot encode %s", v.Type())
}
