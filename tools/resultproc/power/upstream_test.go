package power

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the cases' zones, whatever the machine has

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
)

// upstreamRun is what scripts/gen-power-golden.py recorded from upstream's
// script on one case.
type upstreamRun struct {
	Exit   any               `json:"exit"`
	Stdout string            `json:"stdout"`
	Stderr string            `json:"stderr"`
	Files  map[string]string `json:"files"`
}

type singleCase struct {
	Expected         *int64 `json:"expected_num_gpus"`
	RequirePower     bool   `json:"require_power"`
	TZ               string `json:"tz"`
	CSV              string `json:"csv"`
	ValidationResult string `json:"validation_result"`
	Description      string `json:"description"`
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

// copyCase copies a case's inputs into a fresh directory and returns it
// with the files it holds.
func copyCase(t *testing.T, dir string) (string, map[string][]byte) {
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

// changed lists the files that differ from before (new or rewritten).
func changed(t *testing.T, work string, before map[string][]byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(work, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(work, p)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if b, ok := before[rel]; !ok || !bytes.Equal(b, data) {
			out[rel] = string(data)
		}
		return nil
	})
	return out
}

func testIO(dir string, stdout, stderr *bytes.Buffer) IO {
	return IO{Dir: dir, Write: func(p string, data []byte) error { return atomicfile.Write(p, data, 0o644) },
		Stdout: stdout, Stderr: stderr, Prefix: "[aggregate_power]"}
}

// singleDivergent are the cases where we deliberately differ from
// upstream (docs/compatibility.md): the exit status only.
var singleDivergent = map[string]int{
	"agg-missing":  ExitInvalid, // upstream: 0, the aggregate silently missing
	"agg-not-json": ExitInvalid, // upstream: 0, its content silently unusable
}

// gpumonCases are upstream reading gpumon's CSV: it integrates power_w,
// we use the energy counter; the integrated figure must equal upstream's.
var gpumonCases = map[string]bool{"h200-gpumon-window": true, "h200-gpumon-whole": true}

func TestSingleNodeAgainstUpstream(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/upstream/single/*")
	if len(dirs) < 40 {
		t.Fatalf("found %d cases; scripts/gen-power-golden.py writes them", len(dirs))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			c := readJSONFile[singleCase](t, filepath.Join(dir, "case.json"))
			want := readJSONFile[upstreamRun](t, filepath.Join(dir, "upstream.json"))
			loc, err := time.LoadLocation(c.TZ)
			if err != nil {
				t.Fatal(err)
			}
			work, before := copyCase(t, dir)
			var stdout, stderr bytes.Buffer
			code := RunSingle(SingleArgs{CSV: c.CSV, BenchResult: "bench.json", AggResult: "agg.json",
				ValidationResult: c.ValidationResult, Expected: c.Expected, RequirePower: c.RequirePower,
				Opt: Options{Location: loc}}, testIO(work, &stdout, &stderr))
			got := changed(t, work, before)

			wantExit, ok := want.Exit.(float64)
			if !ok {
				t.Fatalf("upstream crashed: %v", want.Exit)
			}
			if d, ok := singleDivergent[name]; ok {
				wantExit = float64(d)
			}
			if code != int(wantExit) {
				t.Errorf("exit %d, upstream %v; stderr:\n%s", code, want.Exit, stderr.String())
			}
			if gpumonCases[name] {
				compareGpumon(t, got, want)
				return
			}
			if stdout.String() != want.Stdout {
				t.Errorf("stdout:\n%s\nupstream:\n%s", stdout.String(), want.Stdout)
			}
			if strings.Contains(want.Stderr, "Power validation failed") {
				line := want.Stderr[strings.Index(want.Stderr, "[aggregate_power] Power validation failed"):]
				if !strings.Contains(stderr.String(), strings.TrimSpace(line)) {
					t.Errorf("stderr lacks %q:\n%s", line, stderr.String())
				}
			}
			if len(got) != len(want.Files) {
				t.Errorf("wrote %v, upstream wrote %v", keys(got), keys(want.Files))
			}
			for f, w := range want.Files {
				if got[f] != w {
					t.Errorf("%s differs from upstream's\n--- ours ---\n%s\n--- upstream ---\n%s", f, got[f], w)
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
	return ks
}

// compareGpumon checks a gpumon case: the same verdict as upstream, and
// upstream's integrated energy reproduced bit for bit as our cross-check.
func compareGpumon(t *testing.T, got map[string]string, want upstreamRun) {
	t.Helper()
	var ours, theirs map[string]any
	if err := json.Unmarshal([]byte(got["power_validation.json"]), &ours); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want.Files["power_validation.json"]), &theirs); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"power_valid", "reasons", "observed_gpu_ids", "per_gpu_sample_counts", "per_gpu_max_sample_gap_s", "benchmark_window"} {
		if !reflect.DeepEqual(ours[k], theirs[k]) {
			t.Errorf("%s: ours %v, upstream %v", k, ours[k], theirs[k])
		}
	}
	if ours["integration_method"] != MethodCounter {
		t.Errorf("method %v, want the counter", ours["integration_method"])
	}
	check := ours["energy_counter_check"].(map[string]any)
	if check["integrated_power_j"] != theirs["per_gpu_energy_j"].(map[string]any)["0"] {
		t.Errorf("integrated power %v, upstream's trapezoid %v", check["integrated_power_j"], theirs["per_gpu_energy_j"])
	}
}
