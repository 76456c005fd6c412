package process

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var singleEnv = map[string]string{"RUNNER_TYPE": "h200", "FRAMEWORK": "sglang", "PRECISION": "fp8", "SPEC_DECODING": "none",
	"RESULT_FILENAME": "r", "ISL": "1024", "OSL": "1024", "DISAGG": "false", "MODEL_PREFIX": "dsr1", "IMAGE": "img",
	"TP": "8", "EP_SIZE": "1", "DP_ATTENTION": "false"}

func TestReadJob(t *testing.T) {
	with := func(changes map[string]string, drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range singleEnv {
			m[k] = v
		}
		for k, v := range changes {
			m[k] = v
		}
		for _, k := range drop {
			delete(m, k)
		}
		return m
	}
	cases := []struct {
		name    string
		env     map[string]string
		wantErr []string
		check   func(*Job) bool
	}{
		{"ok", singleEnv, nil, func(j *Job) bool { return j.TP == 8 && !j.MultiNode && !j.Disagg }},
		{"disagg False is false", with(map[string]string{"DISAGG": "FALSE"}), nil, func(j *Job) bool { return !j.Disagg }},
		{"spaces around integers", with(map[string]string{"TP": " 4 "}), nil, func(j *Job) bool { return j.TP == 4 }},
		{"is_multinode other than true is single-node", with(map[string]string{"IS_MULTINODE": "yes"}), nil, func(j *Job) bool { return !j.MultiNode }},
		{"all missing at once", with(nil, "ISL", "IMAGE", "EP_SIZE"), []string{"Missing required environment variables: ISL, IMAGE, EP_SIZE"}, nil},
		{"multinode needs its set", with(map[string]string{"IS_MULTINODE": "TRUE"}), []string{"PREFILL_GPUS, DECODE_GPUS, PREFILL_NUM_WORKERS"}, nil},
		{"several bad values at once", with(map[string]string{"TP": "eight", "OSL": "0", "DISAGG": "true"}),
			[]string{`TP: expected an integer, got "eight"`, "OSL: expected at least 1, got 0", "Disaggregated mode requires multinode setup"}, nil},
		{"negative ep", with(map[string]string{"EP_SIZE": "-1"}), []string{"EP_SIZE: expected at least 1, got -1"}, nil},
		{"empty result filename", with(map[string]string{"RESULT_FILENAME": ""}), []string{"RESULT_FILENAME: must not be empty"}, nil},
		{"no variable of today is feb-2026", singleEnv, nil, func(j *Job) bool { return j.Format == Feb2026 && j.PP == 0 }},
		{"an empty fingerprint is today", with(map[string]string{"RECIPE_FINGERPRINT": ""}), nil,
			func(j *Job) bool {
				return j.Format == Today && j.PP == 1 && j.DCP == 1 && j.PCP == 1 && j.Router == nil
			}},
		{"sizes", with(map[string]string{"PP_SIZE": "2", "DCP_SIZE": " 4 ", "PCP_SIZE": "2"}), nil,
			func(j *Job) bool { return j.Format == Today && j.PP == 2 && j.DCP == 4 && j.PCP == 2 }},
		{"router", with(map[string]string{"ROUTER_METADATA": `{"name": "r", "version": "1"}`}), nil,
			func(j *Job) bool { return j.Router != nil && len(j.Router.Keys()) == 2 }},
		{"every problem of today at once", with(map[string]string{"PP_SIZE": "0", "DCP_SIZE": "x", "ROUTER_METADATA": "{}", "RECIPE_FINGERPRINT": "ABC"}),
			[]string{"PP_SIZE: expected a positive integer, got 0", `DCP_SIZE: expected an integer, got "x"`,
				"ROUTER_METADATA must contain exactly 'name' and 'version'", "got an empty object", "RECIPE_FINGERPRINT: expected 64"}, nil},
		{"feb-2026 multi-node needs decode GPUs", with(map[string]string{"IS_MULTINODE": "true", "PREFILL_GPUS": "8", "DECODE_GPUS": "0",
			"PREFILL_NUM_WORKERS": "1", "PREFILL_TP": "8", "PREFILL_EP": "1", "PREFILL_DP_ATTN": "false", "DECODE_NUM_WORKERS": "0",
			"DECODE_TP": "8", "DECODE_EP": "1", "DECODE_DP_ATTN": "false"}), []string{"DECODE_GPUS: expected at least 1", "DECODE_NUM_WORKERS: expected at least 1"}, nil},
		{"today's multi-node may be aggregated", with(map[string]string{"IS_MULTINODE": "true", "PREFILL_GPUS": "8", "DECODE_GPUS": "0",
			"PREFILL_NUM_WORKERS": "1", "PREFILL_TP": "8", "PREFILL_EP": "1", "PREFILL_DP_ATTN": "false", "DECODE_NUM_WORKERS": "0",
			"DECODE_TP": "8", "DECODE_EP": "1", "DECODE_DP_ATTN": "false", "PREFILL_PP_SIZE": "1"}), nil,
			func(j *Job) bool { return j.Aggregated() && j.DecodePP == 1 && j.PrefillPP == 1 }},
		{"decode workers must exist when decode GPUs do", with(map[string]string{"IS_MULTINODE": "true", "PREFILL_GPUS": "8", "DECODE_GPUS": "8",
			"PREFILL_NUM_WORKERS": "1", "PREFILL_TP": "8", "PREFILL_EP": "1", "PREFILL_DP_ATTN": "false", "DECODE_NUM_WORKERS": "0",
			"DECODE_TP": "8", "DECODE_EP": "1", "DECODE_DP_ATTN": "false", "RECIPE_FINGERPRINT": ""}), []string{"DECODE_NUM_WORKERS: expected at least 1, got 0"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j, err := ReadJob(env(c.env))
			if len(c.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !c.check(j) {
					t.Errorf("unexpected job %+v", j)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want an InputError, got %v", err)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestRunWritesNothingOnFailure(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.json"), []byte(`{"model_id": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	called := false
	_, err = Run(v, dir, env(singleEnv), func(string, []byte) error { called = true; return nil })
	if err == nil || called {
		t.Fatalf("err %v, write called %v", err, called)
	}
	if !strings.Contains(err.Error(), "r.json: model_id: expected string, got number 1") {
		t.Errorf("error does not name the field: %v", err)
	}
}

// FuzzProcess feeds arbitrary raw results: the tool must never panic, and
// whatever it accepts must come out as a valid processed result.
func FuzzProcess(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/cases/*/*.json")
	todayCases, _ := filepath.Glob("../testdata/today/*/*.json")
	for _, s := range append(seeds, todayCases...) {
		if filepath.Base(s) == "original.json" || filepath.Base(s) == "upstream.json" {
			continue
		}
		data, err := os.ReadFile(s)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"max_concurrency": 1e400}`))
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	feb, err := ReadJob(env(singleEnv))
	if err != nil {
		f.Fatal(err)
	}
	todayEnv := map[string]string{"RECIPE_FINGERPRINT": strings.Repeat("ab", 32), "PP_SIZE": "2",
		"ROUTER_METADATA": `{"name": "r", "version": "1"}`, "KV_P2P_TRANSFER": "nixl"}
	for k, v := range singleEnv {
		todayEnv[k] = v
	}
	today, err := ReadJob(env(todayEnv))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, j := range []*Job{feb, today} {
			out, err := Process(v, j, "r.json", raw)
			if err != nil {
				continue
			}
			data, err := results.MarshalIndent(out)
			if err != nil {
				t.Fatalf("%s: accepted a result it cannot encode: %v", j.Format, err)
			}
			if err := v.ValidateJSON(schemas.ProcessedResult, data); err != nil {
				t.Fatalf("%s: accepted a result that breaks the schema: %v", j.Format, err)
			}
		}
	})
}

func TestParseComponentMetadata(t *testing.T) {
	cases := []struct {
		raw      string
		wantKeys []string // nil: no metadata
		wantErr  string
	}{
		{"", nil, ""},
		{"null", nil, ""},
		{`{"name": "vllm-router", "version": "0.1.14"}`, []string{"name", "version"}, ""},
		{` {"version":"2","name":"x"} `, []string{"version", "name"}, ""},
		{`{"name": "a", "name": "b", "version": "1"}`, []string{"name", "version"}, ""},
		{" null", nil, "must contain exactly 'name' and 'version'"},
		{`{"name": "x"}`, nil, "must contain exactly 'name' and 'version'"},
		{`{"name": "x", "version": "1", "extra": "y"}`, nil, "must contain exactly 'name' and 'version'"},
		{`{"name": "x", "version": 1}`, nil, "must be non-empty strings, version is number 1"},
		{`{"name": "", "version": "1"}`, nil, "must be non-empty strings"},
		{`"x"`, nil, "got string"},
		{`{`, nil, "must contain valid JSON"},
	}
	for _, c := range cases {
		got, err := ParseComponentMetadata("ROUTER_METADATA", c.raw)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.HasPrefix(err.Error(), "ROUTER_METADATA") {
				t.Errorf("%q: error %v, want one naming ROUTER_METADATA and containing %q", c.raw, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", c.raw, err)
		case c.wantKeys == nil && got != nil:
			t.Errorf("%q: got metadata %v, want none", c.raw, got.Keys())
		case c.wantKeys != nil && (got == nil || !slices.Equal(got.Keys(), c.wantKeys)):
			t.Errorf("%q: got %v, want keys %v", c.raw, got, c.wantKeys)
		}
	}
	obj, err := ParseComponentMetadata("ROUTER_METADATA", `{"name": "a", "name": "b", "version": "1"}`)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := obj.Get("name"); v != "b" {
		t.Errorf("a repeated key keeps its last value, as json.loads does: got %v", v)
	}
}

// FuzzComponentMetadata: any value of the variable is refused with a
// message naming it, or gives exactly the two non-empty strings.
func FuzzComponentMetadata(f *testing.F) {
	for _, s := range []string{"", "null", `{"name": "r", "version": "1"}`, `{"name": 1}`, "[]", `{"version": "", "name": "x"}`, "\"\\u0000\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		obj, err := ParseComponentMetadata("ROUTER_METADATA", raw)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ROUTER_METADATA ") {
				t.Fatalf("error does not name the variable: %v", err)
			}
			return
		}
		if obj == nil {
			if raw != "" && raw != "null" {
				t.Fatalf("%q gave no metadata", raw)
			}
			return
		}
		keys := obj.Keys()
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"name", "version"}) {
			t.Fatalf("%q gave keys %v", raw, obj.Keys())
		}
		for _, k := range keys {
			if v, _ := obj.Get(k); v == "" {
				t.Fatalf("%q gave an empty %s", raw, k)
			}
		}
	})
}
