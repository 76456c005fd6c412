package servermetrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyout"
)

// caseSpec is a case's case.json (scripts/gen-agentic-servermetrics-golden.py).
type caseSpec struct {
	Framework  string `json:"framework"`
	Prompt     *int64 `json:"prompt"`
	Generation *int64 `json:"generation"`
	Requests   int    `json:"requests"`
}

// upstreamError is the text of the exception upstream raised on a case,
// the one part of its golden.json that the Go side cannot reproduce. The
// golden is not read as JSON: upstream writes NaN and infinities.
func upstreamError(t *testing.T, golden []byte) upstreamGolden {
	t.Helper()
	m := errorLineRe.FindSubmatch(golden)
	if m == nil {
		return upstreamGolden{}
	}
	var s string
	if err := json.Unmarshal(m[1], &s); err != nil {
		t.Fatal(err)
	}
	return upstreamGolden{Error: &s}
}

var errorLineRe = regexp.MustCompile(`(?m)^  "error": (".*")$`)

type upstreamGolden struct{ Error *string }

// TestUpstreamCases runs every case under testdata/cases and checks the
// logs found, each log's capacity and the nested block (rounded as
// upstream rounds it) byte for byte against what upstream made of the case
// (scripts/gen-agentic-servermetrics-golden.py).
func TestUpstreamCases(t *testing.T) {
	errorsSeen, complete := checkCases(t, filepath.Join("testdata", "cases"), 25)
	if complete {
		// Our messages for what upstream raises on (with -run, only when
		// every case ran).
		golden.Check(t, filepath.Join("testdata", "errors.golden"), []byte(errorsSeen))
	}
}

// checkCases runs the cases under root (at least minCases of them) and
// returns the errors Compute gave, and whether every case ran.
func checkCases(t *testing.T, root string, minCases int) (string, bool) {
	dirs, err := filepath.Glob(filepath.Join(root, "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < minCases {
		t.Fatalf("found %d cases under %s, expected at least %d", len(dirs), root, minCases)
	}
	var errorsSeen strings.Builder
	ran := 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			ran++
			want, err := os.ReadFile(filepath.Join(dir, "golden.json"))
			if err != nil {
				t.Fatal(err)
			}
			var spec caseSpec
			readJSON(t, filepath.Join(dir, "case.json"), &spec)
			up := upstreamError(t, want)

			doc := &pyjson.Object{}
			paths, err := FindServerLogPaths(dir)
			if err != nil {
				t.Fatal(err)
			}
			rel := []any{}
			for _, p := range paths {
				r, err := filepath.Rel(dir, p)
				if err != nil {
					t.Fatal(err)
				}
				rel = append(rel, r)
			}
			doc.Set("log_paths", rel)
			doc.Set("log_capacities", logCapacities(t, dir))

			export, err := Load(filepath.Join(dir, "server_metrics_export.json"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Compute(export, spec.Framework, Totals{Prompt: spec.Prompt, Generation: spec.Generation, Requests: spec.Requests}, paths)
			switch {
			case err != nil && up.Error == nil:
				t.Fatalf("Compute: %v; upstream succeeds", err)
			case err != nil:
				errorsSeen.WriteString(name + ": " + err.Error() + "\n")
				// Upstream's own error for a server of unknown kind is kept
				// word for word; the others are Python's conversion errors,
				// which ours replace with ones naming the metric.
				if strings.HasPrefix(*up.Error, "ValueError: Unsupported") && "ValueError: "+err.Error() != *up.Error {
					t.Errorf("error %q, upstream %q", err, *up.Error)
				}
				doc.Set("error", *up.Error)
			case up.Error != nil:
				t.Fatalf("Compute succeeds; upstream raises %s", *up.Error)
			default:
				doc.Set("server_metrics", pyout.RoundFloats(res.Nested))
				warnings := []any{}
				for _, w := range res.Warnings {
					warnings = append(warnings, w)
				}
				doc.Set("warnings", warnings)
			}
			got := append(pyDumps(t, doc), '\n')
			if string(got) != string(want) {
				t.Errorf("differs from upstream's %s/golden.json:\n%s", dir, got)
			}
		})
	}
	return errorsSeen.String(), ran == len(dirs)
}

// logCapacities is each non-case file's capacity as both log parsers read
// it.
func logCapacities(t *testing.T, dir string) *pyjson.Object {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := &pyjson.Object{}
	for _, e := range entries {
		switch e.Name() {
		case "case.json", "server_metrics_export.json", "golden.json":
			continue
		}
		text, ok, err := loadLogHead(filepath.Join(dir, e.Name()))
		if err != nil || !ok {
			t.Fatalf("reading %s: %v (exists %v)", e.Name(), err, ok)
		}
		o := &pyjson.Object{}
		for _, p := range []struct {
			name  string
			parse func(string) (*capacity, error)
		}{{"vllm", vllmLogCapacity}, {"sglang", sglangLogCapacity}} {
			v, err := p.parse(text)
			if err != nil {
				t.Fatal(err)
			}
			if v == nil {
				o.Set(p.name, nil)
			} else {
				o.Set(p.name, json.Number(v.String()))
			}
		}
		out.Set(e.Name(), o)
	}
	return out
}

// pyDumps is json.dumps(v, indent=2), as the callers of this package
// write its result.
func pyDumps(t *testing.T, v any) []byte {
	t.Helper()
	b, err := pyout.MarshalIndent(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestPromscrapeExports checks that upstream's adapters and ours read
// loadgen's own exports alike.
func TestPromscrapeExports(t *testing.T) {
	frameworks := map[string]string{"vllm": "vllm", "sglang": "sglang", "atom": "atom", "dynamo": "dynamo-vllm"}
	for name, framework := range frameworks {
		t.Run(name, func(t *testing.T) {
			export, err := Load(filepath.Join("..", "..", "loadgen", "promscrape", "testdata", name+".server_metrics_export.json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(export) == 0 {
				t.Fatal("export missing")
			}
			res, err := Compute(export, framework, Totals{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			doc := &pyjson.Object{}
			doc.Set("server_metrics", pyout.RoundFloats(res.Nested))
			doc.Set("warnings", []any{})
			got := append(pyDumps(t, doc), '\n')
			want, err := os.ReadFile(filepath.Join("testdata", "promscrape", name+".golden.json"))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("differs from upstream's:\n%s", got)
			}
		})
	}
}
