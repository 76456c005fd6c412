// Package changelog reads perf-changelog.yaml, the running log of
// performance-relevant changes, and turns the entries a pull request adds
// into the benchmark jobs they ask for: each entry names master config keys
// (with * wildcards), and each named config is run in full.
package changelog

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/suggest"
	"github.com/inferencex/inferencex-go/pkg/sweep"
	"github.com/inferencex/inferencex-go/pkg/yamldoc"
	"github.com/inferencex/inferencex-go/schemas"
)

// Entry is one changelog entry. AllEvals, AppendOnly, EvalMinPrefillEP
// and ScenarioType exist for today's configs only.
type Entry struct {
	ConfigKeys       []string `json:"config-keys"`
	Description      []string `json:"description"`
	PRLink           string   `json:"pr-link"`
	EvalsOnly        bool     `json:"evals-only"`
	AllEvals         bool     `json:"all-evals"`
	AppendOnly       bool     `json:"append-only"`
	EvalMinPrefillEP *int     `json:"eval-min-prefill-ep"`
	ScenarioType     []string `json:"scenario-type"`

	// Index is the entry's place in the file (0-based); Line where it starts.
	Index int `json:"-"`
	Line  int `json:"-"`
}

// Scenarios is the entry's scenario types, all when it names none.
func (e Entry) Scenarios() []string {
	if len(e.ScenarioType) == 0 {
		return sweep.ScenarioTypes()
	}
	return e.ScenarioType
}

// CheckFormat refuses the fields of today's format in entries that run
// Feb-2026 configs, which have no such choices.
func (f *File) CheckFormat(entries []Entry, format config.Format) error {
	if format != config.FormatFeb2026 {
		return nil
	}
	var problems diag.List
	for _, e := range entries {
		item, _ := f.Doc.Root.([]any)[e.Index].(map[string]any)
		for _, field := range []string{"all-evals", "append-only", "eval-min-prefill-ep", "scenario-type"} {
			if _, ok := item[field]; ok {
				problems = append(problems, f.Doc.KeyDiag(fmt.Sprintf("/%d/%s", e.Index, field),
					"%s is only for configs in today's format; the master configs are in the Feb-2026 format (seq-len-configs)", field))
			}
		}
	}
	if len(problems) > 0 {
		return problems
	}
	return nil
}

// File is a parsed changelog.
type File struct {
	Name  string
	Doc   *yamldoc.Doc
	lines []string
	n     int // number of entries
}

// Parse reads a changelog. The document must be a list (or empty).
func Parse(name string, data []byte) (*File, error) {
	doc, err := yamldoc.Parse(name, data)
	if err != nil {
		return nil, err
	}
	f := &File{Name: name, Doc: doc, lines: strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")}
	switch root := doc.Root.(type) {
	case nil:
	case []any:
		f.n = len(root)
	default:
		return nil, diag.List{doc.Diag("", "the changelog must be a list of entries (- config-keys: ...)")}
	}
	return f, nil
}

// Len is the number of entries.
func (f *File) Len() int { return f.n }

// span returns the first and last line (1-based) that belong to entry i:
// from its first line up to the line before the next entry.
func (f *File) span(i int) (first, last int) {
	first = f.Doc.Pos("/" + strconv.Itoa(i)).Line
	if i+1 < f.n {
		last = f.Doc.Pos("/"+strconv.Itoa(i+1)).Line - 1
	} else {
		last = len(f.lines)
	}
	// A "- " on a line of its own before the first key belongs to the entry.
	for first > 1 && strings.TrimSpace(f.lines[first-2]) == "-" {
		first--
	}
	return first, last
}

// content tells whether a line carries YAML content (not blank, not a
// comment, not a lone "-").
func (f *File) content(line int) bool {
	if line < 1 || line > len(f.lines) {
		return false
	}
	t := strings.TrimSpace(f.lines[line-1])
	return t != "" && t != "-" && !strings.HasPrefix(t, "#")
}

// Added returns the indexes of the entries that the diff (from base) adds
// whole. An
// entry that the diff only partly adds (an old entry edited), added content
// that belongs to no entry, and a removed line that is not blank are
// errors: the changelog only grows by new entries.
func (f *File) Added(d *Diff, base string) ([]int, error) {
	var problems diag.List
	for _, del := range d.Deleted {
		if strings.TrimSpace(del.Text) != "" {
			problems = append(problems, diag.Diagnostic{File: f.Name, Line: max(1, min(del.NewPos, len(f.lines))),
				Message: fmt.Sprintf("line %d of %s at %s was deleted (%q): entries are never removed or edited, only appended", del.Number, f.Name, base, strings.TrimSpace(del.Text))})
		}
	}
	covered := map[int]bool{}
	var added []int
	for i := 0; i < f.n; i++ {
		first, last := f.span(i)
		newLines, oldLines := 0, 0
		for l := first; l <= last; l++ {
			covered[l] = true
			if !f.content(l) {
				continue
			}
			if d.Added[l] {
				newLines++
			} else {
				oldLines++
			}
		}
		switch {
		case newLines > 0 && oldLines == 0:
			added = append(added, i)
		case newLines > 0:
			problems = append(problems, f.Doc.Diag("/"+strconv.Itoa(i), "entry %d was changed: existing entries must not be edited (add a new entry instead)", i))
		}
	}
	for l := range d.Added {
		if !covered[l] && f.content(l) {
			problems = append(problems, diag.Diagnostic{File: f.Name, Line: l, Message: "added text that is not part of a changelog entry"})
		}
	}
	if len(problems) > 0 {
		problems.Sort()
		return nil, problems
	}
	return added, nil
}

// Entries validates and decodes the given entries (all when idx is nil).
func (f *File) Entries(v *schemas.Validator, idx []int) ([]Entry, error) {
	root, _ := f.Doc.Root.([]any)
	if idx == nil {
		idx = make([]int, len(root))
		for i := range idx {
			idx[i] = i
		}
	}
	items := make([]any, len(idx))
	for j, i := range idx {
		items[j] = root[i]
	}
	if err := v.Validate(schemas.Changelog, items); err != nil {
		var se *schemas.Error
		if !errors.As(err, &se) {
			return nil, err
		}
		var out diag.List
		for _, vi := range se.Violations {
			// Pointers are into items: map the index back to the file's.
			ptr := vi.Pointer
			if rest, ok := strings.CutPrefix(ptr, "/"); ok {
				head, tail, _ := strings.Cut(rest, "/")
				if j, err := strconv.Atoi(head); err == nil && j < len(idx) {
					ptr = "/" + strconv.Itoa(idx[j])
					if tail != "" {
						ptr += "/" + tail
					}
				}
			}
			if vi.AtKey {
				out = append(out, f.Doc.KeyDiag(ptr, "%s", vi.Message))
			} else {
				out = append(out, f.Doc.Diag(ptr, "%s", vi.Message))
			}
		}
		out.Sort()
		return nil, out
	}
	entries := make([]Entry, len(idx))
	for j, i := range idx {
		ptr := "/" + strconv.Itoa(i)
		if err := f.Doc.Decode(ptr, &entries[j]); err != nil {
			return nil, err
		}
		entries[j].Index, entries[j].Line = i, f.Doc.Pos(ptr).Line
	}
	return entries, nil
}

// Resolve expands an entry's config keys against the master configs: a key
// names itself, a pattern with * (any run of characters, whole key) every
// key it matches, in master config order. A key or pattern naming nothing is
// an error. The result has no repeats.
func (f *File) Resolve(m *config.Master, e Entry) ([]string, error) {
	var out []string
	var problems diag.List
	for j, k := range e.ConfigKeys {
		ptr := fmt.Sprintf("/%d/config-keys/%d", e.Index, j)
		var matched []string
		if strings.Contains(k, "*") {
			for _, key := range m.Keys() {
				if Match(k, key) {
					matched = append(matched, key)
				}
			}
			if len(matched) == 0 {
				problems = append(problems, f.Doc.Diag(ptr, "the pattern %q matches no master config key", k))
			}
		} else if _, ok := m.Lookup(k); ok {
			matched = []string{k}
		} else {
			msg := fmt.Sprintf("no master config key %q", k)
			if s := suggest.Closest(k, m.Keys(), 2); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			problems = append(problems, f.Doc.Diag(ptr, "%s", msg))
		}
		for _, key := range matched {
			if !slices.Contains(out, key) {
				out = append(out, key)
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// Match reports whether key matches pattern, where * stands for any run of
// characters (possibly none) and everything else for itself.
func Match(pattern, key string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == key
	}
	if !strings.HasPrefix(key, parts[0]) {
		return false
	}
	key = key[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(key, p)
		if i < 0 {
			return false
		}
		key = key[i+len(p):]
	}
	return len(key) >= len(last) && strings.HasSuffix(key, last)
}
