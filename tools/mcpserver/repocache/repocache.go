package repocache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Cache is a folder of repositories:
//
//	<Dir>/repos/<name>-<url hash>.git   bare partial clone (commits and trees; blobs on demand)
//	<Dir>/trees/<name>/<commit>-<filter>/  extracted read-only trees
//	<Dir>/locks/                       advisory locks shared by servers
type Cache struct {
	Dir string
	Git string // git executable; "" = "git" from PATH
	Log *slog.Logger
}

// DefaultDir is $INFERENCEX_MCP_CACHE if set, else inferencex-mcp under the
// user's cache folder ($XDG_CACHE_HOME, ~/.cache, ~/Library/Caches).
func DefaultDir() (string, error) {
	if d := os.Getenv("INFERENCEX_MCP_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder (set --cache-dir or INFERENCEX_MCP_CACHE): %w", err)
	}
	return filepath.Join(base, "inferencex-mcp"), nil
}

func (c *Cache) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Repo is one upstream repository in the cache.
type Repo struct {
	c      *Cache
	Name   string
	URL    string
	GitDir string

	mu        sync.Mutex
	refreshed bool
}

// Repo returns the cache entry for the repository at url, known as name.
// The clone's folder is keyed by the URL too, so that pointing a name at
// another repository (a fork, a test fixture) never mixes their tags.
func (c *Cache) Repo(name, url string) *Repo {
	h := sha256.Sum256([]byte(url))
	return &Repo{c: c, Name: name, URL: url, GitDir: filepath.Join(c.Dir, "repos", name+"-"+hex.EncodeToString(h[:4])+".git")}
}

// CloneError is a repository that could not be cloned.
type CloneError struct {
	Name, URL string
	Err       error
}

func (e *CloneError) Error() string {
	return fmt.Sprintf("cloning %s from %s failed: %v", e.Name, e.URL, e.Err)
}

func (e *CloneError) Unwrap() error { return e.Err }

// Exists reports whether the clone is in the cache.
func (r *Repo) Exists() bool {
	_, err := os.Stat(filepath.Join(r.GitDir, "objects"))
	return err == nil
}

// Ensure clones the repository into the cache unless it is there. The
// clone is partial (blob:none where the server supports it: commits and
// trees of every tag, file contents fetched when a tree is extracted) and
// fetches tags only, which is all that versions are. It is built in a
// temporary folder and renamed into place, so that an interrupted clone
// leaves nothing that looks complete.
func (r *Repo) Ensure(ctx context.Context) error {
	if r.Exists() {
		return nil
	}
	unlock, err := r.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if r.Exists() { // another server cloned it while we waited
		return nil
	}
	reposDir := filepath.Dir(r.GitDir)
	if err := os.MkdirAll(reposDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(reposDir, ".clone-"+r.Name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	r.c.log().Info("cloning", "framework", r.Name, "url", r.URL, "into", r.GitDir)
	start := time.Now()
	steps := [][]string{
		{"init", "--bare", "--quiet", tmp},
		{"--git-dir=" + tmp, "config", "remote.origin.url", r.URL},
		{"--git-dir=" + tmp, "config", "remote.origin.fetch", "+refs/tags/*:refs/tags/*"},
		{"--git-dir=" + tmp, "config", "remote.origin.tagOpt", "--no-tags"},
		{"--git-dir=" + tmp, "config", "remote.origin.promisor", "true"},
		{"--git-dir=" + tmp, "config", "remote.origin.partialclonefilter", "blob:none"},
		{"--git-dir=" + tmp, "config", "core.repositoryformatversion", "1"},
		{"--git-dir=" + tmp, "config", "extensions.partialClone", "origin"},
		{"--git-dir=" + tmp, "fetch", "--quiet", "--prune", "--force", "--no-write-fetch-head", "origin"},
	}
	for _, args := range steps {
		if _, err := r.c.git(ctx, nil, args...); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &CloneError{Name: r.Name, URL: r.URL, Err: err}
		}
	}
	if err := os.Rename(tmp, r.GitDir); err != nil {
		return &CloneError{Name: r.Name, URL: r.URL, Err: err}
	}
	r.mu.Lock()
	r.refreshed = true
	r.mu.Unlock()
	r.c.log().Info("cloned", "framework", r.Name, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (r *Repo) lock(ctx context.Context) (func(), error) {
	dir := filepath.Join(r.c.Dir, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return lockFile(ctx, filepath.Join(dir, filepath.Base(r.GitDir)+".lock"))
}

// Refreshed reports whether the tags were fetched by this process.
func (r *Repo) Refreshed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refreshed
}

// Refresh fetches the upstream tags (new releases since the clone), once
// per process unless force is set.
func (r *Repo) Refresh(ctx context.Context, force bool) error {
	if !force && r.Refreshed() {
		return nil
	}
	if err := r.Ensure(ctx); err != nil {
		return err
	}
	unlock, err := r.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	r.c.log().Info("fetching tags", "framework", r.Name, "url", r.URL)
	if _, err := r.c.git(ctx, nil, "--git-dir="+r.GitDir, "fetch", "--quiet", "--prune", "--force", "--no-write-fetch-head", "origin"); err != nil {
		return fmt.Errorf("fetching %s tags from %s: %w", r.Name, r.URL, err)
	}
	r.mu.Lock()
	r.refreshed = true
	r.mu.Unlock()
	return nil
}

// Tag is one tag and the commit it names.
type Tag struct {
	Name   string    `json:"name"`
	Commit string    `json:"commit"`
	Time   time.Time `json:"time"` // committer time of the commit
}

// Tags lists the tags in the clone that name commits, in name order.
func (r *Repo) Tags(ctx context.Context) ([]Tag, error) {
	if err := r.Ensure(ctx); err != nil {
		return nil, err
	}
	// For an annotated tag the * fields describe the object it points at.
	const format = "%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(committerdate:unix)%00%(*objecttype)%00%(*objectname)%00%(*committerdate:unix)"
	out, err := r.c.git(ctx, nil, "--git-dir="+r.GitDir, "for-each-ref", "--sort=refname", "--format="+format, "refs/tags")
	if err != nil {
		return nil, err
	}
	var tags []Tag
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\x00")
		if len(f) != 7 {
			return nil, fmt.Errorf("unexpected for-each-ref line %q", line)
		}
		t := Tag{Name: f[0]}
		var when string
		switch {
		case f[1] == "commit":
			t.Commit, when = f[2], f[3]
		case f[1] == "tag" && f[4] == "commit":
			t.Commit, when = f[5], f[6]
		default:
			continue // a tag of a tree or blob, or of another tag: not a version
		}
		if sec, err := strconv.ParseInt(when, 10, 64); err == nil {
			t.Time = time.Unix(sec, 0).UTC()
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// ErrNoCommit is a revision that names no commit in the clone.
var ErrNoCommit = errors.New("no such commit")

// Commit resolves a tag name to its commit.
func (r *Repo) Commit(ctx context.Context, tag string) (string, error) {
	out, err := r.c.git(ctx, nil, "--git-dir="+r.GitDir, "rev-parse", "--verify", "--quiet", "refs/tags/"+tag+"^{commit}")
	if err != nil {
		if isExit(err, 1) {
			return "", fmt.Errorf("%s: tag %q: %w", r.Name, tag, ErrNoCommit)
		}
		return "", err
	}
	return string(bytes.TrimSpace(out)), nil
}

// exists reports whether path exists; errors other than absence count as
// existing, so that a later open reports them.
func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
