package dcgmpower

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
)

type upstreamRun struct {
	Exit   any               `json:"exit"`
	Stdout string            `json:"stdout"`
	Stderr string            `json:"stderr"`
	Files  map[string]string `json:"files"`
}

type multinodeCase struct {
	Prefill      int64   `json:"prefill_gpus"`
	Decode       int64   `json:"decode_gpus"`
	SHA          *string `json:"expected_producer_sha"`
	RequirePower bool    `json:"require_power"`
}

func readJSONFile[T any](t *testing.T, path string) T {
	t.Helper()
	var v T
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// copyTree copies a case's inputs and returns the files it holds.
func copyTree(t *testing.T, dir string) (string, map[string][]byte) {
	t.Helper()
	work := t.TempDir()
	before := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "case.json" || rel == "upstream.json" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		before[rel] = data
		if err := os.MkdirAll(filepath.Dir(filepath.Join(work, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(work, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return work, before
}

func changedFiles(t *testing.T, work string, before map[string][]byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(work, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(work, p)
		data, _ := os.ReadFile(p)
		if b, ok := before[rel]; !ok || !bytes.Equal(b, data) {
			out[rel] = string(data)
		}
		return nil
	})
	return out
}

// divergent are the cases whose exit status is ours, not upstream's
// (docs/compatibility.md), and the failure details that quote Python's
// own exception messages, which we word differently.
var (
	multinodeExit   = map[string]int{"agg-missing": power.ExitInvalid}
	pythonMessageIn = map[string]string{"agg-missing": "aggregate missing: "}
)

func TestMultinodeAgainstUpstream(t *testing.T) {
	dirs, _ := filepath.Glob("../power/testdata/upstream/multinode/*")
	if len(dirs) < 40 {
		t.Fatalf("found %d cases; scripts/gen-power-golden.py writes them", len(dirs))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			c := readJSONFile[multinodeCase](t, filepath.Join(dir, "case.json"))
			want := readJSONFile[upstreamRun](t, filepath.Join(dir, "upstream.json"))
			work, before := copyTree(t, dir)
			var stdout, stderr bytes.Buffer
			sha := ""
			if c.SHA != nil {
				sha = *c.SHA
			}
			code := Run(Args{PowerDir: "LOGS/power", LogsRoot: "LOGS", BenchResult: "renamed_by_launcher.json",
				AggResult: "agg_renamed_by_launcher.json", ValidationResult: "power_validation.json",
				PrefillGPUs: c.Prefill, DecodeGPUs: c.Decode, ExpectedSHA: sha, RequirePower: c.RequirePower},
				power.IO{Dir: work, Write: func(p string, d []byte) error { return atomicfile.Write(p, d, 0o644) },
					Stdout: &stdout, Stderr: &stderr, Prefix: "[aggregate_power_multinode]"})
			got := changedFiles(t, work, before)
			wantExit, ok := want.Exit.(float64)
			if !ok {
				t.Fatalf("upstream crashed: %v", want.Exit)
			}
			if d, ok := multinodeExit[name]; ok {
				wantExit = float64(d)
			}
			if code != int(wantExit) {
				t.Errorf("exit %d, upstream %v\n%s", code, want.Exit, stderr.String())
			}
			if stdout.String() != want.Stdout {
				t.Errorf("stdout %q, upstream %q", stdout.String(), want.Stdout)
			}
			var names, wantNames []string
			for f := range got {
				names = append(names, f)
			}
			for f := range want.Files {
				wantNames = append(wantNames, f)
			}
			sort.Strings(names)
			sort.Strings(wantNames)
			if strings.Join(names, " ") != strings.Join(wantNames, " ") {
				t.Errorf("wrote %v, upstream %v", names, wantNames)
			}
			for f, w := range want.Files {
				g := got[f]
				if prefix, ok := pythonMessageIn[name]; ok && f == "power_validation.json" {
					g, w = dropFailure(t, g, prefix), dropFailure(t, w, prefix)
				}
				if g != w {
					t.Errorf("%s differs from upstream's\n--- ours ---\n%s\n--- upstream ---\n%s", f, g, w)
				}
			}
		})
	}
}

// dropFailure removes the failure detail that starts with prefix.
func dropFailure(t *testing.T, doc, prefix string) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.Contains(l, `"`+prefix) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
