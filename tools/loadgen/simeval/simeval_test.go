package simeval

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/simserver"
)

func server(t *testing.T, errorRate float64) string {
	t.Helper()
	cfg := simserver.Defaults()
	cfg.Model = "org/toy"
	cfg.MaxModelLen = 4096
	cfg.DecodeStep = time.Millisecond
	cfg.ErrorRate = errorRate
	cfg.Seed = 7
	s, err := simserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return ts.URL
}

func taskFile(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "benchmarks", "evals", "gsm8k.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunWritesLMEvalFiles(t *testing.T) {
	out := t.TempDir()
	o := Defaults()
	o.BaseURL, o.Model, o.TaskFile, o.OutputPath = server(t, 0), "org/toy", taskFile(t), out
	o.Limit, o.Concurrent, o.MaxTokens, o.Score = 10, 4, 8, 0.93
	o.Now = func() time.Time { return time.Date(2026, 8, 1, 10, 0, 0, 123456000, time.UTC) }
	var log bytes.Buffer
	s, err := Run(context.Background(), o, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if s.Asked != 10 || s.Answered != 10 || s.Score != 0.93 {
		t.Errorf("summary %+v", s)
	}
	wantResults := filepath.Join(out, "org__toy", "results_2026-08-01T10-00-00.123456.json")
	if s.Results != wantResults {
		t.Errorf("results at %s, want %s", s.Results, wantResults)
	}
	var doc struct {
		Results  map[string]map[string]any `json:"results"`
		Configs  map[string]map[string]any `json:"configs"`
		NSamples map[string]map[string]int `json:"n-samples"`
		Version  string                    `json:"lm_eval_version"`
		Model    string                    `json:"model_name"`
		Sim      bool                      `json:"simulated"`
	}
	data, err := os.ReadFile(s.Results)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	g := doc.Results["gsm8k"]
	if g["exact_match,strict-match"] != 0.93 || g["exact_match,flexible-extract"] != 0.93 || g["exact_match_stderr,strict-match"] == nil {
		t.Errorf("gsm8k results %v", g)
	}
	if doc.NSamples["gsm8k"]["effective"] != 10 || doc.Version != "simulated" || doc.Model != "org/toy (SIMULATED)" || !doc.Sim {
		t.Errorf("labels: %+v", doc)
	}
	if fl, ok := doc.Configs["gsm8k"]["filter_list"].([]any); !ok || len(fl) != 2 {
		t.Errorf("the task config is not recorded: %v", doc.Configs["gsm8k"])
	}
	samples, err := os.ReadFile(s.Samples)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(samples), "\n"); n != 10 || !strings.Contains(string(samples), `"resps"`) {
		t.Errorf("%d sample lines:\n%s", n, samples)
	}
	if !strings.Contains(log.String(), "SIMULATED") {
		t.Errorf("the log does not say SIMULATED:\n%s", log.String())
	}
}

// TestRunScoresWhatWasAnswered: a server that fails some questions lowers
// the score; one that answers none fails the run and writes nothing.
func TestRunScoresWhatWasAnswered(t *testing.T) {
	out := t.TempDir()
	o := Defaults()
	o.BaseURL, o.Model, o.TaskFile, o.OutputPath = server(t, 0.5), "org/toy", taskFile(t), out
	o.Limit, o.MaxTokens, o.Score = 40, 4, 1
	s, err := Run(context.Background(), o, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Answered == 0 || s.Answered == s.Asked || s.Score != float64(s.Answered)/40 {
		t.Errorf("summary %+v", s)
	}

	o.BaseURL, o.OutputPath = server(t, 1), filepath.Join(out, "none")
	if _, err := Run(context.Background(), o, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "answered none of 40") {
		t.Errorf("error %v", err)
	}
	if _, err := os.Stat(o.OutputPath); err == nil {
		t.Error("wrote files although nothing was answered")
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.Limit = 0 }, "--limit"},
		{func(o *Options) { o.Concurrent = 0 }, "--num-concurrent"},
		{func(o *Options) { o.Score = 1.5 }, "--score"},
		{func(o *Options) { o.MaxTokens = 0 }, "--max-tokens"},
		{func(o *Options) { o.BaseURL = "127.0.0.1:80" }, "--base-url"},
	} {
		o := Defaults()
		o.BaseURL = "http://127.0.0.1:1"
		c.edit(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %s", err, c.want)
		}
	}
	if _, err := ReadTask(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing task file is no error")
	}
	bad := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(bad, []byte("dataset_path: gsm8k\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTask(bad); err == nil || !strings.Contains(err.Error(), "task: expected the task's name") {
		t.Errorf("error %v", err)
	}
}

// FuzzReadTask: any task file is read or refused, never a panic.
func FuzzReadTask(f *testing.F) {
	f.Add([]byte("task: gsm8k\nmetric_list: [{metric: exact_match}]\nfilter_list: [{name: strict-match}]\n"))
	f.Add([]byte("task: t\nmetric_list: [1, {metric: 2}]\nfilter_list: {name: x}\n"))
	f.Add([]byte("- a\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "task.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		task, err := ReadTask(p)
		if err != nil {
			return
		}
		if task.Name == "" || task.Metric == "" || len(task.Filters) == 0 {
			t.Fatalf("%+v", task)
		}
	})
}
