package repocache

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/tools/mcpserver/srctree"
)

// treeEntry is one line of ls-tree.
type treeEntry struct {
	mode, typ, oid, path string
}

// lsTree lists every entry of the commit's tree. Trees are in the partial
// clone, so this fetches nothing.
func (r *Repo) lsTree(ctx context.Context, commit string) ([]treeEntry, error) {
	out, err := r.c.git(ctx, nil, "--git-dir="+r.GitDir, "ls-tree", "-r", "-z", "--full-tree", commit)
	if err != nil {
		return nil, err
	}
	var entries []treeEntry
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, p, ok := bytes.Cut(rec, []byte{'\t'})
		f := strings.Fields(string(meta))
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("unexpected ls-tree record %q", rec)
		}
		entries = append(entries, treeEntry{mode: f[0], typ: f[1], oid: f[2], path: string(p)})
	}
	return entries, nil
}

// prefetch downloads, in one request, those of oids that the partial clone
// lacks. Without it git would fetch each missing blob on its own round
// trip. revs are the commits whose trees hold oids.
func (r *Repo) prefetch(ctx context.Context, oids map[string]bool, revs ...string) error {
	if len(oids) == 0 {
		return nil
	}
	// --missing=print lists absent objects with a "?" instead of fetching
	// them; --no-walk limits the listing to the named commits' trees.
	args := append([]string{"--git-dir=" + r.GitDir, "rev-list", "--objects", "--no-object-names", "--missing=print", "--no-walk"}, revs...)
	out, err := r.c.git(ctx, nil, args...)
	if err != nil {
		return err
	}
	var want bytes.Buffer
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if oid, ok := strings.CutPrefix(line, "?"); ok && oids[oid] {
			want.WriteString(oid)
			want.WriteByte('\n')
			n++
		}
	}
	if n == 0 {
		return nil
	}
	r.c.log().Info("fetching file contents", "framework", r.Name, "files", n)
	_, err = r.c.git(ctx, &want, "--git-dir="+r.GitDir, "-c", "fetch.negotiationAlgorithm=noop",
		"fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin", "origin")
	if err != nil {
		return fmt.Errorf("fetching %d file contents of %s from %s: %w", n, r.Name, r.URL, err)
	}
	return nil
}

// Extract returns the tree of served files at commit, extracting it into
// the cache on first use. Files are read straight from the object store
// (no checkout, no index, no smudge filters), so nothing runs that the
// upstream repository could control; symbolic links and submodules are
// left out, and the files are written read-only.
func (r *Repo) Extract(ctx context.Context, commit string, filter srctree.Filter) (*srctree.Tree, error) {
	dir := filepath.Join(r.c.Dir, "trees", r.Name, commit+"-"+filter.Key())
	if exists(filepath.Join(dir, srctree.ManifestName)) {
		return srctree.Load(dir)
	}
	start := time.Now()
	entries, err := r.lsTree(ctx, commit)
	if err != nil {
		return nil, err
	}
	m := &srctree.Manifest{Commit: commit, Filter: filter.Key(), Skipped: map[string]string{}}
	var wanted []treeEntry
	oids := map[string]bool{}
	for _, e := range entries {
		clean, err := srctree.CleanPath(e.path)
		switch {
		case err != nil || clean != e.path:
			// Git refuses such paths itself; a hostile server could still
			// send them.
			r.c.log().Warn("skipping unsafe path", "framework", r.Name, "path", e.path)
			continue
		case e.mode == "120000":
			m.Skipped[e.path] = "symbolic link"
			continue
		case e.typ == "commit":
			m.Skipped[e.path] = "git submodule (its repository is not fetched)"
			continue
		case e.typ != "blob":
			continue
		}
		if reason := filter.PathReason(e.path); reason != "" {
			m.Skipped[e.path] = reason
			continue
		}
		wanted = append(wanted, e)
		oids[e.oid] = true
	}
	if err := r.prefetch(ctx, oids, commit); err != nil {
		return nil, err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, ".extract-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := r.writeBlobs(ctx, filepath.Join(tmp, srctree.SrcDir), wanted, filter, m); err != nil {
		return nil, err
	}
	if err := srctree.WriteManifest(tmp, m); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another server extracted the same tree meanwhile: use theirs.
		if exists(filepath.Join(dir, srctree.ManifestName)) {
			return srctree.Load(dir)
		}
		return nil, err
	}
	r.c.log().Info("extracted tree", "framework", r.Name, "commit", commit[:min(12, len(commit))], "files", len(m.Files), "skipped", len(m.Skipped), "took", time.Since(start).Round(time.Millisecond))
	return srctree.Load(dir)
}

// writeBlobs streams the wanted blobs out of git cat-file --batch and
// writes those whose content the filter accepts under dst.
func (r *Repo) writeBlobs(ctx context.Context, dst string, wanted []treeEntry, filter srctree.Filter, m *srctree.Manifest) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := r.c.command(ctx, "--git-dir="+r.GitDir, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	// Feed the object names while the contents are read, or both pipes
	// fill up and the two processes wait on each other.
	go func() {
		w := bufio.NewWriter(stdin)
		for _, e := range wanted {
			if _, err := w.WriteString(e.oid + "\n"); err != nil {
				break
			}
		}
		_ = w.Flush()
		stdin.Close()
	}()
	readErr := r.readBlobs(bufio.NewReaderSize(stdout, 1<<16), dst, wanted, filter, m)
	if readErr != nil {
		cancel() // stop git; its exit status no longer matters
		_ = cmd.Wait()
		return readErr
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &GitError{Args: []string{"cat-file", "--batch"}, Stderr: stderr.String(), Err: err}
	}
	return nil
}

func (r *Repo) readBlobs(br *bufio.Reader, dst string, wanted []treeEntry, filter srctree.Filter, m *srctree.Manifest) error {
	made := map[string]bool{}
	for _, e := range wanted {
		header, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("reading %s from git cat-file: %w", e.path, err)
		}
		f := strings.Fields(header)
		if len(f) == 2 && f[1] == "missing" {
			return fmt.Errorf("%s: object %s of %s is missing from the clone", r.Name, e.oid, e.path)
		}
		if len(f) != 3 || f[0] != e.oid {
			return fmt.Errorf("unexpected git cat-file header %q for %s", strings.TrimSpace(header), e.path)
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("unexpected git cat-file header %q", strings.TrimSpace(header))
		}
		// Decide from the size and the first bytes before reading the rest.
		head, _ := br.Peek(int(min(size, 8000)))
		if reason := filter.ContentReason(size, head); reason != "" {
			m.Skipped[e.path] = reason
			if _, err := io.CopyN(io.Discard, br, size+1); err != nil {
				return fmt.Errorf("reading %s from git cat-file: %w", e.path, err)
			}
			continue
		}
		target := filepath.Join(dst, filepath.FromSlash(e.path))
		if d := filepath.Dir(target); !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			made[d] = true
		}
		switch err := writeFile(target, br, size); {
		case errors.Is(err, fs.ErrExist):
			// Two paths that differ only in case, on a file system that
			// does not tell them apart: keep the first.
			m.Skipped[e.path] = "its name collides with another file's on this case-insensitive file system"
			if _, err := io.CopyN(io.Discard, br, size); err != nil {
				return fmt.Errorf("reading %s from git cat-file: %w", e.path, err)
			}
		case err != nil:
			return fmt.Errorf("writing %s: %w", e.path, err)
		default:
			m.Files = append(m.Files, srctree.File{Path: e.path, Size: size})
		}
		if _, err := br.Discard(1); err != nil { // the newline after the content
			return fmt.Errorf("reading %s from git cat-file: %w", e.path, err)
		}
	}
	return nil
}

// writeFile writes the next size bytes of r to a new read-only file.
func writeFile(path string, r io.Reader, size int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
