package schemas

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// libVerdict is the library's answer alone.
func libVerdict(t testing.TB, v *Validator, k Kind, doc any) bool {
	t.Helper()
	s, _, err := v.schema(k)
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(doc) == nil
}

// agree requires the fast checker, where it answers, to give the library's
// verdict.
func agree(t testing.TB, v *Validator, doc any, where string) {
	t.Helper()
	for _, k := range Kinds() {
		_, fs, err := v.schema(k)
		if err != nil {
			t.Fatal(err)
		}
		if fs == nil {
			continue
		}
		fast, known := fs.valid(doc)
		if !known {
			continue
		}
		if lib := libVerdict(t, v, k, doc); fast != lib {
			b, _ := json.Marshal(doc)
			t.Fatalf("%s as %s: fast path says valid=%v, the library %v\n%.1500s", where, k, fast, lib, b)
		}
	}
}

func TestEveryKindHasAFastPath(t *testing.T) {
	v := mustValidator(t)
	for _, k := range Kinds() {
		if _, fs, err := v.schema(k); err != nil || fs == nil {
			url := baseURL + string(k) + ".schema.json"
			_, ferr := (&fastCompiler{raw: v.raw, done: map[string]*fastSchema{}}).compileURL(url)
			t.Errorf("%s has no fast path: %v %v", k, err, ferr)
		}
	}
}

// fixtures are the JSON and YAML documents of the repository (configs,
// test data): real documents, valid and not, of every kind.
func fixtures(t testing.TB) map[string]any {
	t.Helper()
	out := map[string]any{}
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".cache", "node_modules", "bin", ".tools", "fuzz", "demo-out":
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // links and other special files
		}
		info, err := d.Info()
		if err != nil || info.Size() > 2<<20 {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".json"):
			if doc, err := DecodeJSON(data); err == nil {
				out[path] = doc
			}
		case strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml"):
			var doc any
			if yaml.Unmarshal(data, &doc) == nil {
				if g, ok := generic(doc); ok {
					out[path] = g
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("only %d fixtures", len(out))
	}
	return out
}

// generic turns YAML-decoded values into the generic JSON form.
func generic(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			g, ok := generic(e)
			if !ok {
				return nil, false
			}
			x[k] = g
		}
		return x, true
	case []any:
		for i, e := range x {
			g, ok := generic(e)
			if !ok {
				return nil, false
			}
			x[i] = g
		}
		return x, true
	case int:
		return int64(x), true
	case nil, bool, string, float64, int64:
		return x, true
	}
	return nil, false
}

func TestFastAgreesOnFixtures(t *testing.T) {
	v := mustValidator(t)
	for path, doc := range fixtures(t) {
		agree(t, v, doc, path)
	}
}

// mutate changes one random place of a document: a value to another
// type or value, a key removed or added, an item dropped.
func mutate(r *rand.Rand, doc any) any {
	replacements := []any{nil, true, false, "", "x", "fp8", "1k1k", "dsr1-fp8-h200-sglang", int64(0), int64(-1), int64(1),
		int64(8), 8.5, 8.0, json.Number("4"), json.Number("1e2"), []any{}, []any{int64(1)}, map[string]any{}}
	keys := []string{"tp", "conc", "conc-start", "conc-end", "conc-list", "multinode", "disagg", "prefill", "decode",
		"spec-decoding", "extra", "run-eval", "num-worker", "ep", "dp-attn", "additional-settings", "isl", "osl", "evals-only",
		"scenario_type", "kv_offloading", "kv_offload_backend", "power_valid", "avg_power_w", "is_multinode", "mean", "p50"}
	var walk func(v any, depth int) any
	walk = func(v any, depth int) any {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 || r.Intn(4) == 0 {
				switch r.Intn(3) {
				case 0:
					x[keys[r.Intn(len(keys))]] = replacements[r.Intn(len(replacements))]
				case 1:
					for k := range x {
						delete(x, k)
						break
					}
				default:
					return replacements[r.Intn(len(replacements))]
				}
				return x
			}
			n := r.Intn(len(x))
			for k, e := range x {
				if n == 0 {
					x[k] = walk(e, depth+1)
					break
				}
				n--
			}
			return x
		case []any:
			if len(x) == 0 || r.Intn(4) == 0 {
				if len(x) > 0 && r.Intn(2) == 0 {
					return x[:len(x)-1]
				}
				return append(x, replacements[r.Intn(len(replacements))])
			}
			i := r.Intn(len(x))
			x[i] = walk(x[i], depth+1)
			return x
		}
		return replacements[r.Intn(len(replacements))]
	}
	return walk(doc, 0)
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	out, _ := DecodeJSON(b)
	return out
}

func TestFastAgreesOnMutations(t *testing.T) {
	v := mustValidator(t)
	r := rand.New(rand.NewSource(20260205))
	docs := fixtures(t)
	paths := make([]string, 0, len(docs))
	for p := range docs {
		paths = append(paths, p)
	}
	n := 2000
	if testing.Short() {
		n = 400
	}
	for i := 0; i < n; i++ {
		p := paths[r.Intn(len(paths))]
		doc := deepCopy(docs[p])
		for j := 0; j <= r.Intn(3); j++ {
			doc = mutate(r, doc)
		}
		agree(t, v, doc, fmt.Sprintf("%s mutation %d", p, i))
	}
}

// FuzzFastAgrees: on any JSON document, the fast checker gives the library's
// verdict for every kind.
func FuzzFastAgrees(f *testing.F) {
	f.Add([]byte(singleNodeEntry))
	f.Add([]byte(multiNodeEntry))
	f.Add([]byte(rawResult))
	f.Add([]byte(`{"k": {"image": "i", "model": "m", "model-prefix": "p", "precision": "fp8", "framework": "f", "runner": "r",
		"multinode": false, "seq-len-configs": [{"isl": 1, "osl": 1, "search-space": [{"tp": 8, "conc-list": [1]}]}]}}`))
	f.Add([]byte(`[{"config-keys": ["a*"], "description": ["d"], "pr-link": "p", "evals-only": true}]`))
	f.Add([]byte(todaySingle))
	f.Add([]byte(todayMulti))
	f.Add([]byte(agenticSingle))
	f.Add([]byte(agenticMulti))
	f.Add([]byte(`{"k": {"image": "i", "model": "m", "model-prefix": "p", "precision": "fp8", "framework": "f", "runner": "cluster:r",
		"multinode": false, "scenarios": {"agentic-coding": [{"dram-utilization": 0.5, "search-space": [{"tp": 8, "kv-offloading": "dram",
		"kv-offload-backend": {"name": "b"}, "conc-start": 1, "conc-end": 4}]}]}}}`))
	f.Add([]byte(`{"labels": {"cluster:x": ["x_0"]}, "hardware": {"cluster:x": {"available-cpu-dram-mib": 1024, "gpus-per-node": 8}}}`))
	for _, p := range []string{"testdata/agentic-result/multi-dynamo-router.json", "testdata/agentic-result/single-errors-only.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	v := mustValidator(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := DecodeJSON(data)
		if err != nil {
			return
		}
		agree(t, v, doc, "fuzz input")
	})
}
