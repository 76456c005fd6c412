package agentic

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
)

// Python's json reads a `\ud800` escape without its pair as a str holding
// that one surrogate, and json.dump writes it back as `\ud800`;
// encoding/json turns it into U+FFFD. Strings that reach the output (an
// error category, the dataset block) are therefore decoded here, with a
// lone surrogate kept as its three-byte generalized UTF-8 form (ED A0-BF
// 80-BF), which no valid UTF-8 text holds; pyout writes it back as the
// escape. Invalid UTF-8 in the input is replaced by U+FFFD byte by byte,
// as encoding/json does, so those bytes only ever stand for a surrogate.

// unquote decodes a JSON string literal that is known to be valid JSON.
func unquote(lit []byte) (string, error) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", fmt.Errorf("not a JSON string: %.40q", lit)
	}
	body := lit[1 : len(lit)-1]
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\':
			if i+1 >= len(body) {
				return "", errors.New("unterminated escape")
			}
			e := body[i+1]
			if e != 'u' {
				r, ok := simpleEscapes[e]
				if !ok {
					return "", fmt.Errorf("invalid escape \\%c", e)
				}
				out = append(out, r)
				i += 2
				continue
			}
			r, ok := hex4(body[i+2:])
			if !ok {
				return "", errors.New(`invalid \u escape`)
			}
			i += 6
			if r >= 0xd800 && r < 0xdc00 && i+6 <= len(body) && body[i] == '\\' && body[i+1] == 'u' {
				if lo, ok := hex4(body[i+2:]); ok && lo >= 0xdc00 && lo < 0xe000 {
					out = utf8.AppendRune(out, 0x10000+(r-0xd800)<<10+(lo-0xdc00))
					i += 6
					continue
				}
			}
			out = appendWTF8(out, r)
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && n == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, body[i:i+n]...)
			}
			i += n
		}
	}
	return string(out), nil
}

var simpleEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	return rune(n), err == nil
}

// appendWTF8 appends r as UTF-8, or a surrogate as the three bytes UTF-8
// would give it if it allowed surrogates.
func appendWTF8(b []byte, r rune) []byte {
	if r >= 0xd800 && r < 0xe000 {
		return append(b, 0xe0|byte(r>>12), 0x80|byte(r>>6)&0x3f, 0x80|byte(r)&0x3f)
	}
	return utf8.AppendRune(b, r)
}

// isSurrogateAt tells whether s holds an encoded surrogate at i.
func isSurrogateAt(s string, i int) bool {
	return i+2 < len(s) && s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf && s[i+2] >= 0x80 && s[i+2] <= 0xbf
}

// pyTruncate is s[:n] over Python's characters (a kept surrogate is one).
func pyTruncate(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		if isSurrogateAt(s, i) {
			i += 3
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// decodeOrdered decodes JSON text as Python's json.loads does, objects
// keeping their key order (*pyjson.Object), numbers as json.Number and
// lone surrogates kept; the text must hold exactly one value.
func decodeOrdered(data []byte) (any, error) {
	if !json.Valid(data) {
		var probe any
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		return nil, errors.New("invalid JSON")
	}
	return orderedValue(data[skipSpace(data, 0):])
}

// orderedValue decodes the valid JSON value that raw starts with.
func orderedValue(raw []byte) (any, error) {
	if len(raw) == 0 {
		return nil, errors.New("no value")
	}
	switch raw[0] {
	case '{':
		o := &pyjson.Object{}
		var ferr error
		if _, err := walkObject(raw, func(k string, v []byte) {
			if ferr != nil {
				return
			}
			val, err := orderedValue(v)
			if err != nil {
				ferr = fmt.Errorf("%s: %w", k, err)
				return
			}
			// A repeated key keeps its first place and its last value,
			// as a Python dict does.
			o.Set(k, val)
		}); err != nil {
			return nil, err
		}
		return o, ferr
	case '[':
		out := []any{}
		i := skipSpace(raw, 1)
		if i < len(raw) && raw[i] == ']' {
			return out, nil
		}
		for i < len(raw) {
			end := skipValue(raw, i)
			v, err := orderedValue(raw[i:end])
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", len(out), err)
			}
			out = append(out, v)
			i = skipSpace(raw, end)
			if i >= len(raw) || raw[i] == ']' {
				return out, nil
			}
			i = skipSpace(raw, i+1) // the comma
		}
		return out, nil
	case '"':
		return unquote(raw[:skipString(raw, 0)])
	}
	return decodeAny(raw[:skipValue(raw, 0)])
}
