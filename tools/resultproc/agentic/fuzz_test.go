package agentic

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyout"
)

// FuzzRecords feeds arbitrary profile_export.jsonl text through the
// reader and the request aggregation: no panic, and the accounting adds
// up whenever the text is read.
func FuzzRecords(f *testing.F) {
	for _, name := range []string{"basic_no_server_metrics", "errors_and_warmup", "odd_metric_values", "crlf_and_blank_lines"} {
		data, err := os.ReadFile(filepath.Join("testdata", "cases", name, "results", "aiperf_artifacts", "profile_export.jsonl"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("{\"metadata\": {\"benchmark_phase\": 1}, \"error\": {\"type\": null, \"message\": \"a:b\"}}\n[1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, acc, err := DecodeRecords("fuzz.jsonl", bytes.NewReader(data))
		if err != nil {
			return
		}
		if acc.Profiled != int64(len(recs)) || acc.Total != acc.Profiled+acc.Dropped || acc.Dropped > acc.WarmupDropped+acc.ErrorDropped {
			t.Fatalf("accounting does not add up: %+v with %d records", acc, len(recs))
		}
		empty := &TraceLengths{}
		out, _, err := requestMetrics(recs, &pyjson.Object{}, func() (*TraceLengths, error) { return empty, nil })
		if err != nil {
			return
		}
		if _, err := pyout.MarshalIndent(pyout.RoundFloats(out)); err != nil {
			t.Fatalf("result cannot be written: %v", err)
		}
		if _, err := profileTotals(recs); err != nil {
			return
		}
	})
}

// FuzzAggregate feeds arbitrary profile_export_aiperf.json text through
// the reader and the parts of the result that come from it (the dataset
// block and the theoretical cache hit rate).
func FuzzAggregate(f *testing.F) {
	for _, name := range []string{"theoretical_cache_sum_count", "theoretical_cache_avg_percent", "theoretical_cache_avg_fraction", "replay_kv"} {
		data, err := os.ReadFile(filepath.Join("testdata", "cases", name, "results", "aiperf_artifacts", "profile_export_aiperf.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"theoretical_prefix_cache_hit": {"sum": "1e400", "count": true, "avg": null, "unit": 5}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := results.DecodeOrdered(data)
		if err != nil {
			return
		}
		o, ok := v.(*pyjson.Object)
		if !ok {
			return
		}
		hit, err := theoreticalHitRate(o)
		if err != nil {
			return
		}
		if hit != nil {
			if _, ok := hit.(float64); !ok {
				t.Fatalf("hit rate %#v is not a float", hit)
			}
		}
		if _, err := pyout.MarshalIndent(pyout.RoundFloats(o)); err != nil {
			t.Fatalf("aggregate cannot be written back: %v", err)
		}
	})
}

// FuzzWalkObject checks the row walker against encoding/json: the same
// members, the last of a repeated key winning.
func FuzzWalkObject(f *testing.F) {
	f.Add([]byte(`{"a": 1, "b": {"c": [1, "]}"]}, "a": "x\"y", "\u00e9": null}`))
	f.Add([]byte(` { } `))
	f.Add([]byte(`[{"a": 1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		got := map[string]string{}
		isObj, err := walkObject(data, func(k string, v []byte) { got[k] = string(v) })
		var want map[string]json.RawMessage
		uerr := json.Unmarshal(data, &want)
		if !isObj {
			if uerr == nil && want != nil {
				t.Fatalf("%q: an object not seen as one", data)
			}
			return
		}
		if err != nil || uerr != nil {
			t.Fatalf("%q: walk %v, encoding/json %v", data, err, uerr)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, encoding/json %d", data, len(got), len(want))
		}
		for k, v := range want {
			var a, b bytes.Buffer
			if json.Compact(&a, v) != nil || json.Compact(&b, []byte(got[k])) != nil || a.String() != b.String() {
				t.Fatalf("%q: member %q is %q, encoding/json %q", data, k, got[k], v)
			}
		}
	})
}

// FuzzDecodeOrdered checks the surrogate-keeping decoder against
// encoding/json: it accepts exactly the valid documents, what it reads
// is written and read back unchanged, and where the text holds no
// surrogate escape and only valid UTF-8 it reads what results.DecodeOrdered
// reads.
func FuzzDecodeOrdered(f *testing.F) {
	for _, s := range []string{`{"a": "\ud800", "b": ["\udc00x", "\ud83d\ude00"]}`, `[1, 2.5, "é", {"k": null}]`,
		`"\u00e9\\\"\/\b\f\n\r\t"`, `{"a": 1} [1]`, `{"a": 1, "a": 2}`, `"\ud800\u0041"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeOrdered(data)
		if (err == nil) != json.Valid(data) {
			t.Fatalf("decodeOrdered error %v, json.Valid %v", err, json.Valid(data))
		}
		if err != nil {
			return
		}
		out, err := pyout.MarshalIndent(v)
		if err != nil {
			t.Fatalf("cannot write what was read: %v", err)
		}
		if !json.Valid(out) {
			// A number beyond float range is Python's inf, written as
			// Infinity: not JSON, so no round trip (the differences
			// table lists it).
			if !bytes.Contains(out, []byte("Infinity")) {
				t.Fatalf("wrote invalid JSON:\n%s", out)
			}
			return
		}
		v2, err := decodeOrdered(out)
		if err != nil {
			t.Fatalf("cannot read what was written: %v\n%s", err, out)
		}
		out2, err := pyout.MarshalIndent(v2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the document:\n%s\n%s (%v)", out, out2, err)
		}
		if !utf8.Valid(data) || surrogateEscape.Match(data) {
			return
		}
		ref, err := results.DecodeOrdered(data)
		if err != nil {
			t.Fatalf("results.DecodeOrdered refuses what json.Valid takes: %v", err)
		}
		want, err := pyout.MarshalIndent(ref)
		if err != nil || !bytes.Equal(out, want) {
			t.Fatalf("decoded\n%s\nresults.DecodeOrdered\n%s (%v)", out, want, err)
		}
	})
}

var surrogateEscape = regexp.MustCompile(`(?i)\\u[d][89a-f]`)
