package agentic

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"
)

// The cases under testdata/cases were run through upstream's
// process_agentic_result.py by scripts/gen-agentic-aggregate-golden.py;
// rc, stdout, stderr and expected.json are what it did.

// goldenFiles are a case's recorded results, not inputs.
var goldenFiles = map[string]bool{"rc": true, "stdout": true, "stderr": true, "expected.json": true, "go.stderr": true, "env": true}

// readEnv reads a case's env file: KEY=VALUE per line, the whole
// environment of the run.
func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=VALUE", path, line)
		}
		env[k] = v
	}
	return env
}

// copyInputs copies a case's inputs into a fresh directory.
func copyInputs(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if goldenFiles[rel] {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func runCase(t *testing.T, dir string, env map[string]string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = filepath.Join(dir, "no_home")
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	rc := Run(Options{Lookup: lookup, Dir: dir, Stdout: &stdout, Stderr: &stderr})
	return rc, stdout.String(), stderr.String()
}

func TestUpstreamCases(t *testing.T) {
	cases, err := os.ReadDir("testdata/cases")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases under testdata/cases", len(cases))
	}
	for _, c := range cases {
		src := filepath.Join("testdata", "cases", c.Name())
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			want := func(name string) string {
				data, err := os.ReadFile(filepath.Join(src, name))
				if err != nil {
					t.Fatal(err)
				}
				return string(data)
			}
			wantRC, err := strconv.Atoi(strings.TrimSpace(want("rc")))
			if err != nil {
				t.Fatal(err)
			}
			dir := copyInputs(t, src)
			env := readEnv(t, filepath.Join(src, "env"))
			rc, stdout, stderr := runCase(t, dir, env)
			if rc != wantRC {
				t.Fatalf("exit status %d, upstream %d; stderr:\n%s", rc, wantRC, stderr)
			}
			if w := want("stdout"); stdout != w {
				t.Errorf("stdout:\n%s\nupstream:\n%s", stdout, w)
			}
			out := filepath.Join(dir, "out", env["RESULT_FILENAME"]+".json")
			got, readErr := os.ReadFile(out)
			if rc != 0 {
				if readErr == nil {
					t.Errorf("%s written although the run failed", out)
				}
				upstream := want("stderr")
				if strings.HasPrefix(upstream, "Traceback") {
					// Upstream crashed; ours is a message of our own.
					if stderr == "" {
						t.Error("no message on stderr")
					}
					golden.Check(t, filepath.Join(src, "go.stderr"), []byte(stderr))
				} else if stderr != upstream {
					t.Errorf("stderr:\n%s\nupstream:\n%s", stderr, upstream)
				}
				return
			}
			if readErr != nil {
				t.Fatal(readErr)
			}
			if w := want("expected.json"); string(got) != w {
				t.Errorf("output differs from upstream's%s", firstDiff(string(got), w))
			}
		})
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "; line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}
