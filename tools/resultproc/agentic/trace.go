package agentic

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// TraceLengths is upstream's trace metadata (trace_metadata.py): the
// output length of every turn of every trace in the Weka traces dataset
// as the Hugging Face cache holds it, so that the aggregate can say how
// many output tokens each request was meant to produce.
type TraceLengths struct {
	turns map[string][]int64
}

// hfTracesDir is upstream's _hf_traces_dir: the newest snapshot of a
// semianalysisai/cc-traces-weka* dataset in the hub cache that holds a
// .jsonl or .json file; "" when there is none.
func hfTracesDir(lookup Lookup, p paths) (string, error) {
	e := env{lookup}
	root := e.get("HF_HUB_CACHE", "")
	if root == "" {
		root = e.get("HUGGINGFACE_HUB_CACHE", "")
	}
	if root == "" {
		if home := e.get("HF_HOME", ""); home != "" {
			root = filepath.Join(home, "hub")
		} else {
			home := e.get("HOME", "")
			if home == "" {
				h, err := os.UserHomeDir()
				if err != nil {
					return "", fmt.Errorf("finding the Hugging Face cache: %w", err)
				}
				home = h
			}
			root = filepath.Join(home, ".cache", "huggingface", "hub")
		}
	}
	root = p.fs(root)
	if !isDir(root) {
		return "", nil
	}
	datasets, err := matchNames(root, "datasets--semianalysisai--cc-traces-weka*")
	if err != nil {
		return "", err
	}
	type snap struct {
		path  string
		mtime int64
	}
	var snaps []snap
	for _, d := range datasets {
		sr := filepath.Join(d, "snapshots")
		if !isDir(sr) {
			continue
		}
		entries, err := os.ReadDir(sr)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", sr, err)
		}
		for _, en := range entries {
			p := filepath.Join(sr, en.Name())
			st, err := os.Stat(p)
			if err != nil || !st.IsDir() {
				continue
			}
			snaps = append(snaps, snap{p, st.ModTime().UnixNano()})
		}
	}
	// Newest first; equal times keep the order found (names sorted; upstream
	// keeps the directory's own order there).
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].mtime > snaps[j].mtime })
	for _, s := range snaps {
		for _, pat := range [...]string{"*.jsonl", "*.json"} {
			m, err := matchNames(s.path, pat)
			if err != nil {
				return "", err
			}
			if len(m) > 0 {
				return s.path, nil
			}
		}
	}
	return "", nil
}

// matchNames lists dir and keeps the entries whose names match pattern,
// in name order. Only the names are matched: the directory comes from
// the environment and may hold '[', '*' or '?' of its own, which a glob
// over the joined path would read as pattern syntax.
func matchNames(dir, pattern string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing the Hugging Face cache: %w", err)
	}
	var out []string
	for _, e := range entries {
		ok, err := filepath.Match(pattern, e.Name())
		if err != nil {
			return nil, fmt.Errorf("matching %q in %s: %w", pattern, dir, err)
		}
		if ok {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// loadTraceLengths reads the dataset from the Hugging Face cache that
// lookup's environment names (HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE,
// HF_HOME, else ~/.cache/huggingface/hub): every .jsonl file's lines,
// then every .json file, in name order; lines and files that are not
// JSON, or cannot be read, are skipped, as upstream skips them.
func loadTraceLengths(lookup Lookup, p paths) (*TraceLengths, error) {
	t := &TraceLengths{turns: map[string][]int64{}}
	dir, err := hfTracesDir(lookup, p)
	if err != nil || dir == "" {
		return t, err
	}
	jsonl, err := matchNames(dir, "*.jsonl")
	if err != nil {
		return nil, err
	}
	for _, p := range jsonl {
		if err := t.readJSONL(p); err != nil {
			return nil, err
		}
	}
	jsonFiles, err := matchNames(dir, "*.json")
	if err != nil {
		return nil, err
	}
	for _, p := range jsonFiles {
		// A file that cannot be read, or is not one JSON document, is
		// skipped: upstream catches OSError and JSONDecodeError there.
		data, err := readFile(p)
		if err != nil {
			continue
		}
		blob, err := decodeDocument(data)
		if err != nil {
			continue
		}
		if err := t.add(blob); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return t, nil
}

// readFile reads a regular file; a directory is an error, as opening one
// is in Python.
func readFile(p string) ([]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", p)
	}
	return os.ReadFile(p)
}

func (t *TraceLengths) readJSONL(p string) error {
	st, err := os.Stat(p)
	if err != nil || st.IsDir() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := newLineScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := []byte(pynum.Strip(string(sc.Bytes())))
		if len(text) == 0 {
			continue
		}
		// json.loads takes exactly one value: a line like `12abc` or
		// `{} []` is skipped, not read as its first value.
		blob, err := decodeDocument(text)
		if err != nil {
			continue
		}
		if err := t.add(blob); err != nil {
			return fmt.Errorf("%s:%d: %w", p, line, err)
		}
	}
	// A file that stops being readable part way is skipped from there on.
	return nil
}

// add takes one trace: its id and the output length of each of its
// normal ("n") and subagent ("s") requests; a later trace with the same
// id replaces an earlier one.
func (t *TraceLengths) add(blob any) error {
	b, ok := blob.(map[string]any)
	if !ok {
		return fmt.Errorf("a trace must be a JSON object, not %s", pyvalue.TypeName(blob))
	}
	id := b["id"]
	if !pyvalue.Truthy(id) {
		return nil
	}
	var per []int64
	reqs, has := b["requests"]
	if !has {
		reqs = []any{}
	}
	var items []any
	switch x := reqs.(type) {
	case []any:
		items = x
	case map[string]any:
		// Iterating a dict gives its keys, which have no .get.
		if len(x) > 0 {
			return errors.New("requests must be a list of objects, not a dict")
		}
	case string:
		if x != "" {
			return errors.New("requests must be a list of objects, not a str")
		}
	default:
		return fmt.Errorf("requests must be a list of objects, not %s", pyvalue.TypeName(reqs))
	}
	for i, it := range items {
		req, ok := it.(map[string]any)
		if !ok {
			return fmt.Errorf("requests[%d] must be an object, not %s", i, pyvalue.TypeName(it))
		}
		if typ := req["type"]; typ != "n" && typ != "s" {
			continue
		}
		out, has := req["output_length"]
		if !has || out == nil {
			out = req["out"]
		}
		switch h := req["hash_ids"]; h.(type) {
		case json.Number, bool:
			if pyvalue.Truthy(h) {
				return fmt.Errorf("requests[%d].hash_ids must be a list, not %s", i, pyvalue.TypeName(h))
			}
		}
		if !pyvalue.Truthy(out) {
			per = append(per, 0)
			continue
		}
		n, err := mustInt(out)
		if err != nil {
			return fmt.Errorf("requests[%d].output_length: %w", i, err)
		}
		per = append(per, n)
	}
	if len(per) > 0 {
		t.turns[pyStr(id)] = per
	}
	return nil
}

// expected is upstream's expected_output_lengths: each record's intended
// output length, found by its conversation (the trace id, before any
// "::" of a subagent) and turn.
func (t *TraceLengths) expected(records []Record) ([]int64, error) {
	if t == nil || len(t.turns) == 0 {
		return nil, nil
	}
	var out []int64
	for i := range records {
		r := &records[i]
		conv := r.Meta["conversation_id"]
		if !pyvalue.Truthy(conv) {
			continue
		}
		cs, ok := conv.(string)
		if !ok {
			return nil, &RecordError{Line: r.Line, Err: fmt.Errorf("metadata.conversation_id must be a string, not %s", pyvalue.TypeName(conv))}
		}
		trace, _, _ := strings.Cut(cs, "::")
		ti, has := r.Meta["turn_index"]
		if !has || ti == nil {
			continue
		}
		turns := t.turns[trace]
		if len(turns) == 0 {
			continue
		}
		idx, skip, err := turnIndex(ti, len(turns))
		if err != nil {
			return nil, &RecordError{Line: r.Line, Err: fmt.Errorf("metadata.turn_index: %w", err)}
		}
		if skip {
			continue
		}
		out = append(out, turns[idx])
	}
	return out, nil
}

// turnIndex is Python's `turn_index >= len(turns)` then turns[int(turn_index)]:
// skip past the end; a negative index counts from the end.
func turnIndex(v any, n int) (int, bool, error) {
	var f float64
	switch x := v.(type) {
	case bool:
		if x {
			f = 1
		}
	case json.Number:
		if pyvalue.IsIntLiteral(x) {
			i, ok, err := pyInt(x)
			if err != nil || !ok {
				// Beyond 64 bits: past the end, or before the start.
				if strings.HasPrefix(string(x), "-") {
					return 0, false, fmt.Errorf("index %s out of range", x)
				}
				return 0, true, nil
			}
			if i >= int64(n) {
				return 0, true, nil
			}
			if i < -int64(n) {
				return 0, false, fmt.Errorf("index %d out of range", i)
			}
			if i < 0 {
				i += int64(n)
			}
			return int(i), false, nil
		}
		g, err := pyvalue.NumberFloat(x)
		if err != nil {
			return 0, false, err
		}
		f = g
	default:
		return 0, false, fmt.Errorf("cannot compare %s with an int", pyvalue.TypeName(v))
	}
	if f >= float64(n) {
		return 0, true, nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, fmt.Errorf("cannot convert float %s to integer", pyvalue.FloatRepr(f))
	}
	i := int64(math.Trunc(f))
	if i < -int64(n) {
		return 0, false, fmt.Errorf("index %d out of range", i)
	}
	if i < 0 {
		i += int64(n)
	}
	return int(i), false, nil
}

// decodeDocument is json.loads of a whole text: exactly one value with
// nothing but JSON white space around it.
func decodeDocument(text []byte) (any, error) {
	if err := oneValue(text); err != nil {
		return nil, err
	}
	return decodeAny(text)
}
