package servermetrics

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
)

// FuzzLoadCompute feeds arbitrary documents to Load and what it accepts to
// Compute under each framework: no panic, and a result always has the
// layout's top-level keys.
func FuzzLoadCompute(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "cases", "*", "server_metrics_export.json"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, "vllm")
		}
	}
	f.Add([]byte(`{"metrics": {"sglang:cached_tokens": {"series": [{"labels": {"cache_source": [1, {"a": null}]}, "stats": {"total": "1_0"}}]}}}`), "sglang")
	f.Add([]byte(`{"metrics": {"atom_x": 1}}`), "atom")
	f.Add([]byte(`{"metrics": {"dynamo_frontend_input_sequence_tokens": {"series": [{"stats": {"total": 1e400}}]}}}`), "dynamo")
	f.Add([]byte(`[]`), "")
	want := []string{"present", "adapter", "metric_count", "cache", "kv_cache", "kv_offload", "tokens", "sources"}
	f.Fuzz(func(t *testing.T, data []byte, framework string) {
		// decodeExport is Load less the file read, which would make the
		// fuzzer a hundred times slower.
		export, err := decodeExport(data)
		if err != nil {
			return
		}
		res, err := Compute(export, framework, Totals{Requests: 1}, nil)
		if err != nil {
			return
		}
		if got := res.Nested.Keys(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("keys %v", got)
		}
		if err := plainValues(res.Nested); err != nil {
			t.Fatal(err)
		}
	})
}

// plainValues checks that v holds only what the caller's rounding and
// encoding take: Python's None, bool, str, int (int64), float (float64),
// dict (*pyjson.Object) and list ([]any).
func plainValues(v any) error {
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return nil
	case *pyjson.Object:
		for _, k := range x.Keys() {
			val, _ := x.Get(k)
			if err := plainValues(val); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	case []any:
		for i, e := range x {
			if err := plainValues(e); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	}
	return fmt.Errorf("unexpected %T", v)
}

// FuzzLogParsers feeds arbitrary text to both server-log parsers: no
// panic, and a capacity found is positive.
func FuzzLogParsers(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "cases", "*", "*"))
	for _, p := range seeds {
		if strings.HasSuffix(p, ".json") {
			continue
		}
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("(EngineCore_DP\u0661 pid=1) GPU KV cache size: 1,0 tokens\r\n")
	f.Add("dp_size=2 [DP0 TP0 EP0] max_total_num_tokens=3")
	f.Fuzz(func(t *testing.T, text string) {
		for _, parse := range []func(string) (*capacity, error){vllmLogCapacity, sglangLogCapacity} {
			v, err := parse(text)
			if err != nil {
				t.Fatal(err)
			}
			if v != nil && v.Sign() <= 0 {
				t.Fatalf("capacity %v from %q", v, text)
			}
		}
	})
}
