package results

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/schemas"
)

// TestRoundTripLikePython checks DecodeOrdered + MarshalIndent against
// Python's json.dumps(json.loads(x), indent=2) (testdata/roundtrip.json,
// from scripts/gen-results-golden.py).
func TestRoundTripLikePython(t *testing.T) {
	data, err := os.ReadFile("testdata/roundtrip.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases [][2]string
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		doc, err := DecodeOrdered([]byte(c[0]))
		if err != nil {
			t.Errorf("%s: %v", c[0], err)
			continue
		}
		got, err := MarshalIndent(doc)
		if err != nil {
			t.Errorf("%s: %v", c[0], err)
			continue
		}
		if string(got) != c[1] {
			t.Errorf("%s:\ngot  %s\nwant %s", c[0], got, c[1])
		}
	}
}

func TestDecodeOrderedErrors(t *testing.T) {
	cases := map[string]string{
		"{\"a\": 1,\n":       "invalid JSON at line 2, column 1: unexpected end of JSON input",
		"{\"a\": 1} {}":      "more than one value",
		"{\"a\": 1e999}":     "out of range",
		"":                   "invalid JSON",
		"{\"a\":\n  tru}":    "line 2, column 6",
		"[1, 2,]":            "invalid character ']'",
		"{\"a\": NaN}":       "invalid character 'N'",
		"\"unterminated":     "unexpected end",
		"{\"a\": [1, 2}":     "invalid character '}'",
		"{1: 2}":             "invalid character '1'",
		"   ":                "invalid JSON",
		"{\"x\": \"\\q\"}":   "invalid character 'q'",
		"nul":                "invalid JSON",
		"{\"k\": 1,, \"j\"}": "invalid character ','",
	}
	for in, want := range cases {
		_, err := DecodeOrdered([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", in, err, want)
		}
	}
}

func TestFindJSONOrder(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a-b/x.json", "a/z.json", "a/y/w.json", "b.json", ".hidden.json", "c.txt", "a/dir.json/inner.json"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "b.json"), filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	got, err := FindJSON(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i], _ = filepath.Rel(dir, got[i])
	}
	// Python: sorted(Path(dir).rglob("*.json")), files only.
	want := []string{".hidden.json", "a/dir.json/inner.json", "a/y/w.json", "a/z.json", "a-b/x.json", "b.json", "link.json"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if _, err := FindJSON(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := FindJSON(filepath.Join(dir, "b.json")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as dir: %v", err)
	}
}

const single = `{"hw": "h200", "conc": 4, "image": "img:1", "model": "openai/gpt-oss-120b",
 "infmax_model_prefix": "gptoss", "framework": "vllm", "precision": "fp4", "spec_decoding": "none", "disagg": false,
 "isl": 1024, "osl": 8192, "is_multinode": false, "tp": 8, "ep": 1, "dp_attention": "false", "tput_per_gpu": 819.2,
 "output_tput_per_gpu": 409.6, "input_tput_per_gpu": 409.6, "median_ttft": 0.0701, "median_tpot": 0.01,
 "median_intvty": 100.0, "median_e2el": 1.2}`

func TestLoadDirAndDuplicates(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"job1/agg_a.json": single,
		"job2/agg_b.json": strings.Replace(single, `"image": "img:1"`, `"image": "img:2"`, 1),
		"job3/agg_c.json": strings.Replace(single, `"conc": 4`, `"conc": 8`, 1),
		"job4/bad.json":   `{"is_multinode": false}`,
		"job5/trunc.json": `{"is_multinode"`,
		"other/eval.json": `{"results": {}}`,
	}
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found, problems, skipped, err := LoadDir(v, dir, IsProcessedCandidate)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 3 || skipped != 1 || len(problems) != 2 {
		t.Fatalf("found %d, skipped %d, problems %v", len(found), skipped, problems)
	}
	if !strings.Contains(problems[0].String(), "job4/bad.json") || !strings.Contains(problems[0].Err.Error(), "/hw: required key is missing") {
		t.Errorf("problem 0: %v", problems[0])
	}
	dups := Duplicates(found)
	if len(dups) != 1 || len(dups[0]) != 2 {
		t.Fatalf("duplicates %v", dups)
	}
	if got := found[0].Label(); got != "gptoss h200 vllm fp4 1k8k tp8 ep1 dpa=false conc=4" {
		t.Errorf("label %q", got)
	}
	if found[0].Identity() == found[2].Identity() {
		t.Error("different conc, same identity")
	}
}

// TestIdentityOfTodaysFields: a Feb-2026 result and today's result of the
// same configuration (sizes 1, no role hardware) share an identity; other
// sizes or role hardware make another configuration, and show in the label.
func TestIdentityOfTodaysFields(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	today := func(extra string) string {
		return strings.Replace(single, `"tp": 8,`, `"tp": 8, `+extra, 1)
	}
	fp := `"recipe_fingerprint": "` + strings.Repeat("ab", 32) + `", `
	multi := `{"hw": "gb200", "conc": 64, "image": "i", "model": "m", "infmax_model_prefix": "dsr1", "framework": "dynamo-trt",
 "precision": "fp4", "spec_decoding": "mtp", "disagg": true, "isl": 1024, "osl": 1024, "is_multinode": true,
 "prefill_tp": 4, "prefill_ep": 4, "prefill_dp_attention": "true", "prefill_num_workers": 5, "decode_tp": 8, "decode_ep": 8,
 "decode_dp_attention": "true", "decode_num_workers": 1, "num_prefill_gpu": 20, "num_decode_gpu": 8, "tput_per_gpu": 1.0,
 "output_tput_per_gpu": 1.0, "input_tput_per_gpu": 1.0, "median_ttft": 0.1, "median_tpot": 0.01, "median_intvty": 100.0,
 "median_e2el": 1.2}`
	multiToday := func(extra string) string {
		return strings.Replace(multi, `"prefill_tp": 4,`, `"prefill_tp": 4, `+extra, 1)
	}
	parse := func(doc string) *Processed {
		t.Helper()
		p, err := ParseProcessed(v, "x.json", []byte(doc))
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		return p
	}
	feb := parse(single)
	cases := []struct {
		name  string
		doc   string
		same  bool
		label string
	}{
		{"today, sizes 1", strings.Replace(today(`"pp": 1, "dcp_size": 1, "pcp_size": 1,`), `"disagg": false,`, `"disagg": false, `+fp, 1), true,
			"gptoss h200 vllm fp4 1k8k tp8 ep1 dpa=false conc=4"},
		{"pipeline parallel", today(`"pp": 2, "dcp_size": 1, "pcp_size": 1,`), false, "gptoss h200 vllm fp4 1k8k tp8 pp2 ep1 dpa=false conc=4"},
		{"context parallel", today(`"pp": 1, "dcp_size": 2, "pcp_size": 4,`), false, "gptoss h200 vllm fp4 1k8k tp8 dcp2 pcp4 ep1 dpa=false conc=4"},
	}
	for _, c := range cases {
		p := parse(c.doc)
		if (p.Identity() == feb.Identity()) != c.same {
			t.Errorf("%s: same identity as the Feb-2026 result: %v, want %v", c.name, !c.same, c.same)
		}
		if got := p.Label(); got != c.label {
			t.Errorf("%s: label %q, want %q", c.name, got, c.label)
		}
	}
	mfeb := parse(multi)
	msame := parse(multiToday(`"prefill_pp": 1, "prefill_dcp_size": 1, "prefill_pcp_size": 1, "decode_pp": 1, "decode_dcp_size": 1, "decode_pcp_size": 1,`))
	mhw := parse(strings.Replace(multi, `"num_decode_gpu": 8,`, `"num_decode_gpu": 8, "prefill_hw": "gb200", "decode_hw": "h100",`, 1))
	mpp := parse(multiToday(`"decode_pp": 2,`))
	if mfeb.Identity() != msame.Identity() || mfeb.Identity() == mhw.Identity() || mfeb.Identity() == mpp.Identity() {
		t.Error("multi-node identities: sizes of 1 must match the Feb-2026 result, role hardware and other sizes must not")
	}
	if got := mhw.Label(); got != "dsr1 gb200 dynamo-trt fp4 1k1k spec=mtp prefill gb200 5x(tp4 ep4 dpa=true) 20gpu decode h100 1x(tp8 ep8 dpa=true) 8gpu conc=64" {
		t.Errorf("label %q", got)
	}
	if got := mpp.Label(); !strings.Contains(got, "decode 1x(tp8 pp2 ep8 dpa=true)") {
		t.Errorf("label %q", got)
	}
}

func TestSeqName(t *testing.T) {
	for _, c := range []struct {
		isl, osl int64
		want     string
	}{{1024, 1024, "1k1k"}, {1024, 8192, "1k8k"}, {8192, 1024, "8k1k"}, {2048, 128, "2048_128"}} {
		if got := SeqName(c.isl, c.osl); got != c.want {
			t.Errorf("SeqName(%d, %d) = %s, want %s", c.isl, c.osl, got, c.want)
		}
	}
}

func FuzzDecodeOrdered(f *testing.F) {
	f.Add([]byte(`{"a": [1, 2.5, "x", null, true], "b": {"c": -0}}`))
	f.Add([]byte(`[1e400]`))
	f.Add([]byte(`{"a": 1, "a": 2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := DecodeOrdered(data)
		if err != nil {
			return
		}
		out, err := MarshalIndent(doc)
		if err != nil {
			t.Fatalf("decoded but cannot encode: %v", err)
		}
		// What we write reads back to the same thing.
		again, err := DecodeOrdered(out)
		if err != nil {
			t.Fatalf("output does not decode: %v\n%s", err, out)
		}
		out2, err := MarshalIndent(again)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}

// TestAgenticResults: a result that says scenario_type agentic-coding is
// held to the agentic-result schema (and one that does not, to the
// fixed-seq-len one); its identity and label name the KV offload instead of
// sequence lengths, and FixedSeqLen leaves it out.
func TestAgenticResults(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", "schemas", "testdata", "agentic-result", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	none, dram, multi := read("single-vllm.json"), read("single-vllm-dram-traces.json"), read("multi-dynamo-router.json")
	parse := func(doc string) (*Processed, error) { return ParseProcessed(v, "x.json", []byte(doc)) }
	a, err := parse(none)
	if err != nil {
		t.Fatal(err)
	}
	b, err := parse(dram)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parse(multi)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Agentic() || !m.Agentic() {
		t.Error("agentic results not told apart")
	}
	if a.Identity() == b.Identity() {
		t.Error("the KV offload is not part of an agentic result's identity")
	}
	for r, want := range map[*Processed]string{
		a: "dsr1 cluster:b200-dgxc vllm fp8 agentic tp8 ep1 dpa=false kv=none conc=32",
		b: "dsr1 cluster:b200-dgxc vllm fp8 agentic tp8 ep1 dpa=false kv=dram(vllm-simple) conc=32",
	} {
		if got := r.Label(); got != want {
			t.Errorf("label %q, want %q", got, want)
		}
	}
	if got := m.Label(); !strings.Contains(got, " agentic prefill gb200 2x(tp4 ep4 dpa=true) 8gpu decode gb200 1x(tp8 ep8 dpa=false) 8gpu kv=none conc=32") {
		t.Errorf("multinode label %q", got)
	}
	fixedDoc := `{"hw": "h200", "conc": 4, "image": "i", "model": "m", "infmax_model_prefix": "p", "framework": "f", "precision": "fp8",
		"spec_decoding": "none", "disagg": false, "isl": 1024, "osl": 1024, "is_multinode": false, "tp": 8, "ep": 1, "dp_attention": "false",
		"tput_per_gpu": 1, "output_tput_per_gpu": 1, "input_tput_per_gpu": 1, "median_ttft": 1, "median_tpot": 1, "median_intvty": 1, "median_e2el": 1}`
	f, err := parse(fixedDoc)
	if err != nil {
		t.Fatal(err)
	}
	fixed, agentic := FixedSeqLen([]*Processed{a, f, m})
	if agentic != 2 || len(fixed) != 1 || fixed[0] != f {
		t.Errorf("FixedSeqLen: %d fixed, %d agentic", len(fixed), agentic)
	}

	// The schema follows scenario_type both ways.
	var se *schemas.Error
	if _, err := parse(strings.Replace(none, `"kv_offloading": "none"`, `"kv_offloading": 1`, 1)); !errors.As(err, &se) || !strings.Contains(err.Error(), "/kv_offloading: expected string, got number") {
		t.Errorf("a broken agentic result: %v", err)
	}
	if _, err := parse(strings.Replace(fixedDoc, `"hw": "h200",`, `"hw": "h200", "scenario_type": "agentic-coding",`, 1)); err == nil ||
		!strings.Contains(err.Error(), "/request_metrics: required key is missing") {
		t.Errorf("a fixed-seq-len result that says agentic-coding: %v", err)
	}

	// An aggregate holds both.
	rs, err := ParseAggregate(v, "agg.json", []byte("["+fixedDoc+","+none+"]"))
	if err != nil || len(rs) != 2 || !rs[1].Agentic() {
		t.Fatalf("mixed aggregate: %d results, %v", len(rs), err)
	}
}
