package servermetrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		wantErr       string // empty: no error
		wantKeys      []string
	}{
		{name: "ok", content: `{"schema_version": "1.0", "metrics": {"b": {}, "a": {}}}`, wantKeys: []string{"metrics", "schema_version"}},
		{name: "repeated key", content: `{"metrics": 1, "metrics": {"x": 2}}`, wantKeys: []string{"metrics"}},
		{name: "truncated", content: "{\n  \"metrics\": {\n", wantErr: "invalid JSON at line 3, column 1"},
		{name: "bad token", content: "{\n  \"metrics\": NaN}", wantErr: "invalid JSON at line 2, column 14"},
		{name: "two values", content: `{} {}`, wantErr: "invalid JSON at line 1, column 4"},
		{name: "list", content: `[1]`, wantErr: "the document is a list, expected a JSON object"},
		{name: "null", content: `null`, wantErr: "the document is a NoneType, expected a JSON object"},
		{name: "empty", content: ``, wantErr: "invalid JSON at line 1, column 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
			writeFile(t, path, tt.content)
			got, err := Load(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error %v, want one naming %s and saying %q", err, path, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			if len(keys) != len(tt.wantKeys) {
				t.Fatalf("keys %v, want %v", keys, tt.wantKeys)
			}
			for _, k := range tt.wantKeys {
				if _, ok := got[k]; !ok {
					t.Fatalf("key %q missing from %v", k, keys)
				}
			}
		})
	}

	t.Run("missing", func(t *testing.T) {
		got, err := Load(filepath.Join(dir, "nope.json"))
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("Load of a missing file = %v, %v; want an empty export", got, err)
		}
	})
	t.Run("kept parts", func(t *testing.T) {
		path := filepath.Join(dir, "kept.json")
		writeFile(t, path, `{"metrics": {"m": {"type": "gauge", "series": [
			{"labels": {"b": 1, "a": 2.50}, "stats": {"total": 1e400}, "endpoint_url": "u", "timeslices": [{"avg": 1}]},
			[1], 3]}, "n": 4},
			"summary": {"x": [1, {"y": null}]}}`)
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"metrics": map[string]any{
				"m": map[string]any{"series": []any{
					map[string]any{
						"labels":       obj("b", json.Number("1"), "a", json.Number("2.50")),
						"stats":        map[string]any{"total": json.Number("1e400")},
						"endpoint_url": "u",
					},
					[]any{json.Number("1")},
					json.Number("3"),
				}},
				"n": json.Number("4"),
			},
			"summary": map[string]any{"x": []any{json.Number("1"), map[string]any{"y": nil}}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v\nwant %#v", got, want)
		}
	})
}

func TestComputePlainMaps(t *testing.T) {
	// A caller may build the export from plain maps (and any number
	// type) instead of Load's ordered objects.
	export := map[string]any{"metrics": map[string]any{
		"vllm:prompt_tokens": map[string]any{"series": []any{
			map[string]any{"stats": map[string]any{"total": 10.0}},
			map[string]any{"stats": map[string]any{"total": int64(5)}},
			map[string]any{"stats": map[string]any{"total": 2}},
		}},
		"vllm:prompt_tokens_by_source": map[string]any{"series": []any{
			map[string]any{"labels": map[string]any{"source": map[string]any{"b": 1, "a": true}}, "stats": map[string]any{"total": 1.0}},
		}},
	}}
	res, err := Compute(export, "", Totals{Requests: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens, _ := res.Nested.Get("tokens")
	total, _ := tokens.(*pyjson.Object).Get("prompt_total")
	if total != int64(17) {
		t.Fatalf("prompt_total %#v, want int64(17)", total)
	}
	bySource, _ := tokens.(*pyjson.Object).Get("prompt_by_source")
	raw, _ := bySource.(*pyjson.Object).Get("raw")
	if keys := raw.(*pyjson.Object).Keys(); !reflect.DeepEqual(keys, []string{"{'a': True, 'b': 1}"}) {
		t.Fatalf("label of an object %q, want its repr", keys)
	}
	if n, _ := tokens.(*pyjson.Object).Get("requests_completed"); n != int64(3) {
		t.Fatalf("requests_completed %#v", n)
	}
}

func TestComputeUnsupportedBackend(t *testing.T) {
	export := map[string]any{"metrics": map[string]any{"trtllm_x": map[string]any{}}}
	_, err := Compute(export, "TensorRT", Totals{}, nil)
	want := "Unsupported agentic server metrics backend; framework='tensorrt', metric_names=[trtllm_x]"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func TestComputeUnreadableLog(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "server.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Compute(map[string]any{}, "vllm", Totals{}, []string{filepath.Join(dir, "server.log")})
	if err == nil || !strings.Contains(err.Error(), "server.log") {
		t.Fatalf("error %v, want one naming the log", err)
	}
	// A log that is gone is skipped, as upstream skips it.
	res, err := Compute(map[string]any{}, "vllm", Totals{}, []string{filepath.Join(dir, "gone.log")})
	if err != nil || res.Nested == nil {
		t.Fatalf("missing log: %v", err)
	}
}

func TestFindServerLogPaths(t *testing.T) {
	root := t.TempDir()
	// Upstream's own example: a multi-node job's result directory three
	// levels under the node logs.
	resultDir := filepath.Join(root, "logs", "agentic", "conc_128")
	writeFile(t, filepath.Join(resultDir, "server.log"), "server")
	writeFile(t, filepath.Join(resultDir, "watchtower-z.out"), "z")
	writeFile(t, filepath.Join(root, "logs", "watchtower-node_prefill_w0.out"), "worker")
	writeFile(t, filepath.Join(root, "logs", "watchtower-b.out"), "b")
	writeFile(t, filepath.Join(root, "logs", "benchmark.out"), "ignored")
	writeFile(t, filepath.Join(root, "logs", "agentic", "watchtower-.out"), "empty star")
	writeFile(t, filepath.Join(root, "logs", "agentic", "watchtower-x.out.gz"), "ignored")
	writeFile(t, filepath.Join(root, "watchtower-top.out"), "four levels up")
	if err := os.Mkdir(filepath.Join(root, "logs", "watchtower-dir.out"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The same file reached twice is listed once, under its first name.
	if err := os.Symlink(filepath.Join(resultDir, "server.log"), filepath.Join(root, "logs", "watchtower-a.out")); err != nil {
		t.Fatal(err)
	}
	// A dangling link is listed (and skipped when read, as upstream does).
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "logs", "watchtower-c.out")); err != nil {
		t.Fatal(err)
	}

	got, err := FindServerLogPaths(resultDir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(resultDir, "server.log"),
		filepath.Join(resultDir, "watchtower-z.out"),
		filepath.Join(root, "logs", "agentic", "watchtower-.out"),
		filepath.Join(root, "logs", "watchtower-b.out"),
		filepath.Join(root, "logs", "watchtower-c.out"),
		filepath.Join(root, "logs", "watchtower-node_prefill_w0.out"),
		filepath.Join(root, "watchtower-top.out"), // the third parent
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Compute(map[string]any{}, "vllm", Totals{}, got); err != nil {
		t.Fatalf("reading the logs found: %v", err)
	}

	t.Run("relative", func(t *testing.T) {
		t.Chdir(root)
		got, err := FindServerLogPaths("./logs//agentic/conc_128/")
		if err != nil {
			t.Fatal(err)
		}
		// pathlib's spelling: "." and empty parts gone.
		if len(got) == 0 || got[0] != "logs/agentic/conc_128/server.log" {
			t.Fatalf("got %q", got)
		}
		// Three parents of logs/agentic/conc_128: logs/agentic, logs and
		// "."; so the top-level watchtower log is found from here.
		if last := got[len(got)-1]; last != "watchtower-top.out" {
			t.Fatalf("last %q, want watchtower-top.out", last)
		}
		// ".." stays a part of its own, as pathlib keeps it; with no server.log
		// there, the link to the result's one is a log of its own.
		got, err = FindServerLogPaths("logs/agentic/..")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"logs/agentic/../watchtower-a.out", "logs/agentic/../watchtower-b.out", "logs/agentic/../watchtower-c.out", "logs/agentic/../watchtower-node_prefill_w0.out", "logs/agentic/watchtower-.out", "watchtower-top.out"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %q\nwant %q", got, want)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		got, err := FindServerLogPaths(filepath.Join(root, "absent", "dir"))
		if err != nil || len(got) != 1 || got[0] != filepath.Join(root, "watchtower-top.out") {
			t.Fatalf("got %q, %v", got, err)
		}
	})
}

func TestLogParsers(t *testing.T) {
	// Upstream's test_server_log_metrics.py examples, and the corners of
	// Python's regular expressions (each answer checked with upstream's
	// parsers under Python 3.12).
	tests := []struct {
		name         string
		parse        func(string) (*capacity, error)
		log          string
		want         string // "" for None
		wantNotFound bool
	}{
		{"vllm empty", vllmLogCapacity, "", "", true},
		{"vllm no line", vllmLogCapacity, "INFO no kv cache line", "", true},
		{"vllm single engine", vllmLogCapacity, "INFO (EngineCore pid=123) GPU KV cache size: 11,294,463 tokens", "11294463", false},
		{"vllm dp", vllmLogCapacity, "INFO (EngineCore_DP0 pid=123) GPU KV cache size: 11,577,333 tokens\nINFO (EngineCore_DP1 pid=124) GPU KV cache size: 11,577,333 tokens\nINFO (EngineCore_DP2 pid=125) GPU KV cache size: 11,577,333 tokens", "34731999", false},
		{"vllm dedupe", vllmLogCapacity, "INFO (EngineCore_DP0 pid=123) GPU KV cache size: 11,577,333 tokens\nINFO (EngineCore_DP0 pid=123) GPU KV cache size: 11,577,333 tokens\nINFO (EngineCore_DP1 pid=124) GPU KV cache size: 5,000,000 tokens", "16577333", false},
		{"vllm bare", vllmLogCapacity, "INFO GPU KV cache size: 1,234,567 tokens\nINFO GPU KV cache size: 2,000,000 tokens", "3234567", false},
		{"vllm unicode space and digits", vllmLogCapacity, "GPU KV cache size:\u3000\u0661\u0660 tokens", "10", false},
		{"vllm line separator splits", vllmLogCapacity, "GPU KV cache size: 5\u2028 tokens", "", true},
		{"vllm huge", vllmLogCapacity, "GPU KV cache size: 99999999999999999999999 tokens", "99999999999999999999999", false},
		{"sglang empty", sglangLogCapacity, "", "", true},
		{"sglang dp_size", sglangLogCapacity, "[2026-06-23 01:05:00] server_args=ServerArgs(dp_size=8, tp_size=8)\n[2026-06-23 01:10:14 DP0 TP0 EP0] max_total_num_tokens=1172224, chunked_prefill_size=4096", "9377792", false},
		{"sglang ranks", sglangLogCapacity, "[x DP0 TP0 EP0] max_total_num_tokens=1000\n[x DP1 TP1 EP1] max_total_num_tokens=1200\n[x DP1 TP1 EP1] max_total_num_tokens=1200", "2200", false},
		{"sglang word boundary", sglangLogCapacity, "émax_total_num_tokens=5\nmax_total_num_tokens=6é\nmax_total_num_tokens=7", "7", false},
		{"sglang rank boundary", sglangLogCapacity, "dp_size=3\nxDP0 TP0 EP0 max_total_num_tokens=4", "12", false},
		{"sglang dp_size boundary", sglangLogCapacity, "enable_dp_size=3\nmax_total_num_tokens=4", "4", false},
		{"sglang superscript is no digit", sglangLogCapacity, "max_total_num_tokens=\u00b2", "", true},
		{"sglang roman numeral is a word character", sglangLogCapacity, "\u2160max_total_num_tokens=3", "", true},
		{"sglang superscript is a word character", sglangLogCapacity, "\u00b2max_total_num_tokens=3", "", true},
		{"vllm tags with other digits", vllmLogCapacity, "(EngineCore_DP\u0661 pid=\u0662) GPU KV cache size: 1,0 tokens\n(EngineCore_DP1 pid=2) GPU KV cache size: 5 tokens", "15", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.log)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNotFound {
				if got != nil {
					t.Fatalf("got %v, want None", got)
				}
				return
			}
			if got == nil || got.String() != tt.want {
				t.Fatalf("got %v, want %s", got, tt.want)
			}
		})
	}
}

func TestLogCapacityOverflow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.log")
	writeFile(t, path, "GPU KV cache size: 99999999999999999999999 tokens\n")
	_, err := Compute(map[string]any{}, "vllm", Totals{}, []string{path})
	if err == nil || !strings.Contains(err.Error(), "does not fit in 64 bits") {
		t.Fatalf("error %v", err)
	}
}

func TestLoadLogHead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "server.log")
	big := strings.Repeat("x", maxLogHead-3) + "GPU KV cache size: 12 tokens\n"
	writeFile(t, path, "abc\x00def\xff\n"+big)
	text, ok, err := loadLogHead(path)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if !strings.HasPrefix(text, "abcdef\uFFFD\n") {
		t.Fatalf("head %q", text[:10])
	}
	// 64 MiB of bytes are read, less the NUL removed.
	if len(text) != maxLogHead-1+len("\uFFFD")-1 {
		t.Fatalf("read %d bytes", len(text))
	}
	if _, ok, err := loadLogHead(filepath.Join(dir, "none")); ok || err != nil {
		t.Fatalf("missing log: %v %v", ok, err)
	}
}

func TestSplitLines(t *testing.T) {
	got := splitLines("a\nb\r\nc\rd\ve\ff\x1cg\u0085h\u2028i\u2029j\x1fk\n\nl\r")
	want := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j\x1fk", "", "l"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// A counter that cannot be an int is named as the export spells it, not
// by the first of the names it may come under.
func TestCounterErrorNamesTheMetricRead(t *testing.T) {
	for _, c := range []struct {
		names []string
		want  string
	}{
		{[]string{"atom_prompt_tokens_total"}, "metrics.atom_prompt_tokens_total: the counter adds up to NaN"},
		{[]string{"atom:prompt_tokens", "atom_prompt_tokens"}, "metrics.atom:prompt_tokens + metrics.atom_prompt_tokens: the counter adds up to NaN"},
	} {
		metrics := map[string]any{}
		for _, name := range c.names {
			metrics[name] = map[string]any{"series": []any{map[string]any{"stats": map[string]any{"total": math.NaN()}}}}
		}
		_, err := Compute(map[string]any{"metrics": metrics}, "atom", Totals{}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.names, err, c.want)
		}
	}
}
