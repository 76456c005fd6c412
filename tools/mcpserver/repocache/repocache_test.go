package repocache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/tools/mcpserver/internal/testrepo"
	"github.com/inferencex/inferencex-go/tools/mcpserver/srctree"
)

var history = []testrepo.Commit{
	{
		Files: map[string]string{
			"README.md":                "# demo\n",
			"pkg/core/scheduler.py":    "class Scheduler:\n    max_num_seqs = 256\n",
			"pkg/core/old_name.py":     "def helper():\n    return 1\n",
			"pkg/engine/args.py":       "MAX_MODEL_LEN = 4096\n",
			"tests/test_scheduler.py":  "def test(): pass\n",
			"third_party/lib/x.py":     "vendored = True\n",
			"assets/logo.png":          "\x89PNG\r\n\x1a\n\x00\x00",
			"pkg/data.json":            "{\"a\": \"\x00\"}",
			"kernels/blob.cubin.cpp":   "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n",
			"pkg/big.json":             strings.Repeat("x", 300) + "\n",
			"csrc/attention/kernel.cu": "__global__ void k() {}\n",
			"docs/serving/flags.md":    "--max-num-seqs\n",
			"pkg/proto/api_pb2.py":     "generated\n",
			".github/workflows/ci.yml": "on: push\n",
		},
		Symlink: map[string]string{"pkg/link.py": "/etc/passwd"},
		Tags:    []string{"v0.1.0"},
	},
	{
		Files: map[string]string{
			"pkg/core/scheduler.py": "class Scheduler:\n    max_num_seqs = 512\n    chunked_prefill = True\n",
			"pkg/core/new_name.py":  "def helper():\n    return 1\n",
			"pkg/core/added.py":     "NEW = 1\n",
			"tests/test_new.py":     "def test(): pass\n",
		},
		Delete:    []string{"pkg/core/old_name.py", "pkg/engine/args.py"},
		Annotated: []string{"v0.2.0rc1"},
	},
	{
		Files: map[string]string{"pkg/core/scheduler.py": "class Scheduler:\n    max_num_seqs = 1024\n    chunked_prefill = True\n"},
		Tags:  []string{"v0.2.0"},
	},
}

func TestMain(m *testing.M) {
	testrepo.Hermetic()
	os.Exit(m.Run())
}

func newCache(t *testing.T) (*Cache, string) {
	t.Helper()
	url := testrepo.Build(t, t.TempDir(), history)
	return &Cache{Dir: t.TempDir()}, url
}

func TestCloneTagsAndCommit(t *testing.T) {
	ctx := context.Background()
	c, url := newCache(t)
	r := c.Repo("demo", url)
	if r.Exists() {
		t.Fatal("repository exists before the clone")
	}
	tags, err := r.Tags(ctx) // clones on first use
	if err != nil {
		t.Fatal(err)
	}
	if !r.Exists() || !r.Refreshed() {
		t.Fatal("Tags did not clone")
	}
	var names []string
	for _, tg := range tags {
		names = append(names, tg.Name)
		if len(tg.Commit) != 40 {
			t.Errorf("tag %s commit %q", tg.Name, tg.Commit)
		}
	}
	if !slices.Equal(names, []string{"v0.1.0", "v0.2.0", "v0.2.0rc1"}) {
		t.Errorf("tags = %v", names)
	}
	// The annotated tag reports its commit's time, not the tag object's.
	if got, want := tags[2].Time, time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("v0.2.0rc1 time = %v, want %v", got, want)
	}
	commit, err := r.Commit(ctx, "v0.2.0rc1")
	if err != nil || commit != tags[2].Commit {
		t.Errorf("Commit(v0.2.0rc1) = %q, %v; want %q", commit, err, tags[2].Commit)
	}
	if _, err := r.Commit(ctx, "v9.9.9"); !errors.Is(err, ErrNoCommit) {
		t.Errorf("Commit(v9.9.9) error = %v, want ErrNoCommit", err)
	}
	// The clone is partial: it has no file contents yet.
	out := testrepo.Git(t, "", "--git-dir="+r.GitDir, "rev-list", "--objects", "--missing=print", "--no-walk", commit)
	if !strings.Contains(out, "?") {
		t.Errorf("clone holds every blob; want a partial clone")
	}
	// The clone's folder is keyed by URL.
	if other := c.Repo("demo", url+"x"); other.GitDir == r.GitDir {
		t.Errorf("two URLs share %s", r.GitDir)
	}
}

func TestRefreshFetchesNewTags(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url := testrepo.Build(t, dir, history)
	c := &Cache{Dir: t.TempDir()}
	r := c.Repo("demo", url)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	// Upstream tags a new release after the clone.
	bare := strings.TrimPrefix(url, "file://")
	testrepo.Git(t, bare, "tag", "v0.3.0", "v0.2.0")
	// A new process (a new Repo value) has not refreshed yet.
	r2 := c.Repo("demo", url)
	if r2.Refreshed() {
		t.Fatal("fresh Repo claims to be refreshed")
	}
	if err := r2.Refresh(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Commit(ctx, "v0.3.0"); err != nil {
		t.Errorf("after Refresh: %v", err)
	}
	// Once per process unless forced.
	testrepo.Git(t, bare, "tag", "v0.4.0", "v0.2.0")
	if err := r2.Refresh(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Commit(ctx, "v0.4.0"); !errors.Is(err, ErrNoCommit) {
		t.Errorf("unforced second Refresh fetched: %v", err)
	}
	if err := r2.Refresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Commit(ctx, "v0.4.0"); err != nil {
		t.Errorf("forced Refresh: %v", err)
	}
}

func TestCloneFailure(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	r := c.Repo("nowhere", "file://"+filepath.Join(t.TempDir(), "missing.git"))
	err := r.Ensure(context.Background())
	var ce *CloneError
	if !errors.As(err, &ce) {
		t.Fatalf("Ensure error = %v, want CloneError", err)
	}
	if !strings.Contains(err.Error(), "cloning nowhere from file://") || !strings.Contains(err.Error(), "missing.git' does not appear to be a git repository") ||
		!strings.Contains(err.Error(), "failed: git fetch: fatal:") {
		t.Errorf("error message %q", err)
	}
	if r.Exists() {
		t.Error("failed clone left a repository")
	}
	entries, _ := os.ReadDir(filepath.Join(c.Dir, "repos"))
	if len(entries) != 0 {
		t.Errorf("failed clone left %v", entries)
	}
}

func TestCancelledClone(t *testing.T) {
	c, url := newCache(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Repo("demo", url).Ensure(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ensure with a cancelled context = %v", err)
	}
}

func TestExtract(t *testing.T) {
	ctx := context.Background()
	c, url := newCache(t)
	r := c.Repo("demo", url)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	commit, err := r.Commit(ctx, "v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	filter := srctree.Filter{MaxFileSize: 200}
	tree, err := r.Extract(ctx, commit, filter)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range tree.Files() {
		files = append(files, f.Path)
	}
	want := []string{"README.md", "csrc/attention/kernel.cu", "docs/serving/flags.md", "pkg/core/old_name.py", "pkg/core/scheduler.py", "pkg/engine/args.py"}
	if !slices.Equal(files, want) {
		t.Errorf("files = %v\nwant  %v", files, want)
	}
	skipped := map[string]string{
		".github/workflows/ci.yml": "hidden directory .github/",
		"assets/logo.png":          "not a source or docs file type",
		"kernels/blob.cubin.cpp":   "Git LFS pointer",
		"pkg/big.json":             "301 bytes, over the 200-byte limit",
		"pkg/data.json":            "binary content",
		"pkg/link.py":              "symbolic link",
		"pkg/proto/api_pb2.py":     "generated file",
		"tests/test_scheduler.py":  "test directory tests/ (the server was started without --include-tests)",
		"third_party/lib/x.py":     "vendored, generated or build directory third_party/",
	}
	for p, reason := range skipped {
		if got := tree.Manifest.Skipped[p]; got != reason {
			t.Errorf("skipped[%s] = %q, want %q", p, got, reason)
		}
	}
	data, err := tree.ReadFile("pkg/core/scheduler.py")
	if err != nil || string(data) != history[0].Files["pkg/core/scheduler.py"] {
		t.Errorf("ReadFile = %q, %v", data, err)
	}
	// Files are written read-only.
	st, err := os.Stat(filepath.Join(tree.Dir, srctree.SrcDir, "README.md"))
	if err != nil || st.Mode().Perm()&0o222 != 0 {
		t.Errorf("README.md mode = %v, %v", st.Mode(), err)
	}
	// Blobs of filtered paths were never fetched.
	out := testrepo.Git(t, "", "--git-dir="+r.GitDir, "rev-list", "--objects", "--missing=print", "--no-walk", commit)
	missing := strings.Count(out, "?")
	if missing != 6 { // tests/, third_party/, .github/, logo.png, the api_pb2.py and the symlink
		t.Errorf("%d blobs missing after extract, want 6 (the path-filtered ones):\n%s", missing, out)
	}
	// A second extract reuses the tree; a different filter makes another.
	again, err := r.Extract(ctx, commit, filter)
	if err != nil || again.Dir != tree.Dir {
		t.Errorf("second Extract = %v, %v; want %s", again, err, tree.Dir)
	}
	withTests, err := r.Extract(ctx, commit, srctree.Filter{MaxFileSize: 200, IncludeTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if withTests.Dir == tree.Dir {
		t.Error("filters share a tree")
	}
	if _, err := withTests.Stat("tests/test_scheduler.py"); err != nil {
		t.Errorf("IncludeTests: %v", err)
	}
	// No temporary folders are left behind.
	entries, _ := os.ReadDir(filepath.Join(c.Dir, "trees", "demo"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestDiff(t *testing.T) {
	ctx := context.Background()
	c, url := newCache(t)
	r := c.Repo("demo", url)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	from, _ := r.Commit(ctx, "v0.1.0")
	to, _ := r.Commit(ctx, "v0.2.0")
	filter := srctree.DefaultFilter()

	d, err := r.Diff(ctx, from, to, filter, DiffOptions{MaxFiles: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Status: "A", Path: "pkg/core/added.py", Added: 1},
		{Status: "R", Path: "pkg/core/new_name.py", OldPath: "pkg/core/old_name.py"},
		{Status: "M", Path: "pkg/core/scheduler.py", Added: 2, Deleted: 1},
		{Status: "D", Path: "pkg/engine/args.py", Deleted: 1},
	}
	if !slices.Equal(d.Changes, want) {
		t.Errorf("changes = %+v\nwant %+v", d.Changes, want)
	}
	if d.Files != 4 || d.Insertions != 3 || d.Deletions != 2 || d.Skipped != 1 || d.Truncated {
		t.Errorf("totals = %+v", d)
	}

	// Limited to a path, with a patch.
	d, err = r.Diff(ctx, from, to, filter, DiffOptions{Path: "pkg/core/scheduler.py", MaxFiles: 100, Patch: true, MaxPatchBytes: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 1 || !strings.Contains(d.Patch, "+    max_num_seqs = 1024") || d.PatchTruncated {
		t.Errorf("path diff = %+v", d)
	}
	// Bounded listing and patch.
	d, err = r.Diff(ctx, from, to, filter, DiffOptions{Path: "pkg", MaxFiles: 2, Patch: true, MaxPatchBytes: 60})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 2 || !d.Truncated || d.Files != 4 || !d.PatchTruncated || len(d.Patch) > 60 || !strings.HasSuffix(d.Patch, "\n") {
		t.Errorf("bounded diff = %+v", d)
	}
	// Nothing changed under a path.
	d, err = r.Diff(ctx, from, to, filter, DiffOptions{Path: "docs"})
	if err != nil || d.Files != 0 || len(d.Changes) != 0 {
		t.Errorf("docs diff = %+v, %v", d, err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("INFERENCEX_MCP_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg-test")
	t.Setenv("HOME", "/tmp/home-test")
	d, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	// os.UserCacheDir uses XDG_CACHE_HOME on Linux and the BSDs.
	if strings.HasPrefix(os.Getenv("GOOS"), "darwin") {
		t.Skip("macOS ignores XDG_CACHE_HOME")
	}
	if d != "/tmp/xdg-test/inferencex-mcp" {
		t.Errorf("DefaultDir = %q", d)
	}
	t.Setenv("INFERENCEX_MCP_CACHE", "/tmp/override")
	if d, _ := DefaultDir(); d != "/tmp/override" {
		t.Errorf("with INFERENCEX_MCP_CACHE: %q", d)
	}
}

// BenchmarkExtract extracts a 2000-file tree (8 MB of source) from a local
// clone whose blobs are already fetched: the cost of serving a new version
// once the network part is done.
func BenchmarkExtract(b *testing.B) {
	files := map[string]string{}
	body := strings.Repeat("    def forward(self, hidden_states, positions, kv_cache):  # padding\n", 60)
	for i := range 2000 {
		files[fmt.Sprintf("pkg/mod%02d/file%04d.py", i%50, i)] = fmt.Sprintf("# %d\n%s", i, body)
	}
	url := testrepo.Build(b, b.TempDir(), []testrepo.Commit{{Files: files, Tags: []string{"v1.0.0"}}})
	c := &Cache{Dir: b.TempDir()}
	r := c.Repo("bench", url)
	ctx := context.Background()
	if err := r.Ensure(ctx); err != nil {
		b.Fatal(err)
	}
	commit, err := r.Commit(ctx, "v1.0.0")
	if err != nil {
		b.Fatal(err)
	}
	filter := srctree.DefaultFilter()
	if _, err := r.Extract(ctx, commit, filter); err != nil { // fetches the blobs
		b.Fatal(err)
	}
	b.SetBytes(int64(len(files) * (len(body) + 8)))
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if err := os.RemoveAll(filepath.Join(c.Dir, "trees")); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		tree, err := r.Extract(ctx, commit, filter)
		if err != nil || len(tree.Files()) != 2000 {
			b.Fatalf("%v", err)
		}
	}
}
