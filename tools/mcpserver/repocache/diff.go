package repocache

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/tools/mcpserver/srctree"
)

// Change is one file that differs between two commits.
type Change struct {
	// Status is A (added), D (deleted), M (modified), R (renamed), T (type
	// changed) or C (copied).
	Status  string `json:"status"`
	Path    string `json:"path"`
	OldPath string `json:"old_path,omitempty"`
	// Added and Deleted count lines; both are -1 for a binary file.
	Added   int `json:"added"`
	Deleted int `json:"deleted"`
}

// DiffOptions bounds a comparison.
type DiffOptions struct {
	Path     string // a clean path (file or directory), or "" for everything
	MaxFiles int    // changes listed; the totals cover all of them
	// Patch asks for the unified diff too, cut at MaxPatchBytes.
	Patch         bool
	MaxPatchBytes int
}

// Diff is what changed between two commits among the files the filter
// serves.
type Diff struct {
	Changes    []Change `json:"changes"`
	Files      int      `json:"files_changed"`
	Insertions int      `json:"insertions"`
	Deletions  int      `json:"deletions"`
	// Truncated says Changes lists only the first MaxFiles.
	Truncated bool `json:"truncated"`
	// Skipped counts changed files the filter does not serve (tests,
	// vendored trees, binaries by type).
	Skipped        int    `json:"skipped"`
	Patch          string `json:"patch,omitempty"`
	PatchTruncated bool   `json:"patch_truncated,omitempty"`
}

var zeroOID = strings.Repeat("0", 40)

// Diff compares the trees of two commits under opts.Path, with rename
// detection, listing changes in path order.
func (r *Repo) Diff(ctx context.Context, from, to string, filter srctree.Filter, opts DiffOptions) (*Diff, error) {
	pathspec := []string{"--"}
	if opts.Path != "" {
		// A literal pathspec: no glob magic in a user's path.
		pathspec = append(pathspec, ":(literal)"+opts.Path)
	}
	// First pass on trees alone (present in the partial clone): which
	// files changed, and which blobs their line counts need.
	raw, err := r.c.git(ctx, nil, append([]string{"--git-dir=" + r.GitDir, "diff-tree", "-r", "-z", "--no-renames", from, to}, pathspec...)...)
	if err != nil {
		return nil, err
	}
	d := &Diff{Changes: []Change{}}
	keep := map[string]bool{}
	oids := map[string]bool{}
	recs := bytes.Split(raw, []byte{0})
	for i := 0; i+1 < len(recs); i += 2 {
		meta, p := string(recs[i]), string(recs[i+1])
		f := strings.Fields(strings.TrimPrefix(meta, ":"))
		if len(f) != 5 {
			return nil, fmt.Errorf("unexpected diff-tree record %q", meta)
		}
		if filter.PathReason(p) != "" {
			d.Skipped++
			continue
		}
		keep[p] = true
		for _, oid := range f[2:4] {
			if oid != zeroOID {
				oids[oid] = true
			}
		}
	}
	if len(keep) == 0 {
		return d, nil
	}
	if err := r.prefetch(ctx, oids, from, to); err != nil {
		return nil, err
	}
	// Name the kept files one by one: rename detection then never pairs
	// a served file with one whose contents were not fetched.
	paths := slices.Sorted(maps.Keys(keep))
	common := []string{"--git-dir=" + r.GitDir, "--literal-pathspecs", "-c", "diff.renameLimit=10000",
		"diff", "--no-ext-diff", "--no-textconv", "--no-color", "--src-prefix=a/", "--dst-prefix=b/", "-M"}
	run := func(extra ...string) ([]byte, error) {
		args := append(slices.Clone(common), extra...)
		args = append(args, from, to, "--")
		return r.c.git(ctx, nil, append(args, paths...)...)
	}
	status, err := run("-z", "--name-status")
	if err != nil {
		return nil, err
	}
	numstat, err := run("-z", "--numstat")
	if err != nil {
		return nil, err
	}
	changes, err := parseNameStatus(status)
	if err != nil {
		return nil, err
	}
	counts, err := parseNumstat(numstat)
	if err != nil {
		return nil, err
	}
	for i := range changes {
		c := &changes[i]
		if n, ok := counts[c.Path]; ok {
			c.Added, c.Deleted = n[0], n[1]
		}
		if c.Added > 0 {
			d.Insertions += c.Added
		}
		if c.Deleted > 0 {
			d.Deletions += c.Deleted
		}
	}
	slices.SortFunc(changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	d.Files = len(changes)
	if opts.MaxFiles > 0 && len(changes) > opts.MaxFiles {
		changes, d.Truncated = changes[:opts.MaxFiles], true
	}
	d.Changes = changes
	if opts.Patch {
		args := append(slices.Clone(common), from, to, "--")
		if err := r.patch(ctx, append(args, patchPaths(changes)...), opts.MaxPatchBytes, d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// patch reads the unified diff, stopping git once max bytes are in.
func (r *Repo) patch(ctx context.Context, args []string, max int, d *Diff) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := r.c.command(ctx, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	buf, readErr := io.ReadAll(io.LimitReader(out, int64(max)+1))
	if len(buf) > max {
		// Cut at a line end so that the last hunk line is whole.
		buf = buf[:max]
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			buf = buf[:i+1]
		}
		d.PatchTruncated = true
		cancel()
		_ = cmd.Wait()
	} else if err := cmd.Wait(); err != nil {
		return &GitError{Args: args, Stderr: stderr.String(), Err: err}
	} else if readErr != nil {
		return readErr
	}
	d.Patch = string(buf)
	return nil
}

// patchPaths names the files of the listed changes, both sides of a
// rename, so that the patch covers exactly what the listing shows.
func patchPaths(changes []Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Path)
		if c.OldPath != "" {
			out = append(out, c.OldPath)
		}
	}
	return out
}

func parseNameStatus(out []byte) ([]Change, error) {
	var changes []Change
	f := bytes.Split(out, []byte{0})
	for i := 0; i < len(f); {
		st := string(f[i])
		if st == "" {
			i++
			continue
		}
		c := Change{Status: st[:1]}
		switch c.Status {
		case "R", "C":
			if i+2 >= len(f) {
				return nil, fmt.Errorf("truncated name-status record %q", st)
			}
			c.OldPath, c.Path = string(f[i+1]), string(f[i+2])
			i += 3
		default:
			if i+1 >= len(f) {
				return nil, fmt.Errorf("truncated name-status record %q", st)
			}
			c.Path = string(f[i+1])
			i += 2
		}
		changes = append(changes, c)
	}
	return changes, nil
}

// parseNumstat maps each (new) path to its added and deleted line counts.
// With -z a rename is "a\td\t\0old\0new\0", anything else "a\td\tpath\0".
func parseNumstat(out []byte) (map[string][2]int, error) {
	counts := map[string][2]int{}
	f := bytes.Split(out, []byte{0})
	for i := 0; i < len(f); {
		rec := string(f[i])
		if rec == "" {
			i++
			continue
		}
		parts := strings.SplitN(rec, "\t", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("unexpected numstat record %q", rec)
		}
		n := [2]int{count(parts[0]), count(parts[1])}
		if parts[2] == "" {
			if i+2 >= len(f) {
				return nil, fmt.Errorf("truncated numstat record %q", rec)
			}
			counts[string(f[i+2])] = n
			i += 3
			continue
		}
		counts[parts[2]] = n
		i++
	}
	return counts, nil
}

func count(s string) int {
	if s == "-" {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
