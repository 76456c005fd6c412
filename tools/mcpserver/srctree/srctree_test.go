package srctree

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPathReason(t *testing.T) {
	f := DefaultFilter()
	tests := []struct {
		path string
		want string // "" = served; else a prefix of the reason
	}{
		{"vllm/core/scheduler.py", ""},
		{"csrc/attention/attention_kernels.cu", ""},
		{"csrc/ops.h", ""},
		{"docs/source/serving.md", ""},
		{"README.md", ""},
		{"README", ""},
		{"LICENSE", ""},
		{"LICENSE-APACHE", ""},
		{"Dockerfile.rocm", ""},
		{"docker/Dockerfile", ""},
		{"CMakeLists.txt", ""},
		{"requirements-cuda.txt", ""},
		{"requirements/common.in", ""},
		{"pyproject.toml", ""},
		{"vllm/model_executor/layers/fused_moe/configs/E=8,N=14336,device_name=NVIDIA_H200.json", ""},
		{"sgl-kernel/src/kernel.cuh", ""},
		{"lib/Engine.RS", ""}, // extensions are case-insensitive
		{"tests/test_scheduler.py", "test directory tests/"},
		{"vllm/test/x.py", "test directory test/"},
		{"vllm/core/test_block.py", "test file"},
		{"vllm/core/block_test.py", "test file"},
		{"third_party/cutlass/include/cutlass.h", "vendored"},
		{"3rdparty/xgrammar/a.cc", "vendored"},
		{"a/node_modules/b.js", "vendored"},
		{"x.egg-info/PKG-INFO", "vendored"},
		{"python/__pycache__/a.py", "vendored"},
		{".github/workflows/ci.yml", "hidden directory .github/"},
		{".buildkite/run.sh", "hidden directory"},
		{"proto/api_pb2.py", "generated file"},
		{"web/app.min.js", "generated file"},
		{"assets/logo.png", "not a source or docs file type"},
		{"wheels/vllm.whl", "not a source or docs file type"},
		{"vllm/_C.so", "not a source or docs file type"},
		{"Makefile.bak", ""},
	}
	for _, tt := range tests {
		got := f.PathReason(tt.path)
		if (tt.want == "") != (got == "") || !strings.HasPrefix(got, tt.want) {
			t.Errorf("PathReason(%q) = %q, want %q…", tt.path, got, tt.want)
		}
	}
	withTests := Filter{MaxFileSize: 10, IncludeTests: true}
	for _, p := range []string{"tests/test_scheduler.py", "vllm/core/test_block.py"} {
		if r := withTests.PathReason(p); r != "" {
			t.Errorf("IncludeTests: PathReason(%q) = %q", p, r)
		}
	}
}

func TestContentReason(t *testing.T) {
	f := Filter{MaxFileSize: 100}
	tests := []struct {
		size int64
		head string
		want string
	}{
		{10, "print(1)\n", ""},
		{100, strings.Repeat("a", 100), ""},
		{101, "a", "101 bytes, over the 100-byte limit"},
		{20, "abc\x00def", "binary content"},
		{50, "version https://git-lfs.github.com/spec/v1\noid sha256:", "Git LFS pointer"},
		{0, "", ""},
	}
	for _, tt := range tests {
		if got := f.ContentReason(tt.size, []byte(tt.head)); got != tt.want {
			t.Errorf("ContentReason(%d, %q) = %q, want %q", tt.size, tt.head, got, tt.want)
		}
	}
	// A NUL past the sniffed prefix does not count.
	late := append([]byte(strings.Repeat("a", sniffLen)), 0)
	if got := (Filter{MaxFileSize: 1 << 20}).ContentReason(int64(len(late)), late); got != "" {
		t.Errorf("late NUL: %q", got)
	}
	if DefaultFilter().Key() == (Filter{MaxFileSize: DefaultMaxFileSize, IncludeTests: true}).Key() {
		t.Error("filters with different settings share a key")
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"vllm/core/scheduler.py", "vllm/core/scheduler.py", ""},
		{"./vllm//core/./scheduler.py", "vllm/core/scheduler.py", ""},
		{"vllm/", "vllm", ""},
		{"../../etc/passwd", "", `path "../../etc/passwd" refused: escapes the repository (".." is not allowed)`},
		{"vllm/../../etc/passwd", "", "escapes the repository"},
		{"vllm/../README.md", "", "escapes the repository"},
		{"..", "", "escapes the repository"},
		{"/etc/passwd", "", "absolute path"},
		{`..\..\windows`, "", "backslash"},
		{"a\x00b", "", "NUL"},
		{"", "", "empty path"},
		{"./", "", "names the repository root"},
		{"...", "...", ""}, // a legal, if odd, file name
	}
	for _, tt := range tests {
		got, err := CleanPath(tt.in)
		if tt.err != "" {
			var pe *PathError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("CleanPath(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"a/b.py", "../x", "a/../../b", "/abs", "./a//b", "a\\b", ".."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		clean, err := CleanPath(p)
		if err != nil {
			return
		}
		// Whatever is accepted stays inside any root it is joined to.
		root := "/srv/tree"
		full := filepath.Join(root, filepath.FromSlash(clean))
		if !strings.HasPrefix(full, root+"/") {
			t.Fatalf("CleanPath(%q) = %q escapes to %s", p, clean, full)
		}
		if again, err := CleanPath(clean); err != nil || again != clean {
			t.Fatalf("CleanPath not idempotent on %q: %q, %v", clean, again, err)
		}
	})
}

// makeTree writes files into a tree with a manifest, as repocache does.
func makeTree(t testing.TB, files map[string]string, skipped map[string]string) *Tree {
	t.Helper()
	dir := t.TempDir()
	m := &Manifest{Commit: "c0ffee", Filter: DefaultFilter().Key(), Skipped: skipped}
	for p, content := range files {
		full := filepath.Join(dir, SrcDir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o444); err != nil {
			t.Fatal(err)
		}
		m.Files = append(m.Files, File{Path: p, Size: int64(len(content))})
	}
	if err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	tree, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestTreeRead(t *testing.T) {
	tree := makeTree(t, map[string]string{
		"a/x.py":   "x = 1\n",
		"a/b/y.py": "y = 2\n",
		"z.md":     "# z\n",
	}, map[string]string{"big.json": "2000000 bytes, over the 1048576-byte limit"})
	var paths []string
	for _, f := range tree.Files() {
		paths = append(paths, f.Path)
	}
	if !slices.Equal(paths, []string{"a/b/y.py", "a/x.py", "z.md"}) {
		t.Errorf("Files = %v", paths)
	}
	if data, err := tree.ReadFile("a/x.py"); err != nil || string(data) != "x = 1\n" {
		t.Errorf("ReadFile = %q, %v", data, err)
	}
	_, err := tree.ReadFile("big.json")
	var ns *NotServedError
	if !errors.As(err, &ns) || err.Error() != "big.json is not served: 2000000 bytes, over the 1048576-byte limit" {
		t.Errorf("ReadFile(big.json) = %v", err)
	}
	if _, err := tree.ReadFile("nope.py"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadFile(nope.py) = %v", err)
	}
	if !tree.HasDir("a") || !tree.HasDir("a/b") || tree.HasDir("a/x.py") || tree.HasDir("q") {
		t.Error("HasDir wrong")
	}
}

func TestReadRefusesSymlinkEscape(t *testing.T) {
	tree := makeTree(t, map[string]string{"ok.py": "1\n"}, nil)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Plant a symlink where a listed file should be: os.Root must refuse it.
	link := filepath.Join(tree.Dir, SrcDir, "evil.py")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	tree.Manifest.Files = append(tree.Manifest.Files, File{Path: "evil.py"})
	tree.index["evil.py"] = len(tree.Manifest.Files) - 1
	if data, err := tree.ReadFile("evil.py"); err == nil {
		t.Errorf("read through a symlink out of the tree: %q", data)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("Load of a folder without manifest succeeded")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "corrupt manifest") {
		t.Errorf("Load of a corrupt manifest = %v", err)
	}
}

func TestGrep(t *testing.T) {
	tree := makeTree(t, map[string]string{
		"vllm/core/scheduler.py": "class Scheduler:\n    max_num_seqs = 256\n    # MAX_NUM_SEQS doc\n    def schedule(self):\n        pass\n",
		"vllm/engine/args.py":    "max_num_seqs: int = 256\r\nmax_model_len = None\r\n",
		"docs/flags.md":          "Use --max-num-seqs to bound the batch.\n",
		"csrc/long.cu":           strings.Repeat("é", 300) + "max_num_seqs\n",
	}, nil)
	ctx := context.Background()
	tests := []struct {
		name      string
		opts      GrepOptions
		want      []string // path:line
		truncated bool
	}{
		{"literal", GrepOptions{Pattern: "max_num_seqs"}, []string{"csrc/long.cu:1", "vllm/core/scheduler.py:2", "vllm/engine/args.py:1"}, false},
		{"ignore case", GrepOptions{Pattern: "max_num_seqs", IgnoreCase: true}, []string{"csrc/long.cu:1", "vllm/core/scheduler.py:2", "vllm/core/scheduler.py:3", "vllm/engine/args.py:1"}, false},
		{"regexp anchors per line", GrepOptions{Pattern: `^\s+def \w+\(self\)`}, []string{"vllm/core/scheduler.py:4"}, false},
		{"dollar before CRLF", GrepOptions{Pattern: `None$`}, []string{"vllm/engine/args.py:2"}, false},
		{"under a directory", GrepOptions{Pattern: "max", Path: "vllm/engine"}, []string{"vllm/engine/args.py:1", "vllm/engine/args.py:2"}, false},
		{"one file", GrepOptions{Pattern: "max", Path: "docs/flags.md"}, []string{"docs/flags.md:1"}, false},
		{"glob on names", GrepOptions{Pattern: "max", Glob: "*.md"}, []string{"docs/flags.md:1"}, false},
		{"glob on paths", GrepOptions{Pattern: "max", Glob: "vllm/*/args.py"}, []string{"vllm/engine/args.py:1", "vllm/engine/args.py:2"}, false},
		{"bounded", GrepOptions{Pattern: "max", MaxResults: 2}, []string{"csrc/long.cu:1", "docs/flags.md:1"}, true},
		{"exactly the bound", GrepOptions{Pattern: "max_model_len", MaxResults: 1}, []string{"vllm/engine/args.py:2"}, false},
		{"no match", GrepOptions{Pattern: "nothing_like_this"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tree.Grep(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range res.Matches {
				got = append(got, fmt.Sprintf("%s:%d", m.Path, m.Line))
			}
			if !slices.Equal(got, tt.want) || res.Truncated != tt.truncated {
				t.Errorf("got %v truncated=%v; want %v truncated=%v", got, res.Truncated, tt.want, tt.truncated)
			}
		})
	}

	res, err := tree.Grep(ctx, GrepOptions{Pattern: "def schedule", Context: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Matches[0]
	if m.Text != "    def schedule(self):" || !slices.Equal(m.Before, []string{"    max_num_seqs = 256", "    # MAX_NUM_SEQS doc"}) || !slices.Equal(m.After, []string{"        pass"}) {
		t.Errorf("context match = %+v", m)
	}
	if res.FilesSearched != 4 || res.FilesMatched != 1 {
		t.Errorf("files searched/matched = %d/%d", res.FilesSearched, res.FilesMatched)
	}
	res, _ = tree.Grep(ctx, GrepOptions{Pattern: "max_num_seqs", Path: "csrc"})
	if txt := res.Matches[0].Text; !strings.HasSuffix(txt, "…") || len(txt) > maxLineLen+len("…") || !strings.HasPrefix(txt, "éé") {
		t.Errorf("long line not clipped on a rune boundary: %d bytes", len(txt))
	}
}

func TestGrepErrors(t *testing.T) {
	tree := makeTree(t, map[string]string{"a.py": "x\n"}, map[string]string{"b.bin": "binary content"})
	ctx := context.Background()
	tests := []struct {
		opts GrepOptions
		want string
	}{
		{GrepOptions{Pattern: ""}, "empty pattern"},
		{GrepOptions{Pattern: "(unclosed"}, "invalid regular expression (Go RE2 syntax): missing closing ): `(?m)(unclosed`"},
		{GrepOptions{Pattern: `(?<=x)y`}, "invalid regular expression"},
		{GrepOptions{Pattern: strings.Repeat("a", MaxPatternLen+1)}, "the limit is 1000"},
		{GrepOptions{Pattern: "x", MaxResults: MaxMaxResults + 1}, "out of range (1 to 1000)"},
		{GrepOptions{Pattern: "x", Context: 6}, "context 6 is out of range (0 to 5)"},
		{GrepOptions{Pattern: "x", Glob: "[z"}, `invalid glob "[z"`},
		{GrepOptions{Pattern: "x", Path: "nowhere"}, "nowhere: no such file"},
		{GrepOptions{Pattern: "x", Path: "b.bin"}, "b.bin is not served: binary content"},
	}
	for _, tt := range tests {
		_, err := tree.Grep(ctx, tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Grep(%+v) error = %v, want %q", tt.opts, err, tt.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tree.Grep(cctx, GrepOptions{Pattern: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Grep = %v", err)
	}
}

// BenchmarkGrep searches a tree shaped like a serving stack's Python
// package: 2000 files of 200 lines, one match in twenty files.
func BenchmarkGrep(b *testing.B) {
	files := map[string]string{}
	var sb strings.Builder
	for i := range 200 {
		fmt.Fprintf(&sb, "    def method_%d(self, batch, block_tables, seq_lens):  # line %d\n", i, i)
	}
	body := sb.String()
	for i := range 2000 {
		content := body
		if i%20 == 0 {
			content += "    self.max_num_batched_tokens = 8192\n"
		}
		files[fmt.Sprintf("pkg/mod%02d/file%04d.py", i%50, i)] = content
	}
	tree := makeTree(b, files, nil)
	var size int64
	for _, f := range tree.Files() {
		size += f.Size
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		res, err := tree.Grep(context.Background(), GrepOptions{Pattern: `max_num_batched_tokens\s*=`, MaxResults: 1000})
		if err != nil || len(res.Matches) != 100 {
			b.Fatalf("%d matches, %v", len(res.Matches), err)
		}
	}
}
