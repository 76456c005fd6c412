package power

import (
	"reflect"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/results"
)

func TestLoadBenchmark(t *testing.T) {
	const ok = `"benchmark_start_time_unix": 100, "benchmark_end_time_unix": 110.5, "duration": 10.5, "completed": 4, "total_input_tokens": 40, "total_output_tokens": 8`
	for _, c := range []struct {
		doc     string
		window  bool
		reasons []string
	}{
		{`{` + ok + `}`, true, nil},
		{`[1, 2]`, false, []string{"invalid_benchmark_result"}},
		{`{"duration": 1}`, false, []string{"invalid_benchmark_window"}},
		{`{"benchmark_start_time_unix": true, "benchmark_end_time_unix": 2, "duration": 1}`, false, []string{"invalid_benchmark_window"}},
		{`{"benchmark_start_time_unix": 5, "benchmark_end_time_unix": 5, "duration": 1}`, false, []string{"invalid_benchmark_window"}},
		{`{"benchmark_start_time_unix": 1, "benchmark_end_time_unix": 2, "duration": 0}`, false, []string{"invalid_benchmark_window"}},
		{`{"benchmark_start_time_unix": 0, "benchmark_end_time_unix": 100, "duration": 98.9, "completed": 4.0, "total_input_tokens": true, "total_output_tokens": 0}`,
			true, []string{"benchmark_duration_mismatch", "invalid_successful_query_count", "invalid_input_token_count", "invalid_output_token_count"}},
		{`{"benchmark_start_time_unix": 0, "benchmark_end_time_unix": 100, "duration": 99.1, "completed": 1, "total_input_tokens": 1, "total_output_tokens": 1}`, true, nil},
	} {
		doc, err := results.DecodeOrdered([]byte(c.doc))
		if err != nil {
			t.Fatal(err)
		}
		b, reasons := LoadBenchmark(doc)
		if (b != nil) != c.window || !reflect.DeepEqual(reasons, c.reasons) {
			t.Errorf("%s: window %v, reasons %v; want %v %v", c.doc, b, reasons, c.window, c.reasons)
		}
	}
}
