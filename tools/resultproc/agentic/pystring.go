package agentic

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyout"
)

// Python's json reads a `\ud800` escape without its pair as a str holding
// that one surrogate, and json.dump writes it back as `\ud800`;
// encoding/json turns it into U+FFFD. Strings that reach the output (an
// error category, the dataset block) are therefore decoded here, a lone
// surrogate kept in pyout's three-byte form, which pyout writes back as
// the escape. Invalid UTF-8 in the input is replaced by U+FFFD byte by
// byte, as encoding/json does, so those bytes only ever stand for a
// surrogate.

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
			out = pyout.AppendSurrogate(out, r)
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

// pyTruncate is s[:n] over Python's characters (a kept surrogate is one).
func pyTruncate(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		if _, ok := pyout.SurrogateAt(s, i); ok {
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
	if err := oneValue(data); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return orderedValue(data[skipSpace(data, 0):])
}

// oneValue checks that text is what json.loads takes: exactly one JSON
// value with nothing but JSON white space around it.
func oneValue(text []byte) error {
	if json.Valid(text) {
		return nil
	}
	var probe any
	if err := json.Unmarshal(text, &probe); err != nil {
		return err
	}
	return errors.New("not one JSON value")
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
