// Package diag holds positioned diagnostics: what is wrong with an input,
// where (file, line, column, key path), printed the way compilers and
// linters print them so that editors and GitHub annotations can jump there.
package diag

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Diagnostic is one problem in one input file.
type Diagnostic struct {
	File    string
	Line    int // 1-based; 0 when unknown
	Col     int // 1-based; 0 when unknown
	Path    string
	Message string
}

// String renders "file:line:col: path: message", leaving out what is unknown.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			b.WriteString(":" + strconv.Itoa(d.Line))
			if d.Col > 0 {
				b.WriteString(":" + strconv.Itoa(d.Col))
			}
		}
		b.WriteString(": ")
	}
	if d.Path != "" {
		b.WriteString(d.Path + ": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// List is a set of diagnostics; as an error it prints one per line.
type List []Diagnostic

func (l List) Error() string {
	lines := make([]string, len(l))
	for i, d := range l {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders diagnostics by file, line, column, then message.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Message < b.Message
	})
}

// Errorf builds a one-diagnostic List.
func Errorf(file string, line, col int, path, format string, args ...any) List {
	return List{{File: file, Line: line, Col: col, Path: path, Message: fmt.Sprintf(format, args...)}}
}

// PathFromPointer renders an RFC 6901 JSON pointer as the dotted key path
// people read in messages: /a/b/0/c -> a.b[0].c. Keys that are not plain
// words are quoted: /a/x.y -> a["x.y"].
func PathFromPointer(ptr string) string {
	if ptr == "" {
		return ""
	}
	var b strings.Builder
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if plainKey(tok) {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(tok)
			continue
		}
		b.WriteString("[" + strconv.Quote(tok) + "]")
	}
	return b.String()
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '*' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// AppendToken extends a JSON pointer by one key or index.
func AppendToken(ptr, tok string) string {
	return ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// JSONKind names the JSON type of an encoded value by its first byte, for
// messages about a value of the wrong type ("expected an object, got a
// list"). It does not check that the rest is valid JSON.
func JSONKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
