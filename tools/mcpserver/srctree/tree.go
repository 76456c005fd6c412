package srctree

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Manifest describes an extracted tree: the commit it was taken from, the
// files served (sorted) and, for files of the commit that were left out,
// why.
type Manifest struct {
	Commit  string            `json:"commit"`
	Filter  string            `json:"filter"`
	Files   []File            `json:"files"`
	Skipped map[string]string `json:"skipped"`
}

// File is one served file.
type File struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// Layout of an extracted tree: the files under SrcDir, the manifest next
// to it, so that no file of the repository can collide with it.
const (
	SrcDir       = "src"
	ManifestName = "manifest.json"
)

// Tree is an extracted, read-only tree of served files.
type Tree struct {
	Dir      string // holds SrcDir and ManifestName
	Manifest Manifest
	index    map[string]int // path -> position in Manifest.Files
}

// Load opens the tree extracted at dir.
func Load(dir string) (*Tree, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("opening extracted tree: %w", err)
	}
	t := &Tree{Dir: dir}
	if err := json.Unmarshal(data, &t.Manifest); err != nil {
		return nil, fmt.Errorf("%s: corrupt manifest: %w", filepath.Join(dir, ManifestName), err)
	}
	t.index = make(map[string]int, len(t.Manifest.Files))
	for i, f := range t.Manifest.Files {
		t.index[f.Path] = i
	}
	return t, nil
}

// WriteManifest writes m into dir, sorting its files.
func WriteManifest(dir string, m *Manifest) error {
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	if m.Skipped == nil {
		m.Skipped = map[string]string{}
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), data, 0o444)
}

// Files lists the served files in path order.
func (t *Tree) Files() []File { return t.Manifest.Files }

// PathError is a request path that is refused before any file is looked
// at.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string { return fmt.Sprintf("path %q refused: %s", e.Path, e.Reason) }

// NotServedError is a file that exists at the commit but is filtered out.
type NotServedError struct {
	Path   string
	Reason string
}

func (e *NotServedError) Error() string {
	return fmt.Sprintf("%s is not served: %s", e.Path, e.Reason)
}

// ErrNotFound is a path that is not a file of the commit.
var ErrNotFound = errors.New("no such file")

// CleanPath checks a request path (slash-separated, relative to the
// repository root, already percent-decoded) and returns it in canonical
// form. It refuses anything that could name a file outside the tree: ".."
// elements, absolute paths, backslashes, NUL bytes. Empty and "." elements
// are dropped.
func CleanPath(p string) (string, error) {
	switch {
	case p == "":
		return "", &PathError{p, "empty path"}
	case strings.ContainsRune(p, 0):
		return "", &PathError{p, "contains a NUL byte"}
	case strings.Contains(p, `\`):
		return "", &PathError{p, "contains a backslash; use / between path elements"}
	case strings.HasPrefix(p, "/"):
		return "", &PathError{p, "absolute path; paths are relative to the repository root"}
	}
	var out []string
	for _, e := range strings.Split(p, "/") {
		switch e {
		case "", ".":
			continue
		case "..":
			return "", &PathError{p, "escapes the repository (\"..\" is not allowed)"}
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return "", &PathError{p, "names the repository root, not a file"}
	}
	clean := strings.Join(out, "/")
	if !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", &PathError{p, "not a local path"}
	}
	return clean, nil
}

// Stat returns the served file at clean path p.
func (t *Tree) Stat(p string) (File, error) {
	if i, ok := t.index[p]; ok {
		return t.Manifest.Files[i], nil
	}
	if reason, ok := t.Manifest.Skipped[p]; ok {
		return File{}, &NotServedError{p, reason}
	}
	return File{}, fmt.Errorf("%s: %w", p, ErrNotFound)
}

// ReadFile returns the contents of the served file at p, a path that
// CleanPath accepted. The read goes through os.Root, so even a symlink
// planted in the tree cannot lead outside it.
func (t *Tree) ReadFile(p string) ([]byte, error) {
	if _, err := t.Stat(p); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(filepath.Join(t.Dir, SrcDir))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(p))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: listed but missing from the extracted tree %s (delete it to re-extract): %w", p, t.Dir, ErrNotFound)
		}
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// HasDir reports whether some served file lies under directory p.
func (t *Tree) HasDir(p string) bool {
	prefix := p + "/"
	i, _ := slices.BinarySearchFunc(t.Manifest.Files, prefix, func(f File, s string) int { return strings.Compare(f.Path, s) })
	return i < len(t.Manifest.Files) && strings.HasPrefix(t.Manifest.Files[i].Path, prefix)
}
