package agentpower

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
)

type upstreamRun struct {
	Exit   any               `json:"exit"`
	Stdout string            `json:"stdout"`
	Stderr string            `json:"stderr"`
	Files  map[string]string `json:"files"`
}

type agenticCase struct {
	Expected     *int64 `json:"expected_num_gpus"`
	RequirePower bool   `json:"require_power"`
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
		_ = os.MkdirAll(filepath.Dir(filepath.Join(work, rel)), 0o755)
		return os.WriteFile(filepath.Join(work, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Empty directories (results/ of artifacts-missing) matter here.
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			_ = os.MkdirAll(filepath.Join(work, rel), 0o755)
		}
		return nil
	})
	return work, before
}

// agenticDivergent: upstream writes no sidecar when the aggregate it
// should mark invalid is missing (and exits 0); we write the sidecar with
// the reason, and exit 2.
var agenticDivergent = map[string]int{"agg-missing": power.ExitInvalid}

func TestAgenticAgainstUpstream(t *testing.T) {
	dirs, _ := filepath.Glob("../power/testdata/upstream/agentic/*")
	if len(dirs) < 14 {
		t.Fatalf("found %d cases; scripts/gen-power-golden.py writes them", len(dirs))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			c := readJSONFile[agenticCase](t, filepath.Join(dir, "case.json"))
			want := readJSONFile[upstreamRun](t, filepath.Join(dir, "upstream.json"))
			work, before := copyTree(t, dir)
			var stdout, stderr bytes.Buffer
			code := Run(Args{ResultDir: "results", AggResult: "agg_agentx.json", Expected: c.Expected, RequirePower: c.RequirePower,
				Opt: power.Options{Location: time.UTC}},
				power.IO{Dir: work, Write: func(p string, d []byte) error { return atomicfile.Write(p, d, 0o644) },
					Stdout: &stdout, Stderr: &stderr, Prefix: "[aggregate_power]"})
			got := map[string]string{}
			_ = filepath.WalkDir(work, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(work, p)
				data, _ := os.ReadFile(p)
				if b, ok := before[rel]; !ok || !bytes.Equal(b, data) {
					got[rel] = string(data)
				}
				return nil
			})
			wantExit := want.Exit.(float64)
			if d, ok := agenticDivergent[name]; ok {
				if code != d || got["results/power_validation.json"] == "" {
					t.Errorf("exit %d, files %v: want %d and a sidecar", code, keys(got), d)
				}
				return
			}
			if code != int(wantExit) {
				t.Errorf("exit %d, upstream %v\n%s", code, want.Exit, stderr.String())
			}
			if stdout.String() != want.Stdout {
				t.Errorf("stdout %q, upstream %q", stdout.String(), want.Stdout)
			}
			for _, line := range strings.Split(strings.TrimSpace(want.Stderr), "\n") {
				if i := strings.Index(line, "Power-window adaptation failed"); i >= 0 && !strings.Contains(stderr.String(), line[i:]) {
					t.Errorf("stderr lacks %q:\n%s", line[i:], stderr.String())
				}
			}
			if strings.Join(keys(got), " ") != strings.Join(keys(want.Files), " ") {
				t.Errorf("wrote %v, upstream %v", keys(got), keys(want.Files))
			}
			for f, w := range want.Files {
				if got[f] != w {
					t.Errorf("%s differs\n--- ours ---\n%s\n--- upstream ---\n%s", f, got[f], w)
				}
			}
		})
	}
}

func keys[T any](m map[string]T) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
