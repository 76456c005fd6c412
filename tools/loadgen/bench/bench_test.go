package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/engine"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
	"github.com/inferencex/inferencex-go/tools/loadgen/result"
	"github.com/inferencex/inferencex-go/tools/loadgen/simserver"
)

// benchmarkLibArgs is the command line benchmarks/benchmark_lib.sh
// run_benchmark_serving builds, with the dataset swapped for a file.
func benchmarkLibArgs(url, dir string) []string {
	return []string{
		"--model", "m", "--backend", "vllm", "--base-url", url,
		"--dataset-name", "jsonl", "--dataset-path", filepath.Join(dir, "prompts.jsonl"),
		"--random-input-len", "1024", "--random-output-len", "1024", "--random-range-ratio", "0.8",
		"--num-prompts", "20", "--max-concurrency", "4", "--request-rate", "inf", "--ignore-eos",
		"--save-result", "--num-warmups", "8", "--percentile-metrics", "ttft,tpot,itl,e2el",
		"--result-dir", dir, "--result-filename", "r.json",
	}
}

func TestParserTakesTheOriginalCommandLine(t *testing.T) {
	o := Defaults()
	args := append(benchmarkLibArgs("http://0.0.0.0:8888", "/tmp"), "--use-chat-template", "--metadata", "a=1", "b=2",
		"--goodput", "ttft:100", "tpot:50", "--disable-tqdm", "--seed", "3", "--burstiness", "0.5", "--request-rate", "7.5")
	if err := Parser("loadgen", &o).Parse(args, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if o.Model != "m" || *o.BaseURL != "http://0.0.0.0:8888" || *o.MaxConcurrency != 4 || o.RandomRangeRatio != 0.8 ||
		!o.IgnoreEOS || !o.SaveResult || o.NumWarmups != 8 || o.PercentileMetrics != "ttft,tpot,itl,e2el" ||
		*o.ResultFilename != "r.json" || !o.UseChatTemplate || len(o.Metadata) != 2 || len(o.Goodput) != 2 ||
		!o.DisableTqdm || o.Seed != 3 || o.Burstiness != 0.5 || o.RequestRate != 7.5 {
		t.Errorf("parsed %+v", o)
	}
	o = Defaults()
	if err := Parser("loadgen", &o).Parse([]string{"--model", "m", "--request-rate", "inf"}, &bytes.Buffer{}); err != nil || !math.IsInf(o.RequestRate, 1) {
		t.Errorf("--request-rate inf: %v %v", o.RequestRate, err)
	}
}

func TestParserErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--model", "m", "--no-such-flag"},
		{"--backend", "vllm"},
		{"--model", "m", "--backend", "trt"},
		{"--model", "m", "--dataset-name", "sharegpt"},
		{"--model", "m", "--num-prompts", "ten"},
	} {
		o := Defaults()
		if err := Parser("loadgen", &o).Parse(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
		want string // "" for ok
	}{
		{"ok", func(o *Options) {}, ""},
		{"default dataset", func(o *Options) { o.DatasetName = "sharegpt" }, `--dataset-name is "sharegpt"`},
		{"jsonl without path", func(o *Options) { o.DatasetPath = nil }, "needs --dataset-path"},
		{"no prompts", func(o *Options) { o.NumPrompts = 0 }, "--num-prompts: must be at least 1"},
		{"zero concurrency", func(o *Options) { z := 0; o.MaxConcurrency = &z }, "--max-concurrency: must be at least 1"},
		{"negative rate", func(o *Options) { o.RequestRate = -1 }, "--request-rate"},
		{"nan rate", func(o *Options) { o.RequestRate = math.NaN() }, "--request-rate"},
		{"zero burstiness", func(o *Options) { o.Burstiness = 0 }, "--burstiness"},
		{"bad metric", func(o *Options) { o.PercentileMetrics = "ttft,foo" }, `unknown metric "foo"`},
		{"bad percentile", func(o *Options) { o.MetricPercentiles = "99,101" }, `"101" is not a percentile`},
		{"goodput format", func(o *Options) { o.Goodput = []string{"ttft=5"} }, "is not KEY:VALUE"},
		{"goodput metric", func(o *Options) { o.Goodput = []string{"itl:5"} }, `unknown metric "itl"`},
		{"goodput negative", func(o *Options) { o.Goodput = []string{"ttft:-5"} }, "non-negative"},
		{"metadata format", func(o *Options) { o.Metadata = []string{"novalue"} }, "is not KEY=VALUE"},
		{"metadata reserved", func(o *Options) { o.Metadata = []string{"num_prompts=5"} }, `"num_prompts" is a key of the result`},
		{"wrong endpoint", func(o *Options) { o.Backend = "openai-chat" }, "/v1/chat/completions; give --endpoint"},
		{"tokenizer mode", func(o *Options) { o.TokenizerMode = "mistral" }, "mistral is not supported"},
		{"failure rate", func(o *Options) { o.MaxFailureRate = 2 }, "--max-failure-rate"},
		{"timeout", func(o *Options) { o.RequestTimeout = -1 }, "--request-timeout"},
		{"best of", func(o *Options) { o.BestOf = 0 }, "--best-of"},
		{"negative seed", func(o *Options) { o.Seed = -1 }, "--seed: must be between 0 and 4294967295"},
		{"seed past numpy's", func(o *Options) { o.Seed = 1 << 32 }, "--seed: must be between 0 and 4294967295"},
		{"negative input length", func(o *Options) { o.DatasetName = "random"; o.RandomInputLen = -1 }, "--random-input-len: must not be negative"},
		{"negative output length", func(o *Options) { o.DatasetName = "random"; o.RandomOutputLen = -1 }, "--random-output-len: must not be negative"},
		{"negative prefix", func(o *Options) { o.DatasetName = "random"; o.RandomPrefixLen = -1 }, "--random-prefix-len: must not be negative"},
		{"range ratio above 1", func(o *Options) { o.DatasetName = "random"; o.RandomRangeRatio = 2 }, "--random-range-ratio: must be between 0 and 1, got 2.0"},
		{"negative range ratio", func(o *Options) { o.DatasetName = "random"; o.RandomRangeRatio = -0.5 }, "--random-range-ratio: must be between 0 and 1"},
		{"jsonl ignores the random flags", func(o *Options) { o.RandomInputLen = -1 }, ""},
		{"dsv4 needs the chat template", func(o *Options) { o.DatasetName = "random"; o.DSV4 = true }, "--dsv4 requires --use-chat-template"},
		{"dsv4 with the chat template", func(o *Options) { o.DatasetName = "random"; o.DSV4 = true; o.UseChatTemplate = true }, ""},
		{"dsv4 applies to the random dataset only", func(o *Options) { o.DSV4 = true }, ""},
		{"deepseek_v4 tokenizer mode", func(o *Options) { o.TokenizerMode = "deepseek_v4" }, ""},
		{"negative workers are upstream's auto", func(o *Options) { o.DatasetName = "random"; o.RandomNumWorkers = -3 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Defaults()
			o.Model = "m"
			o.DatasetName = "jsonl"
			path := "p.jsonl"
			o.DatasetPath = &path
			tt.mod(&o)
			p, err := check(&o)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if p.apiURL != "http://127.0.0.1:8000/v1/completions" || p.tokenizerID != "m" {
					t.Errorf("plan %+v", p)
				}
				return
			}
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a usage error with %q", err, tt.want)
			}
		})
	}
}

func TestMetadataSplitsOnTheFirstEquals(t *testing.T) {
	o := Defaults()
	o.Model, o.DatasetName = "m", "jsonl"
	path := "p"
	o.DatasetPath = &path
	o.Metadata = []string{"cmd = a=b ", "empty="}
	p, err := check(&o)
	if err != nil {
		t.Fatal(err)
	}
	if p.metadata[0] != (result.KV{Key: "cmd", Value: "a=b"}) || p.metadata[1] != (result.KV{Key: "empty"}) {
		t.Errorf("metadata %+v", p.metadata)
	}
}

// fixture starts a simulated server and writes a prompt file.
func fixture(t *testing.T, mod func(*simserver.Config), prompts, warmups int) (url, dir string) {
	t.Helper()
	cfg := simserver.Defaults()
	cfg.Model = "m"
	cfg.DecodeStep = time.Millisecond
	cfg.DecodePerSeq = 0
	cfg.PrefillPerToken = 0
	if mod != nil {
		mod(&cfg)
	}
	s, err := simserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	dir = t.TempDir()
	var b strings.Builder
	for i := range prompts + warmups {
		fmt.Fprintf(&b, `{"prompt": "prompt %d", "prompt_len": 3, "output_len": 16, "warmup": %v}`+"\n", i, i >= prompts)
	}
	if err := os.WriteFile(filepath.Join(dir, "prompts.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return ts.URL, dir
}

type outcome struct {
	status         int
	stdout, stderr string
	result         map[string]any
}

func runBench(t *testing.T, ctx context.Context, args []string, env Env) outcome {
	t.Helper()
	o := Defaults()
	if err := Parser("loadgen", &o).Parse(args, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	env.Stdout, env.Stderr, env.Validator = &stdout, &stderr, v
	env.Getenv = func(string) string { return "" }
	status := Run(ctx, &o, env)
	out := outcome{status: status, stdout: stdout.String(), stderr: stderr.String()}
	if o.ResultDir != nil && o.ResultFilename != nil {
		if data, err := os.ReadFile(filepath.Join(*o.ResultDir, *o.ResultFilename)); err == nil {
			if err := json.Unmarshal(data, &out.result); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

func TestRunWritesTheResult(t *testing.T) {
	url, dir := fixture(t, nil, 20, 4)
	before := time.Now()
	out := runBench(t, context.Background(), benchmarkLibArgs(url, dir), Env{})
	after := time.Now()
	if out.status != ExitOK {
		t.Fatalf("status %d\n%s%s", out.status, out.stdout, out.stderr)
	}
	// Upstream main's wall-clock bounds: inside the run, a duration apart.
	start, _ := out.result["benchmark_start_time_unix"].(float64)
	end, _ := out.result["benchmark_end_time_unix"].(float64)
	dur, _ := out.result["duration"].(float64)
	unix := func(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
	if start < unix(before) || end > unix(after) || start >= end {
		t.Errorf("benchmark_start_time_unix %v, benchmark_end_time_unix %v: not within the run [%v, %v]", start, end, unix(before), unix(after))
	}
	if d := end - start - dur; math.Abs(d) >= 0.001 {
		t.Errorf("end - start differs from duration %v by %v s (more than 1 ms)", dur, d)
	}
	// Upstream main keeps every request's lengths without --save-detailed.
	if lens, ok := out.result["input_lens"].([]any); !ok || len(lens) != 20 {
		t.Errorf("input_lens %v", out.result["input_lens"])
	}
	if lens, ok := out.result["output_lens"].([]any); !ok || len(lens) != 20 || lens[0] != 16.0 {
		t.Errorf("output_lens %v", out.result["output_lens"])
	}
	r := out.result
	if r["completed"] != 20.0 || r["max_concurrency"] != 4.0 || r["simulated"] != true || r["partial"] != false ||
		r["total_output_tokens"] != 320.0 || r["num_warmups"] != 8.0 {
		t.Errorf("result %v", r)
	}
	for _, k := range []string{"p99_e2el_ms", "median_tpot_ms", "queue_wait", "schedule_lag", "client_cpu_seconds"} {
		if _, ok := r[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
	if _, ok := r["itls"]; ok {
		t.Error("detailed arrays without --save-detailed")
	}
	if !strings.Contains(out.stdout, "Serving Benchmark Result") || !strings.Contains(out.stdout, "SIMULATED") {
		t.Errorf("stdout %s", out.stdout)
	}
	if strings.Contains(out.stderr, "no separate warmup prompts") {
		t.Error("warned although the file has warmup prompts")
	}
}

func TestFailureRateDecidesTheExitStatus(t *testing.T) {
	url, dir := fixture(t, func(c *simserver.Config) { c.ErrorRate = 0.3; c.Seed = 1 }, 20, 0)
	args := append(benchmarkLibArgs(url, dir), "--num-warmups", "0")
	out := runBench(t, context.Background(), args, Env{})
	failed := out.result["failed"].(float64)
	if failed == 0 || failed == 20 {
		t.Fatalf("want some failures, got %v", failed)
	}
	want := fmt.Sprintf("FAIL: request failure rate %.1f%% exceeds 5%% threshold (%d/20 completed; %d failed, --max-failure-rate 0.05)",
		100*failed/20, 20-int(failed), int(failed))
	if out.status != ExitFailure || !strings.Contains(out.stderr, want) {
		t.Errorf("status %d, stderr %s", out.status, out.stderr)
	}
	kinds := out.result["errors_by_kind"].(map[string]any)
	if kinds["http_status"].(map[string]any)["count"] != failed {
		t.Errorf("errors_by_kind %v", kinds)
	}
	// A looser limit accepts the same run.
	out = runBench(t, context.Background(), append(args, "--max-failure-rate", "0.9"), Env{})
	if out.status != ExitOK {
		t.Errorf("status %d with --max-failure-rate 0.9: %s", out.status, out.stderr)
	}
}

func TestInterruptSavesPartialResults(t *testing.T) {
	url, dir := fixture(t, func(c *simserver.Config) { c.DecodeStep = 20 * time.Millisecond }, 20, 0)
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(300*time.Millisecond, func() { cancel(errors.New("received interrupt")) })
	out := runBench(t, ctx, append(benchmarkLibArgs(url, dir), "--num-warmups", "0"), Env{})
	if out.status != ExitFailure || !strings.Contains(out.stderr, "the run stopped early (received interrupt)") {
		t.Fatalf("status %d stderr %s", out.status, out.stderr)
	}
	if out.result["partial"] != true || out.result["stop_reason"] != "received interrupt" {
		t.Errorf("result partial %v reason %v", out.result["partial"], out.result["stop_reason"])
	}
}

func TestServerPIDWatch(t *testing.T) {
	url, dir := fixture(t, func(c *simserver.Config) { c.DecodeStep = 20 * time.Millisecond }, 20, 0)
	server := exec.Command("sleep", "30") // stands in for the serving process
	if err := server.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	time.AfterFunc(300*time.Millisecond, func() { _ = server.Process.Kill() })
	done := make(chan struct{})
	go func() { _ = server.Wait(); close(done) }()
	args := append(benchmarkLibArgs(url, dir), "--num-warmups", "0", "--server-pid", fmt.Sprint(server.Process.Pid))
	out := runBench(t, context.Background(), args, Env{PIDPoll: 20 * time.Millisecond})
	<-done
	want := fmt.Sprintf("server process %d exited", server.Process.Pid)
	if out.status != ExitFailure || !strings.Contains(out.stderr, want) || out.result["partial"] != true {
		t.Fatalf("status %d, partial %v, stderr %s", out.status, out.result["partial"], out.stderr)
	}
}

func TestProgressCoversTheWarmup(t *testing.T) {
	url, dir := fixture(t, nil, 20, 8)
	out := runBench(t, context.Background(), benchmarkLibArgs(url, dir), Env{})
	if out.status != ExitOK {
		t.Fatalf("status %d: %s", out.status, out.stderr)
	}
	warm := strings.Index(out.stderr, "warmup: 8/8 requests")
	done := strings.Index(out.stderr, "Warmup completed.")
	bench := strings.Index(out.stderr, "benchmark: 20/20 requests")
	if warm < 0 || done < warm || bench < done {
		t.Errorf("want a warmup progress line before \"Warmup completed.\" and the run's after it:\n%s", out.stderr)
	}
}

func TestServerPIDAlreadyGone(t *testing.T) {
	url, dir := fixture(t, nil, 20, 0)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	args := append(benchmarkLibArgs(url, dir), "--num-warmups", "0", "--server-pid", fmt.Sprint(gone.Process.Pid))
	out := runBench(t, context.Background(), args, Env{})
	want := fmt.Sprintf("loadgen: server process %d is not running\n", gone.Process.Pid)
	if out.status != ExitFailure || out.stderr != want || out.result != nil {
		t.Fatalf("status %d, result %v, stderr %q; want %q and no result", out.status, out.result != nil, out.stderr, want)
	}
}

func TestZombieIsNotAlive(t *testing.T) {
	p := exec.Command("true")
	if err := p.Start(); err != nil {
		t.Skip(err)
	}
	pid := p.Process.Pid
	// Not reaped yet: a zombie once it has exited.
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if alive(pid) {
		t.Error("an exited, unreaped process counts as alive")
	}
	_ = p.Wait()
	if !alive(os.Getpid()) {
		t.Error("this process is not alive")
	}
}

func TestRandomDatasetNeedsTheTokenizerHook(t *testing.T) {
	url, dir := fixture(t, nil, 1, 0)
	args := []string{"--model", "m", "--base-url", url, "--dataset-name", "random", "--num-prompts", "1", "--result-dir", dir}
	out := runBench(t, context.Background(), args, Env{})
	if out.status != ExitFailure || !strings.Contains(out.stderr, "--dataset-name random needs a tokenizer") {
		t.Errorf("status %d stderr %s", out.status, out.stderr)
	}
}

func TestRandomDatasetHook(t *testing.T) {
	url, dir := fixture(t, func(c *simserver.Config) { c.NoUsage = true }, 1, 0)
	env := Env{
		RandomDataset: func(_ context.Context, o *Options, _ io.Writer) (PromptSet, error) {
			ps := make([]engine.Prompt, o.NumPrompts)
			for i := range ps {
				ps[i] = engine.Prompt{Prompt: fmt.Sprint("random ", i), PromptLen: o.RandomInputLen, OutputLen: o.RandomOutputLen}
			}
			return PromptSet{Prompts: ps, Warmups: ps[:1], Check: &result.DatasetCheck{Checked: len(ps)}}, nil
		},
		Tokenizer: func(context.Context, string, *Options) (engine.TokenCounter, error) { return words{}, nil },
	}
	args := []string{"--model", "m", "--base-url", url, "--dataset-name", "random", "--num-prompts", "5",
		"--random-input-len", "7", "--random-output-len", "9", "--ignore-eos", "--save-result", "--result-dir", dir,
		"--result-filename", "r.json", "--num-warmups", "2"}
	out := runBench(t, context.Background(), args, env)
	if out.status != ExitOK {
		t.Fatalf("status %d: %s", out.status, out.stderr)
	}
	r := out.result
	// The server sent no usage: the tokenizer counted 9 words per answer.
	if r["total_output_tokens"] != 45.0 || r["output_tokens_from_tokenizer"] != 5.0 || r["total_input_tokens"] != 35.0 {
		t.Errorf("result %v", r)
	}
	if pc := r["prompt_len_check"].(map[string]any); pc["dataset_checked"] != 5.0 || pc["dataset_mismatched"] != 0.0 {
		t.Errorf("prompt_len_check %v", pc)
	}
}

type words struct{}

func (words) CountTokens(s string) (int, error) { return len(strings.Fields(s)), nil }

func TestBackendWithoutUsageNeedsATokenizer(t *testing.T) {
	url, dir := fixture(t, nil, 1, 0)
	args := []string{"--model", "m", "--base-url", url, "--backend", "tgi", "--endpoint", "/generate_stream",
		"--dataset-name", "jsonl", "--dataset-path", filepath.Join(dir, "prompts.jsonl"), "--num-prompts", "1"}
	out := runBench(t, context.Background(), args, Env{})
	if out.status != ExitFailure || !strings.Contains(out.stderr, "the tgi backend reports no token counts") {
		t.Errorf("status %d stderr %s", out.status, out.stderr)
	}
}

func TestPromptFileErrors(t *testing.T) {
	url, dir := fixture(t, nil, 3, 0)
	args := append(benchmarkLibArgs(url, dir), "--num-prompts", "10")
	out := runBench(t, context.Background(), args, Env{})
	if out.status != ExitFailure || !strings.Contains(out.stderr, "prompts.jsonl: has 3 prompts (not counting warmup ones), --num-prompts asks for 10") {
		t.Errorf("status %d stderr %s", out.status, out.stderr)
	}
}

func TestWarmupWithoutWarmupPromptsWarns(t *testing.T) {
	url, dir := fixture(t, nil, 4, 0)
	args := append(benchmarkLibArgs(url, dir), "--num-prompts", "4")
	out := runBench(t, context.Background(), args, Env{})
	if out.status != ExitOK || !strings.Contains(out.stderr, "no separate warmup prompts") {
		t.Errorf("status %d stderr %s", out.status, out.stderr)
	}
}

func TestHeadroom(t *testing.T) {
	lag := func(ms float64) metrics.Metrics {
		return metrics.Metrics{ScheduleLag: metrics.Summary{Percentiles: []float64{ms / 1000}}}
	}
	tests := []struct {
		cpu  time.Duration
		lag  float64
		want []string
	}{
		{2 * time.Second, 1, nil},
		{17 * time.Second, 1, []string{"used 85% of the 2 cores"}},
		{2 * time.Second, 25, []string{"25.0 ms (p99)"}},
		{19 * time.Second, 50, []string{"95%", "50.0 ms"}},
	}
	for _, tt := range tests {
		got := headroom(result.Outcome{Duration: 10 * time.Second, ClientCPU: tt.cpu, ClientProcs: 2}, lag(tt.lag))
		if len(tt.want) == 0 {
			if got != "" {
				t.Errorf("cpu %v lag %v: warning %q", tt.cpu, tt.lag, got)
			}
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("cpu %v lag %v: warning %q lacks %q", tt.cpu, tt.lag, got, w)
			}
		}
	}
}

func TestTokenizerWiring(t *testing.T) {
	tiny, err := filepath.Abs("testdata/tinytok")
	if err != nil {
		t.Fatal(err)
	}
	ts := NewTokenizers()
	ts.Hub.Offline = true // a path needs no Hub
	tok, err := ts.Load(context.Background(), tiny)
	if err != nil {
		t.Fatal(err)
	}
	url, dir := fixture(t, func(c *simserver.Config) {
		c.CountTokens = func(s string) (int, error) { return tok.Count(s, false) }
	}, 0, 0)
	env := Env{RandomDataset: ts.RandomDataset, Tokenizer: ts.Counter}
	for _, chat := range []bool{false, true} {
		args := []string{"--model", "m", "--tokenizer", tiny, "--base-url", url, "--dataset-name", "random",
			"--num-prompts", "6", "--random-input-len", "40", "--random-output-len", "5", "--random-range-ratio", "0.5",
			"--num-warmups", "2", "--ignore-eos", "--save-result", "--result-dir", dir, "--result-filename", "r.json", "--seed", "7"}
		if chat {
			args = append(args, "--use-chat-template")
		}
		out := runBench(t, context.Background(), args, env)
		if out.status != ExitOK {
			t.Fatalf("chat=%v: status %d: %s", chat, out.status, out.stderr)
		}
		if !strings.Contains(out.stderr, "Input/Output Length Statistics") {
			t.Errorf("chat=%v: no length statistics block in %s", chat, out.stderr)
		}
		r := out.result
		pc := r["prompt_len_check"].(map[string]any)
		// The dataset verified every prompt, and the server, counting with
		// the same tokenizer, agrees on every one.
		if pc["dataset_checked"] != 6.0 || pc["dataset_mismatched"] != 0.0 || pc["server_reported"] != 6.0 || pc["server_mismatched"] != 0.0 {
			t.Errorf("chat=%v: prompt_len_check %v", chat, pc)
		}
		if r["tokenizer_id"] != tiny || r["completed"] != 6.0 {
			t.Errorf("chat=%v: result %v", chat, r)
		}
	}
	// The output-token fallback counts with the same tokenizer.
	c, err := ts.Counter(context.Background(), tiny, nil)
	if err != nil {
		t.Fatal(err)
	}
	// " the" is Ġ th e; " other" is Ġ o th er (merges t+h, then e+r).
	if n, err := c.CountTokens(" the other"); err != nil || n != 7 {
		t.Errorf("count %d, %v", n, err)
	}
}

func TestStoppedDuringDatasetSaysWhy(t *testing.T) {
	tiny, err := filepath.Abs("testdata/tinytok")
	if err != nil {
		t.Fatal(err)
	}
	ts := NewTokenizers()
	ts.Hub.Offline = true
	url, dir := fixture(t, nil, 0, 0)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("received interrupt")) // before the prompts are made
	args := []string{"--model", "m", "--tokenizer", tiny, "--base-url", url, "--dataset-name", "random",
		"--num-prompts", "6", "--random-input-len", "40", "--random-output-len", "5", "--save-result", "--result-dir", dir}
	out := runBench(t, ctx, args, Env{RandomDataset: ts.RandomDataset, Tokenizer: ts.Counter})
	if out.status != ExitFailure || !strings.Contains(out.stderr, "loadgen: stopped before the run: received interrupt") {
		t.Fatalf("status %d, stderr %s", out.status, out.stderr)
	}
	if strings.Contains(out.stderr, "Length Statistics") {
		t.Errorf("statistics of prompts that were never made:\n%s", out.stderr)
	}
}

func TestUnknownTokenizerSaysWhereItLooked(t *testing.T) {
	ts := NewTokenizers()
	ts.Hub.Offline = true
	ts.Hub.CacheDir = t.TempDir()
	_, err := ts.Load(context.Background(), "org/no-such-model")
	if err == nil || !strings.Contains(err.Error(), "org/no-such-model") || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") {
		t.Errorf("error %v", err)
	}
}

func TestAuthorizationHeader(t *testing.T) {
	got := make(chan string, 4)
	sim, err := simserver.New(func() simserver.Config {
		c := simserver.Defaults()
		c.Model, c.DecodeStep, c.DecodePerSeq, c.PrefillPerToken = "m", time.Millisecond, 0, 0
		return c
	}())
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		sim.ServeHTTP(w, r)
	}))
	defer ts.Close()
	_, dir := fixture(t, nil, 1, 0)
	args := []string{"--model", "m", "--base-url", ts.URL, "--dataset-name", "jsonl", "--dataset-path", filepath.Join(dir, "prompts.jsonl"),
		"--num-prompts", "1", "--disable-tqdm"}
	for _, key := range []string{"", "sk-test"} {
		o := Defaults()
		if err := Parser("loadgen", &o).Parse(args, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		v, _ := schemas.New()
		env := Env{Stdout: io.Discard, Stderr: io.Discard, Validator: v,
			Getenv: func(k string) string {
				if k == "OPENAI_API_KEY" {
					return key
				}
				return ""
			}}
		if status := Run(context.Background(), &o, env); status != ExitOK {
			t.Fatalf("status %d", status)
		}
		want := ""
		if key != "" {
			want = "Bearer " + key
		}
		if h := <-got; h != want {
			t.Errorf("OPENAI_API_KEY=%q: Authorization %q, want %q", key, h, want)
		}
	}
}

// TestDefaultsAreUpstreamMains: upstream main's client reports p90, p99
// and p99.9 of all four metrics unless told otherwise.
func TestDefaultsAreUpstreamMains(t *testing.T) {
	o := Defaults()
	if err := Parser("loadgen", &o).Parse([]string{"--model", "m"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if o.PercentileMetrics != "ttft,tpot,itl,e2el" || o.MetricPercentiles != "90,99,99.9" || o.RandomNumWorkers != 0 || o.DSV4 {
		t.Errorf("defaults %q %q %d %v", o.PercentileMetrics, o.MetricPercentiles, o.RandomNumWorkers, o.DSV4)
	}
	url, dir := fixture(t, nil, 4, 0)
	args := []string{"--model", "m", "--base-url", url, "--dataset-name", "jsonl", "--dataset-path", filepath.Join(dir, "prompts.jsonl"),
		"--num-prompts", "4", "--save-result", "--result-dir", dir, "--result-filename", "d.json"}
	out := runBench(t, context.Background(), args, Env{})
	if out.status != ExitOK {
		t.Fatalf("status %d: %s", out.status, out.stderr)
	}
	for _, m := range []string{"ttft", "tpot", "itl", "e2el"} {
		for _, p := range []string{"p90", "p99", "p99.9"} {
			if _, ok := out.result[p+"_"+m+"_ms"]; !ok {
				t.Errorf("no %s_%s_ms in the default result", p, m)
			}
			label := fmt.Sprintf("%s %s (ms):", strings.ToUpper(p), strings.ToUpper(m))
			if !strings.Contains(out.stdout, label) {
				t.Errorf("console block has no %q", label)
			}
		}
	}
	if !strings.Contains(out.stdout, "----------------End-to-end Latency----------------") {
		t.Errorf("console block has no E2EL section:\n%s", out.stdout)
	}
}

// TestProfileSendsUpstreamsBody: --profile asks SGLang's profiler for what
// upstream main's client asks it for, and stops it after the run.
func TestProfileSendsUpstreamsBody(t *testing.T) {
	type call struct{ path, body, contentType string }
	var calls []call
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, call{r.URL.Path, string(b), r.Header.Get("Content-Type")})
		mu.Unlock()
	}))
	defer srv.Close()
	var log bytes.Buffer
	profile(context.Background(), srv.URL+"/start_profile", startProfileBody, "Profiler started", &log)
	profile(context.Background(), srv.URL+"/stop_profile", nil, "Profiler stopped", &log)
	if len(calls) != 2 {
		t.Fatalf("calls %+v", calls)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(calls[0].body), &body); err != nil || calls[0].contentType != "application/json" {
		t.Fatalf("start_profile body %q (%s): %v", calls[0].body, calls[0].contentType, err)
	}
	if body["num_steps"] != 1.0 || body["merge_profiles"] != true || body["profile_by_stage"] != true || len(body) != 3 {
		t.Errorf("start_profile body %v", body)
	}
	if calls[1].path != "/stop_profile" || calls[1].body != "" {
		t.Errorf("stop_profile call %+v", calls[1])
	}
	if log.String() != "Profiler started\nProfiler stopped\n" {
		t.Errorf("log %q", log.String())
	}
}
