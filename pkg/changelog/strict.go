package changelog

import (
	"bytes"
	"regexp"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

var entryStart = regexp.MustCompile(`(?m)^- config-keys:[^\r\n]*\n`)

// CheckAppendedBytes holds a change to the changelog to upstream's strict
// rules for an append (validate_perf_changelog.py, which its own gate does
// not run): no CR, tab or NUL bytes; every entry starts with "- config-keys:"
// at the start of a line; the base revision's bytes are unchanged; the
// added entries (added of them) follow at the end, each after exactly one
// blank line, and the file ends with one newline.
func CheckAppendedBytes(name string, base, head []byte, added int) error {
	lineOf := func(off int) int { return bytes.Count(head[:off], []byte("\n")) + 1 }
	var problems diag.List
	for _, bad := range []struct {
		b    byte
		what string
	}{{'\r', "a CR character (write LF line ends)"}, {'\t', "a tab (indent with spaces)"}, {0, "a NUL byte"}} {
		if i := bytes.IndexByte(head, bad.b); i >= 0 {
			problems = append(problems, diag.Diagnostic{File: name, Line: lineOf(i), Message: "the file holds " + bad.what})
		}
	}
	if len(problems) > 0 {
		return problems
	}
	if !bytes.HasPrefix(head, base) {
		i := 0
		for i < len(base) && i < len(head) && base[i] == head[i] {
			i++
		}
		return diag.List{{File: name, Line: lineOf(i), Message: "the change edits the file's existing bytes here: restore them byte for byte and append new entries at the end"}}
	}
	suffix := head[len(base):]
	want := []byte("\n- config-keys:")
	if bytes.HasSuffix(base, []byte("\n\n")) {
		want = want[1:]
	}
	if !bytes.HasPrefix(suffix, want) {
		return diag.List{{File: name, Line: lineOf(len(base)), Message: "new entries go at the end, one blank line after the last old one, each starting with \"- config-keys:\""}}
	}
	starts := entryStart.FindAllIndex(head, -1)
	if added > len(starts) {
		return diag.List{{File: name, Line: lineOf(len(base)), Message: "every new entry must start with \"- config-keys:\" at the start of a line"}}
	}
	for _, s := range starts[len(starts)-added:][1:] {
		prefix := head[:s[0]]
		if !bytes.HasSuffix(prefix, []byte("\n\n")) || bytes.HasSuffix(prefix, []byte("\n\n\n")) {
			problems = append(problems, diag.Diagnostic{File: name, Line: lineOf(s[0]), Message: "new entries are separated by exactly one blank line"})
		}
	}
	if bytes.HasSuffix(head, []byte("\n\n")) {
		problems = append(problems, diag.Diagnostic{File: name, Line: lineOf(len(head) - 1), Message: "the file must end with the last entry's newline, not a blank line"})
	}
	if len(problems) > 0 {
		return problems
	}
	return nil
}
