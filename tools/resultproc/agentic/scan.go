package agentic

import (
	"errors"
)

// The rows of profile_export.jsonl are many (one per request) and only a
// few of their fields are read, so rather than decode every row into
// maps, a row is checked once (json.Valid) and then walked: walkObject
// hands out the raw bytes of the wanted members of an object, without
// copying, and the few wanted values are decoded on their own.

// walkObject calls visit with each member of the object raw, which must
// be valid JSON (checked by the caller); false when raw is no object. A
// key that repeats is visited each time: the last one wins, as in
// Python's dict.
func walkObject(raw []byte, visit func(key string, value []byte)) (bool, error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false, nil
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return true, nil
	}
	for i < len(raw) {
		end := skipString(raw, i)
		key, err := stringValue(raw[i:end])
		if err != nil {
			return true, err
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return true, errors.New("malformed object")
		}
		i = skipSpace(raw, i+1)
		vend := skipValue(raw, i)
		visit(key, raw[i:vend])
		i = skipSpace(raw, vend)
		if i >= len(raw) {
			break
		}
		if raw[i] == '}' {
			return true, nil
		}
		i = skipSpace(raw, i+1) // the comma
	}
	return true, errors.New("malformed object")
}

// stringValue decodes a JSON string literal; escapes are rare in keys and
// go through unquote.
func stringValue(lit []byte) (string, error) {
	if len(lit) >= 2 {
		plain := true
		for _, c := range lit[1 : len(lit)-1] {
			if c == '\\' || c < 0x20 || c >= 0x80 {
				plain = false
				break
			}
		}
		if plain {
			return string(lit[1 : len(lit)-1]), nil
		}
	}
	return unquote(lit)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string literal at i.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value at i.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
