package process

import (
	"errors"
	"os"
	"path/filepath"
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
	for _, s := range seeds {
		if filepath.Base(s) == "original.json" {
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
	j, err := ReadJob(env(singleEnv))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := Process(v, j, "r.json", raw)
		if err != nil {
			return
		}
		data, err := results.MarshalIndent(out)
		if err != nil {
			t.Fatalf("accepted a result it cannot encode: %v", err)
		}
		if err := v.ValidateJSON(schemas.ProcessedResult, data); err != nil {
			t.Fatalf("accepted a result that breaks the schema: %v", err)
		}
	})
}
