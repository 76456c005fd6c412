// Package srctree decides which files of a serving stack's repository are
// served (source and docs; not binaries, vendored or generated trees, tests
// or huge files), resolves request paths inside a checked-out tree without
// letting them escape it, and searches such a tree.
package srctree

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// DefaultMaxFileSize is the size above which a file is not served: large
// generated tables and data dumps are useless to read and expensive to send.
const DefaultMaxFileSize = 1 << 20

// Filter chooses the files that are served. The zero value is not useful;
// start from DefaultFilter.
type Filter struct {
	MaxFileSize  int64
	IncludeTests bool
}

// DefaultFilter serves source and docs up to DefaultMaxFileSize, without
// test trees.
func DefaultFilter() Filter { return Filter{MaxFileSize: DefaultMaxFileSize} }

// Key identifies the filter's settings: trees extracted under different
// settings hold different files and must not be shared. "f1" stands for the
// rules below; change it when they change, so that old trees are redone.
func (f Filter) Key() string {
	k := fmt.Sprintf("f1-%d", f.MaxFileSize)
	if f.IncludeTests {
		k += "-t"
	}
	return k
}

// Source and docs, by extension.
var sourceExt = map[string]bool{
	// Python and its native extensions
	".py": true, ".pyi": true, ".pyx": true, ".pxd": true,
	// C, C++, CUDA, HIP and kernels
	".c": true, ".cc": true, ".cpp": true, ".cxx": true, ".h": true, ".hh": true, ".hpp": true, ".hxx": true,
	".cu": true, ".cuh": true, ".hip": true, ".inc": true, ".inl": true, ".cl": true,
	// other languages found in these stacks
	".rs": true, ".go": true, ".java": true, ".js": true, ".ts": true, ".proto": true,
	// build and shell
	".sh": true, ".bash": true, ".cmake": true, ".mk": true, ".in": true, ".bzl": true,
	// docs
	".md": true, ".rst": true, ".txt": true, ".adoc": true,
	// configuration and tuning tables
	".toml": true, ".yaml": true, ".yml": true, ".json": true, ".cfg": true, ".ini": true,
	".jinja": true, ".j2": true, ".jinja2": true,
}

// Files served whatever their extension.
var sourceNames = map[string]bool{
	"Dockerfile": true, "Makefile": true, "CMakeLists.txt": true, "LICENSE": true,
	"NOTICE": true, "README": true, "CODEOWNERS": true, "BUILD": true,
}

// Directories never descended into: version control and editor state,
// vendored third-party code, build output, caches.
var skipDirs = map[string]bool{
	"third_party": true, "third-party": true, "thirdparty": true, "3rdparty": true,
	"vendor": true, "vendored": true, "_vendor": true, "node_modules": true, "site-packages": true,
	"build": true, "dist": true, "__pycache__": true, "generated": true, "_generated": true,
}

// Test trees, served only with IncludeTests.
var testDirs = map[string]bool{"tests": true, "test": true, "testing": true}

// Generated files that pass the extension test.
var generatedSuffixes = []string{"_pb2.py", "_pb2_grpc.py", "_pb2.pyi", ".min.js", ".pb.go", ".pb.h", ".pb.cc"}

// PathReason says why a path is not served, or "" when its path allows it
// (its contents may still rule it out; see ContentReason).
func (f Filter) PathReason(p string) string {
	parts := strings.Split(p, "/")
	for _, d := range parts[:len(parts)-1] {
		switch {
		case strings.HasPrefix(d, "."):
			return "hidden directory " + d + "/"
		case skipDirs[d] || strings.HasSuffix(d, ".egg-info"):
			return "vendored, generated or build directory " + d + "/"
		case testDirs[d] && !f.IncludeTests:
			return "test directory " + d + "/ (the server was started without --include-tests)"
		}
	}
	name := parts[len(parts)-1]
	for _, s := range generatedSuffixes {
		if strings.HasSuffix(name, s) {
			return "generated file"
		}
	}
	if !f.IncludeTests && (strings.HasSuffix(name, "_test.py") || (strings.HasPrefix(name, "test_") && strings.HasSuffix(name, ".py"))) {
		return "test file (the server was started without --include-tests)"
	}
	if sourceNames[name] || sourceExt[strings.ToLower(path.Ext(name))] {
		return ""
	}
	for prefix := range sourceNames {
		// LICENSE-APACHE, README.md-like names, Dockerfile.rocm
		if strings.HasPrefix(name, prefix+".") || strings.HasPrefix(name, prefix+"-") {
			return ""
		}
	}
	if strings.HasPrefix(name, "requirements") {
		return ""
	}
	return "not a source or docs file type"
}

// lfsPointer starts a Git LFS pointer file: the real content lives
// elsewhere and the pointer text is of no use to a reader.
var lfsPointer = []byte("version https://git-lfs.github.com/spec/")

// sniffLen is how much of a file is inspected for binary content.
const sniffLen = 8000

// ContentReason says why a file of this size, starting with head (at least
// its first sniffLen bytes, or all of it), is not served, or "".
func (f Filter) ContentReason(size int64, head []byte) string {
	if size > f.MaxFileSize {
		return fmt.Sprintf("%d bytes, over the %d-byte limit", size, f.MaxFileSize)
	}
	if bytes.HasPrefix(head, lfsPointer) {
		return "Git LFS pointer"
	}
	if bytes.IndexByte(head[:min(len(head), sniffLen)], 0) >= 0 {
		return "binary content"
	}
	return ""
}
