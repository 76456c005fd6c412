package agenticvalid

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidate feeds arbitrary aggregates to the gate: no panic, and the
// verdict is exactly one of pass (with its line) or a single error.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"request_count": {"avg": 90}, "error_request_count": {"avg": 10}, "completed_request_count": {"avg": 100}}`), 0.1)
	f.Add([]byte(`{"request_count": {"avg": 1e400}}`), 0.0)
	f.Add([]byte(`[]`), 1.0)
	f.Add([]byte(`{"request_count": {"avg": -0.0}, "error_request_count": 3}`), 0.5)
	f.Fuzz(func(t *testing.T, aggregate []byte, threshold float64) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, AggregateName), aggregate, 0o644); err != nil {
			t.Fatal(err)
		}
		r := Validate(dir, threshold)
		if (len(r.Errors) == 1) == (r.OK != "") || len(r.Errors) > 1 {
			t.Fatalf("verdict %+v", r)
		}
	})
}

// FuzzBreakdown feeds arbitrary profile_export.jsonl bodies to the
// breakdown: no panic, and the kinds it returns are consistent.
func FuzzBreakdown(f *testing.F) {
	f.Add([]byte("{\"metadata\": {\"benchmark_phase\": \"warmup\"}, \"error\": {\"type\": \"X\", \"message\": \"m\"}}\n{\"error\": \"a: b\"}\n"))
	f.Add([]byte("{\"error\": {\"code\": 0}}\n\n[]\n"))
	f.Add([]byte("{\"error\": {\"message\": \"\\u2028x\"}}\n"))
	f.Fuzz(func(t *testing.T, records []byte) {
		path := filepath.Join(t.TempDir(), RecordsName)
		if err := os.WriteFile(path, records, 0o644); err != nil {
			t.Fatal(err)
		}
		kinds, err := Breakdown(path)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, k := range kinds {
			if k.Name == "" || k.Count < 1 || k.Warmups > k.Count || k.Line < 1 || seen[k.Name] {
				t.Fatalf("kind %+v in %+v", k, kinds)
			}
			seen[k.Name] = true
		}
	})
}
