package servermetrics

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hourExport writes an export shaped like an hour's run with one-second
// timeslices: metrics × engines series of 3600 slices each, which Load
// reads past.
func hourExport(b *testing.B, metrics, engines int) string {
	b.Helper()
	var s strings.Builder
	s.WriteString(`{"schema_version": "1.0", "metrics": {`)
	for m := range metrics {
		if m > 0 {
			s.WriteString(", ")
		}
		fmt.Fprintf(&s, `"vllm:metric_%d": {"type": "gauge", "series": [`, m)
		for e := range engines {
			if e > 0 {
				s.WriteString(", ")
			}
			fmt.Fprintf(&s, `{"endpoint_url": "http://e%d:8000/metrics", "labels": {"engine": "%d"}, "stats": {"avg": 1.5, "max": 2.5, "total": 12345}, "timeslices": [`, e, e)
			for k := range 3600 {
				if k > 0 {
					s.WriteString(", ")
				}
				fmt.Fprintf(&s, `{"start_ns": %d, "end_ns": %d, "avg": 41.0625, "min": 1.5, "max": 99.25}`, 1760000000000000000+k*1e9, 1760000001000000000+k*1e9)
			}
			s.WriteString("]}")
		}
		s.WriteString("]}")
	}
	s.WriteString(`, "vllm:prompt_tokens": {"type": "counter", "series": [{"stats": {"total": 5}}]}}}`)
	path := filepath.Join(b.TempDir(), "server_metrics_export.json")
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkLoadHourExport: Load of an hour's export with timeslices (31 MB:
// 20 metrics on 4 engines). Upstream's json.load of it takes 0.59 s (Python
// 3.12, same machine); Load must not be slower (0.23 s).
func BenchmarkLoadHourExport(b *testing.B) {
	path := hourExport(b, 20, 4)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ResetTimer()
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompute: the whole aggregation of loadgen's vLLM export.
func BenchmarkCompute(b *testing.B) {
	export, err := Load(filepath.Join("..", "..", "loadgen", "promscrape", "testdata", "vllm.server_metrics_export.json"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compute(export, "vllm", Totals{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
