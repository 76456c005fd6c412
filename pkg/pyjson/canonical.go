package pyjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Canonical encodes a generic value (what Value returns: map[string]any,
// []any, string, bool, nil, int64, float64, json.Number) as Python's
// json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
// does: the canonical form that hashes of JSON documents are taken over.
func Canonical(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := canonical(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func canonical(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		s, err := FormatFloat(x, 64)
		if err != nil {
			return err
		}
		b.WriteString(s)
	case json.Number:
		if !json.Valid([]byte(x)) {
			return fmt.Errorf("pyjson: invalid number %q", x)
		}
		b.WriteString(string(x))
	case string:
		writeString(b, x)
	case []any:
		b.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := canonical(b, item); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// Python sorts str keys by code point, which byte order of UTF-8
		// preserves.
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := canonical(b, x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("pyjson: Canonical cannot encode %T", v)
	}
	return nil
}
