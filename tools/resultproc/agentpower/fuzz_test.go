package agentpower

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzArtifacts feeds arbitrary AIPerf aggregates and records to the
// window builder: no panic, and a window it builds is a real one.
func FuzzArtifacts(f *testing.F) {
	f.Add([]byte(`{"start_time": "2023-11-14T22:13:41+00:00", "end_time": "2023-11-14T22:13:44"}`),
		[]byte(`{"metadata": {"benchmark_phase": "profiling"}, "metrics": {"input_sequence_length": {"value": 100}, "output_sequence_length": 50}}`+"\n"), "-0800")
	f.Add([]byte(`{"start_time": 1, "end_time": 2}`), []byte("{}\n[]\n"), "+0530")
	f.Fuzz(func(t *testing.T, aggregate, records []byte, offset string) {
		dir := t.TempDir()
		art := filepath.Join(dir, ArtifactsDir)
		_ = os.MkdirAll(art, 0o755)
		_ = os.WriteFile(filepath.Join(art, AggregateFile), aggregate, 0o644)
		_ = os.WriteFile(filepath.Join(art, RecordsFile), records, 0o644)
		_ = os.WriteFile(filepath.Join(dir, OffsetFile), []byte(offset), 0o644)
		w, reasons := BuildWindow(dir)
		if (w == nil) == (len(reasons) == 0) {
			t.Fatalf("window %v with reasons %v", w, reasons)
		}
		if w != nil && (w.End <= w.Start || w.Completed <= 0 || w.InputTokens <= 0 || w.OutTokens <= 0) {
			t.Fatalf("window %+v", w)
		}
	})
}
