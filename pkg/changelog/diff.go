package changelog

import (
	"fmt"
	"strconv"
	"strings"
)

// Diff is what a unified diff of one file says about it: which lines of the
// new version were added, and which lines of the old version were removed.
type Diff struct {
	Added   map[int]bool // 1-based line numbers in the new version
	Deleted []Line       // lines of the old version that are gone
}

// Line is one removed line: its number in the old version, where it was in
// the new version (the line that now follows the gap), and its text.
type Line struct {
	Number int
	NewPos int
	Text   string
}

// ParseDiff reads `git diff` output for a single file. Any amount of context
// works; -U0 keeps it small. Binary diffs and several files are errors.
func ParseDiff(text string) (*Diff, error) {
	d := &Diff{Added: map[int]bool{}}
	lines := strings.Split(text, "\n")
	inHunk := false
	oldLine, newLine := 0, 0
	files := 0
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "diff --git "):
			files++
			if files > 1 {
				return nil, fmt.Errorf("diff line %d: the diff covers more than one file", i+1)
			}
			inHunk = false
		case strings.HasPrefix(l, "Binary files "):
			return nil, fmt.Errorf("diff line %d: the file is binary", i+1)
		case strings.HasPrefix(l, "@@ "):
			o, n, err := parseHunkHeader(l)
			if err != nil {
				return nil, fmt.Errorf("diff line %d: %w", i+1, err)
			}
			oldLine, newLine, inHunk = o, n, true
		case !inHunk:
			// File header lines (index, ---, +++, mode changes).
		case strings.HasPrefix(l, "+"):
			d.Added[newLine] = true
			newLine++
		case strings.HasPrefix(l, "-"):
			d.Deleted = append(d.Deleted, Line{Number: oldLine, NewPos: newLine, Text: l[1:]})
			oldLine++
		case strings.HasPrefix(l, " "):
			oldLine++
			newLine++
		case strings.HasPrefix(l, `\`):
			// "\ No newline at end of file"
		case l == "" && i == len(lines)-1:
			// the text's final newline
		default:
			return nil, fmt.Errorf("diff line %d: unexpected %q", i+1, l)
		}
	}
	return d, nil
}

// parseHunkHeader reads "@@ -a[,b] +c[,d] @@ ..." and returns where the
// hunk's old and new lines start. With a count of 0 the start is the line
// before the (empty) range, so the next line is start+1.
func parseHunkHeader(h string) (oldStart, newStart int, err error) {
	fields := strings.Fields(h)
	if len(fields) < 4 || fields[0] != "@@" || fields[3] != "@@" || !strings.HasPrefix(fields[1], "-") || !strings.HasPrefix(fields[2], "+") {
		return 0, 0, fmt.Errorf("malformed hunk header %q", h)
	}
	oldStart, oldCount, err := parseRange(fields[1][1:])
	if err != nil {
		return 0, 0, fmt.Errorf("malformed hunk header %q: %w", h, err)
	}
	newStart, newCount, err := parseRange(fields[2][1:])
	if err != nil {
		return 0, 0, fmt.Errorf("malformed hunk header %q: %w", h, err)
	}
	if oldCount == 0 {
		oldStart++
	}
	if newCount == 0 {
		newStart++
	}
	return oldStart, newStart, nil
}

func parseRange(s string) (start, count int, err error) {
	a, b, hasCount := strings.Cut(s, ",")
	start, err = strconv.Atoi(a)
	if err != nil || start < 0 {
		return 0, 0, fmt.Errorf("bad line number %q", a)
	}
	count = 1
	if hasCount {
		count, err = strconv.Atoi(b)
		if err != nil || count < 0 {
			return 0, 0, fmt.Errorf("bad line count %q", b)
		}
	}
	if count > 0 && start < 1 {
		return 0, 0, fmt.Errorf("a range of %d lines cannot start at line %d", count, start)
	}
	return start, count, nil
}
