// Package servermetrics turns the server metrics an agentic (AgentX) run
// scraped (AIPerf's server_metrics_export.json, which loadgen's promscrape
// also writes) and the serving engine's logs into the "server_metrics" block
// of the processed agentic result: prefix-cache hit rates, KV cache usage
// and capacity, KV offload traffic, token totals, per-engine figures.
//
// It is upstream InferenceX's utils/agentic/aggregation/server_metrics.py
// with its backend adapters (vLLM, SGLang, ATOM, Dynamo with vLLM) and
// server_log_metrics.py, value for value: Python floats stay float64 and
// Python ints int64, keys keep upstream's order, and nothing is rounded
// (the caller rounds the whole result as upstream's round_floats does).
package servermetrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// Load reads server_metrics_export.json. A missing file is an empty export
// (upstream aggregates runs without one and warns); a file that is not a
// JSON object is an error naming the file and, for bad JSON, the line and
// column. Numbers stay json.Number; objects below the top level are
// *pyjson.Object, in file order as Python's json keeps them.
func Load(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading server metrics: %w", err)
	}
	v, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	top, ok := v.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("%s: the document is a %s, expected a JSON object", path, pyvalue.TypeName(v))
	}
	out := make(map[string]any, len(top.Keys()))
	for _, k := range top.Keys() {
		out[k], _ = top.Get(k)
	}
	return out, nil
}

// decode is json.load: one value, objects in order (a repeated key keeps
// its first place and its last value).
func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err == nil {
		if _, err = dec.Token(); err == io.EOF {
			return v, nil
		}
		err = errors.New("extra data after the JSON value")
	}
	var probe any
	var se *json.SyntaxError
	if errors.As(json.Unmarshal(data, &probe), &se) {
		line, col := position(data, se)
		return nil, fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, se)
	}
	return nil, fmt.Errorf("invalid JSON: %w", err)
}

// position is the line and column (1-based, in bytes) where se says the
// document stops being JSON.
func position(data []byte, se *json.SyntaxError) (line, col int) {
	end := int(se.Offset) - 1 // Offset counts the offending byte
	if se.Error() == "unexpected end of JSON input" {
		end = len(data)
	}
	end = max(0, min(end, len(data)))
	line = 1 + bytes.Count(data[:end], []byte("\n"))
	col = end - (bytes.LastIndexByte(data[:end], '\n') + 1) + 1
	return line, col
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool, nil
	}
	switch d {
	case '{':
		o := &pyjson.Object{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			val, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			o.Set(kt.(string), val) // the decoder only yields string keys
		}
		_, err := dec.Token()
		return o, err
	case '[':
		list := []any{}
		for dec.More() {
			val, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, val)
		}
		_, err := dec.Token()
		return list, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

// Totals are the request records' sums that stand in for token counters a
// server did not export (upstream's apply_profile_totals): the summed input
// and output sequence lengths (nil when no record has one) and the number
// of records.
type Totals struct {
	Prompt, Generation *int64
	Requests           int
}

// Result is the nested "server_metrics" block and the warnings to list in
// the aggregate.
type Result struct {
	Nested   *pyjson.Object
	Warnings []string
}

// Compute is upstream's compute_server_metrics. framework is the job's
// FRAMEWORK (it picks the adapter when the export is empty); logPaths are
// the server logs to read the GPU KV cache capacity from
// (FindServerLogPaths).
func Compute(export map[string]any, framework string, totals Totals, logPaths []string) (Result, error) {
	c := &calc{metrics: mapDict{}}
	if m, ok := asDict(export["metrics"]); ok {
		c.metrics = m
	}
	names := c.metrics.keys()
	n := emptyNested(len(names) > 0, len(names))
	var warnings []string
	adapter := detectBackend(names, framework)

	f := &flat{}
	if len(names) == 0 {
		warnings = append(warnings, "server_metrics_export.json missing or empty")
	} else {
		if adapter == nil {
			preview := slicesHead(names, 10)
			//lint:ignore ST1005 upstream's wording, kept word for word
			return Result{}, fmt.Errorf("Unsupported agentic server metrics backend; framework=%s, metric_names=[%s]",
				pyvalue.StrRepr(strings.ToLower(framework)), strings.Join(preview, ", "))
		}
		n.root.Set("adapter", adapter.name)
		adapter.populate(c, f, n)
		if c.err != nil {
			return Result{}, fmt.Errorf("server metrics: %w", c.err)
		}
	}
	if adapter != nil && adapter.logParser != nil {
		capacity, err := logCapacity(logPaths, adapter.logParser)
		if err != nil {
			return Result{}, err
		}
		if capacity != nil {
			n.kvCache.Set("gpu_total_tokens", capacity)
		}
	}
	// Token totals the server did not export come from the request
	// records.
	if v, _ := n.tokens.Get("prompt_total"); v == nil && totals.Prompt != nil {
		n.tokens.Set("prompt_total", *totals.Prompt)
	}
	if v, _ := n.tokens.Get("generation_total"); v == nil && totals.Generation != nil {
		n.tokens.Set("generation_total", *totals.Generation)
	}
	n.tokens.Set("requests_completed", int64(totals.Requests))
	return Result{Nested: n.root, Warnings: warnings}, nil
}

// slicesHead is sorted(names)[:n] (names come sorted).
func slicesHead(names []string, n int) []string {
	if !sort.StringsAreSorted(names) {
		names = append([]string(nil), names...)
		sort.Strings(names)
	}
	return names[:min(n, len(names))]
}
