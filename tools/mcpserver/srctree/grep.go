package srctree

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Limits of a search, so that one call cannot flood the client.
const (
	DefaultMaxResults = 100
	MaxMaxResults     = 1000
	MaxContext        = 5
	MaxPatternLen     = 1000
	maxLineLen        = 400
)

// GrepOptions selects what to search.
type GrepOptions struct {
	Pattern    string // RE2 syntax (Go regexp), matched line by line
	IgnoreCase bool
	// Path limits the search to a file or a directory (a clean path, or ""
	// for the whole tree).
	Path string
	// Glob limits the search to files whose name (or, if it contains a
	// slash, whose whole path) matches it: "*.py", "vllm/*/scheduler.py".
	Glob       string
	MaxResults int // 0 = DefaultMaxResults
	Context    int // lines of context before and after each match
}

// GrepMatch is one matching line.
type GrepMatch struct {
	Path   string   `json:"path"`
	Line   int      `json:"line"`
	Text   string   `json:"text"`
	Before []string `json:"before,omitempty"`
	After  []string `json:"after,omitempty"`
}

// GrepResult is the outcome of a search.
type GrepResult struct {
	Matches       []GrepMatch `json:"matches"`
	FilesSearched int         `json:"files_searched"`
	FilesMatched  int         `json:"files_matched"`
	// Truncated says the search stopped at MaxResults with more to find.
	Truncated bool `json:"truncated"`
}

// OptionsError is a search request that cannot run.
type OptionsError struct{ Msg string }

func (e *OptionsError) Error() string { return e.Msg }

// Grep searches the served files of t in path order.
func (t *Tree) Grep(ctx context.Context, o GrepOptions) (*GrepResult, error) {
	switch {
	case o.Pattern == "":
		return nil, &OptionsError{"empty pattern"}
	case len(o.Pattern) > MaxPatternLen:
		return nil, &OptionsError{fmt.Sprintf("pattern is %d bytes; the limit is %d", len(o.Pattern), MaxPatternLen)}
	case o.MaxResults < 0 || o.MaxResults > MaxMaxResults:
		return nil, &OptionsError{fmt.Sprintf("max_results %d is out of range (1 to %d)", o.MaxResults, MaxMaxResults)}
	case o.Context < 0 || o.Context > MaxContext:
		return nil, &OptionsError{fmt.Sprintf("context %d is out of range (0 to %d)", o.Context, MaxContext)}
	}
	if o.MaxResults == 0 {
		o.MaxResults = DefaultMaxResults
	}
	flags := "(?m)"
	if o.IgnoreCase {
		flags = "(?im)"
	}
	re, err := regexp.Compile(flags + o.Pattern)
	if err != nil {
		return nil, &OptionsError{"invalid regular expression (Go RE2 syntax): " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
	}
	if o.Glob != "" {
		if _, err := path.Match(o.Glob, ""); err != nil {
			return nil, &OptionsError{fmt.Sprintf("invalid glob %q: %v", o.Glob, err)}
		}
	}
	if o.Path != "" {
		if _, err := t.Stat(o.Path); err != nil && !t.HasDir(o.Path) {
			return nil, err
		}
	}
	root, err := os.OpenRoot(filepath.Join(t.Dir, SrcDir))
	if err != nil {
		return nil, err
	}
	defer root.Close()

	res := &GrepResult{Matches: []GrepMatch{}}
	for _, f := range t.Manifest.Files {
		if !within(f.Path, o.Path) || !globMatch(o.Glob, f.Path) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := root.ReadFile(filepath.FromSlash(f.Path))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f.Path, err)
		}
		res.FilesSearched++
		// Most files do not match: one pass over the whole file rules them
		// out before any line splitting. Not for CRLF files, where $ would
		// not match before the \r that line splitting drops.
		if !re.Match(data) && bytes.IndexByte(data, '\r') < 0 {
			continue
		}
		matched := false
		lines := splitLines(data)
		for i, line := range lines {
			if !re.Match(line) {
				continue
			}
			if len(res.Matches) == o.MaxResults {
				res.Truncated = true
				return res, nil
			}
			if !matched {
				matched = true
				res.FilesMatched++
			}
			m := GrepMatch{Path: f.Path, Line: i + 1, Text: clip(line)}
			for j := max(0, i-o.Context); j < i; j++ {
				m.Before = append(m.Before, clip(lines[j]))
			}
			for j := i + 1; j < min(len(lines), i+1+o.Context); j++ {
				m.After = append(m.After, clip(lines[j]))
			}
			res.Matches = append(res.Matches, m)
		}
	}
	return res, nil
}

func within(p, dir string) bool {
	return dir == "" || p == dir || strings.HasPrefix(p, dir+"/")
}

func globMatch(glob, p string) bool {
	if glob == "" {
		return true
	}
	name := p
	if !strings.Contains(glob, "/") {
		name = path.Base(p)
	}
	ok, _ := path.Match(glob, name)
	return ok
}

func splitLines(data []byte) [][]byte {
	lines := bytes.Split(data, []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	return lines
}

// clip shortens very long lines (minified data, generated tables) without
// splitting a UTF-8 sequence.
func clip(line []byte) string {
	if len(line) <= maxLineLen {
		return string(line)
	}
	cut := maxLineLen
	for cut > 0 && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return string(line[:cut]) + "…"
}
