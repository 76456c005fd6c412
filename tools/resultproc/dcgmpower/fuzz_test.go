package dcgmpower

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSamplesCSV feeds arbitrary DCGM samples.csv files to the reader: no
// panic, and every row it keeps is one upstream would keep.
func FuzzSamplesCSV(f *testing.F) {
	data, err := os.ReadFile("../power/testdata/upstream/multinode/valid/LOGS/power/samples.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(strings.Join(SamplesHeader, ",") + "\n1,1.5,0,h,0,GPU-x,10\n1,1.5,0,h,0,GPU-x,10\n"))
	f.Add([]byte(strings.Join(SamplesHeader, ",") + "\n1,nan,0,h,0,GPU-x,10\n\xff\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), SamplesFile)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rows, _ := ReadSamples(p)
		for _, r := range rows {
			if r.Host == "" || r.UUID == "" || r.PowerW < 0 || r.ScrapeSeq < 0 || r.Index < 0 {
				t.Fatalf("kept a row upstream rejects: %+v", r)
			}
		}
		_ = deriveObserved(rows)
	})
}

// FuzzManifest feeds arbitrary manifests through the whole audit of
// upstream's valid package.
func FuzzManifest(f *testing.F) {
	src := "../power/testdata/upstream/multinode/valid"
	data, err := os.ReadFile(filepath.Join(src, "LOGS/power/manifest.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"expected_devices": [{"assignments": [{"worker_role": "decode"}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, manifest []byte) {
		work := t.TempDir()
		for _, rel := range []string{"LOGS/power/samples.csv", "LOGS/power/windows/my_result.json", "LOGS/my_result.json", "renamed_by_launcher.json"} {
			b, err := os.ReadFile(filepath.Join(src, rel))
			if err != nil {
				t.Fatal(err)
			}
			_ = os.MkdirAll(filepath.Dir(filepath.Join(work, rel)), 0o755)
			_ = os.WriteFile(filepath.Join(work, rel), b, 0o644)
		}
		_ = os.WriteFile(filepath.Join(work, "LOGS/power/manifest.json"), manifest, 0o644)
		a, _ := Evaluate(Args{PowerDir: "LOGS/power", LogsRoot: "LOGS", BenchResult: "renamed_by_launcher.json",
			PrefillGPUs: 2, DecodeGPUs: 2, ExpectedSHA: strings.Repeat("a", 40)}, work)
		if a.Valid && len(a.Reasons) > 0 {
			t.Fatalf("valid with reasons %v", a.Reasons)
		}
		_ = a.Sidecar("LOGS/power", "renamed_by_launcher.json", nil)
	})
}

// TestWindowConcurrencyMustBeAnInteger: Python takes a JSON boolean for
// an int (True == 1); a window file with one is malformed here.
func TestWindowConcurrencyMustBeAnInteger(t *testing.T) {
	dir := t.TempDir()
	for name, conc := range map[string]string{"r.json": "4", "b.json": "true"} {
		body := `{"schema_version": 1, "clock_source": "head_node_unix_clock", "benchmark_type": "sa-bench", "concurrency": ` + conc +
			`, "status": "completed", "benchmark_start_time_unix": 1.0, "benchmark_end_time_unix": 2.0, "duration": 1.0, "reason": null, "result_path": "` + name + `"}`
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if w, reasons := parseWindow(filepath.Join(dir, "r.json"), "windows/r.json", dir); w == nil || w.Concurrency != 4 {
		t.Errorf("an integer concurrency: %v %v", w, reasons)
	}
	if w, reasons := parseWindow(filepath.Join(dir, "b.json"), "windows/b.json", dir); w != nil || reasons[0] != "measurement_window_malformed" {
		t.Errorf("a boolean concurrency: %v %v", w, reasons)
	}
}
