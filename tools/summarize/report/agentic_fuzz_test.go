package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/results"
)

// FuzzAgenticFrom: any JSON an agentic result file may hold is either
// read or refused with an error, never a panic; what is read has the
// chart's axes.
func FuzzAgenticFrom(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "agentic", "*.json"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"scenario_type": "agentic-coding", "hw": 1, "request_metrics": {"latency": []}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := results.DecodeOrdered(data)
		if err != nil || !IsAgentic(doc) {
			return
		}
		r, err := AgenticFrom("f.json", doc)
		if err != nil {
			return
		}
		for _, k := range []string{"agentic_tput_per_gpu", "agentic_p90_e2e_norm_intvty"} {
			if _, ok := r.Float(k); !ok {
				t.Fatalf("accepted a result without %s: %s", k, data)
			}
		}
		_ = AgenticMarkdown([]*results.Processed{r})
		for _, c := range AgenticCharts([]*results.Processed{r}) {
			_ = c.SVG()
		}
	})
}
