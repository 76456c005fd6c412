package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/ghaction"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/backend"
	"github.com/inferencex/inferencex-go/tools/loadgen/engine"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
	"github.com/inferencex/inferencex-go/tools/loadgen/progress"
	"github.com/inferencex/inferencex-go/tools/loadgen/promptfile"
	"github.com/inferencex/inferencex-go/tools/loadgen/result"
)

// PromptSet is what a dataset gives the run.
type PromptSet struct {
	Prompts []engine.Prompt
	Warmups []engine.Prompt // separate prompts for the warmup phase
	// Check is the dataset's verification of prompt lengths; nil when it
	// did not verify them.
	Check *result.DatasetCheck
}

// Env is what a run needs from its process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	StderrIsTTY    bool
	Validator      *schemas.Validator
	Now            func() time.Time // wall clock for the result date

	// RandomDataset generates --dataset-name random prompts (with the
	// tokenizer); nil when this build has no tokenizer.
	RandomDataset func(ctx context.Context, o *Options, log io.Writer) (PromptSet, error)
	// Tokenizer returns a counter of output tokens for servers that send no
	// usage; nil when this build has no tokenizer.
	Tokenizer func(ctx context.Context, tokenizerID string, o *Options) (engine.TokenCounter, error)

	PIDPoll time.Duration // how often --server-pid is checked; 1s when 0
}

// UsageError is bad input on the command line: exit status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// plan is the checked, derived form of the options.
type plan struct {
	backend     backend.Backend
	apiURL      string
	baseURL     string
	model       string // sent in requests
	tokenizerID string
	metrics     []string
	percentiles []float64
	goodput     map[string]float64
	metadata    []result.KV
}

func check(o *Options) (*plan, error) {
	p := &plan{}
	var err error
	if p.backend, err = backend.ByName(o.Backend); err != nil {
		return nil, usagef("argument --backend: %v", err)
	}
	switch o.DatasetName {
	case "random", "jsonl":
	default:
		return nil, usagef("--dataset-name is %q, a dataset loadgen does not generate: use --dataset-name random (or jsonl with --dataset-path)", o.DatasetName)
	}
	if o.DatasetName == "jsonl" && o.DatasetPath == nil {
		return nil, usagef("--dataset-name jsonl needs --dataset-path FILE")
	}
	if o.NumPrompts < 1 {
		return nil, usagef("argument --num-prompts: must be at least 1, got %d", o.NumPrompts)
	}
	// numpy's seed range: the original seeded numpy with it, and loadgen's
	// random dataset reproduces numpy's stream.
	if o.Seed < 0 || int64(o.Seed) > 1<<32-1 {
		return nil, usagef("argument --seed: must be between 0 and 4294967295 (numpy's seed range), got %d", o.Seed)
	}
	if o.DatasetName == "random" {
		for _, f := range []struct {
			name string
			v    int
		}{{"--random-input-len", o.RandomInputLen}, {"--random-output-len", o.RandomOutputLen}, {"--random-prefix-len", o.RandomPrefixLen}} {
			if f.v < 0 {
				return nil, usagef("argument %s: must not be negative, got %d", f.name, f.v)
			}
		}
		if !(o.RandomRangeRatio >= 0 && o.RandomRangeRatio <= 1) {
			return nil, usagef("argument --random-range-ratio: must be between 0 and 1, got %s", result.PyFloat(o.RandomRangeRatio))
		}
		if o.DSV4 && !o.UseChatTemplate {
			return nil, usagef("--dsv4 requires --use-chat-template to be set")
		}
	}
	if o.MaxConcurrency != nil && *o.MaxConcurrency < 1 {
		return nil, usagef("argument --max-concurrency: must be at least 1, got %d", *o.MaxConcurrency)
	}
	if !(o.RequestRate > 0) {
		return nil, usagef("argument --request-rate: must be a positive number of requests per second or inf, got %s", result.PyFloat(o.RequestRate))
	}
	if !(o.Burstiness > 0) || math.IsInf(o.Burstiness, 0) {
		return nil, usagef("argument --burstiness: must be a positive number, got %s", result.PyFloat(o.Burstiness))
	}
	if o.BestOf < 1 {
		return nil, usagef("argument --best-of: must be at least 1, got %d", o.BestOf)
	}
	if o.NumWarmups < 0 {
		return nil, usagef("argument --num-warmups: must not be negative, got %d", o.NumWarmups)
	}
	if o.TokenizerMode == "mistral" || o.TokenizerMode == "custom" {
		return nil, usagef("argument --tokenizer-mode: %s is not supported; loadgen reads Hugging Face tokenizer.json files (auto)", o.TokenizerMode)
	}
	for _, t := range []struct {
		name string
		v    float64
	}{{"--request-timeout", o.RequestTimeout}, {"--stream-stall-timeout", o.StreamStallTimeout}} {
		if !(t.v >= 0) || math.IsInf(t.v, 0) {
			return nil, usagef("argument %s: must be a number of seconds >= 0, got %s", t.name, result.PyFloat(t.v))
		}
	}
	if !(o.MaxFailureRate >= 0 && o.MaxFailureRate <= 1) {
		return nil, usagef("argument --max-failure-rate: must be a fraction between 0 and 1, got %s", result.PyFloat(o.MaxFailureRate))
	}
	if o.ServerPID != nil && *o.ServerPID < 1 {
		return nil, usagef("argument --server-pid: must be a process id, got %d", *o.ServerPID)
	}

	for _, m := range strings.Split(o.PercentileMetrics, ",") {
		m = strings.TrimSpace(m)
		if !contains(result.MetricNames, m) {
			return nil, usagef("argument --percentile-metrics: unknown metric %q (expected a comma-separated list of: %s)", m, strings.Join(result.MetricNames, ", "))
		}
		p.metrics = append(p.metrics, m)
	}
	for _, s := range strings.Split(o.MetricPercentiles, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(f >= 0 && f <= 100) {
			return nil, usagef("argument --metric-percentiles: %q is not a percentile between 0 and 100", s)
		}
		p.percentiles = append(p.percentiles, f)
	}
	if p.goodput, err = parseGoodput(o.Goodput); err != nil {
		return nil, err
	}
	for _, item := range o.Metadata {
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, usagef("argument --metadata: %q is not KEY=VALUE", item)
		}
		if result.Reserved(k) {
			return nil, usagef("argument --metadata: %q is a key of the result itself; choose another name", k)
		}
		p.metadata = append(p.metadata, result.KV{Key: k, Value: v})
	}

	if o.BaseURL != nil {
		p.baseURL = *o.BaseURL
	} else {
		p.baseURL = fmt.Sprintf("http://%s:%d", o.Host, o.Port)
	}
	p.apiURL = p.baseURL + o.Endpoint
	if err := p.backend.CheckURL(p.apiURL); err != nil {
		return nil, usagef("%v (the --%s backend is served at %s; give --endpoint)", err, o.Backend, backend.DefaultEndpoint(p.backend))
	}
	p.model = o.Model
	if o.ServedModelName != nil {
		p.model = *o.ServedModelName
	}
	p.tokenizerID = o.Model
	if o.Tokenizer != nil {
		p.tokenizerID = *o.Tokenizer
	}
	return p, nil
}

// parseGoodput reads --goodput KEY:MS pairs.
func parseGoodput(pairs []string) (map[string]float64, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]float64{}
	for _, pair := range pairs {
		name, val, ok := strings.Cut(pair, ":")
		f, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil || strings.Contains(val, ":") {
			return nil, usagef("argument --goodput: %q is not KEY:VALUE, where the key is a metric name and the value a number of milliseconds", pair)
		}
		switch name {
		case "ttft", "tpot", "e2el":
		default:
			return nil, usagef("argument --goodput: unknown metric %q in %q (expected one of: ttft, tpot, e2el)", name, pair)
		}
		if !(f >= 0) || math.IsInf(f, 0) {
			return nil, usagef("argument --goodput: %s must be a non-negative number of milliseconds, got %s", name, val)
		}
		out[name] = f
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// loadPrompts gets the measured and warmup prompts.
func loadPrompts(ctx context.Context, o *Options, env *Env) (PromptSet, error) {
	if o.DatasetName == "random" {
		if env.RandomDataset == nil {
			return PromptSet{}, errors.New("--dataset-name random needs a tokenizer, and this program was built without one")
		}
		return env.RandomDataset(ctx, o, env.Stderr)
	}
	lines, err := promptfile.ReadFile(*o.DatasetPath)
	if err != nil {
		return PromptSet{}, err
	}
	var set PromptSet
	for _, l := range lines {
		p := engine.Prompt{Prompt: l.Prompt, PromptLen: l.PromptLen, OutputLen: l.OutputLen}
		if l.Warmup {
			set.Warmups = append(set.Warmups, p)
		} else {
			set.Prompts = append(set.Prompts, p)
		}
	}
	if len(set.Prompts) < o.NumPrompts {
		return PromptSet{}, diag.Errorf(*o.DatasetPath, 0, 0, "", "has %d prompts (not counting warmup ones), --num-prompts asks for %d", len(set.Prompts), o.NumPrompts)
	}
	set.Prompts = set.Prompts[:o.NumPrompts]
	return set, nil
}

// warmupPrompts gives n warmup prompts, cycling through what the dataset
// provided.
func warmupPrompts(set PromptSet, n int, log io.Writer) []engine.Prompt {
	if n == 0 {
		return nil
	}
	src := set.Warmups
	if len(src) == 0 {
		fmt.Fprintln(log, "warning: the dataset has no separate warmup prompts; warming up with the measured prompts, which a server's prefix cache may then answer faster")
		src = set.Prompts
	}
	out := make([]engine.Prompt, n)
	for i := range out {
		out[i] = src[i%len(src)]
	}
	return out
}

// Run runs the benchmark and returns the process exit status.
func Run(ctx context.Context, o *Options, env Env) int {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	gh := ghaction.New(env.Getenv, env.Stderr)
	status, err := run(ctx, o, &env, gh)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			fmt.Fprintf(env.Stderr, "loadgen: error: %v\n", err)
			return ExitUsage
		}
		fmt.Fprintf(env.Stderr, "loadgen: %v\n", err)
		if gh.InWorkflow() {
			_ = gh.Error(diag.Diagnostic{Message: "loadgen: " + err.Error()})
		}
		if status == ExitOK {
			status = ExitFailure
		}
	}
	return status
}

// startProgress starts the progress bar (a terminal) or progress lines (a
// log) of total requests; nil, which Stop accepts, with --disable-tqdm.
func startProgress(ctx context.Context, o *Options, env *Env, label string, total int, eng *engine.Engine) *progress.Reporter {
	if o.DisableTqdm || ctx.Err() != nil {
		return nil
	}
	rep := progress.New(env.Stderr, env.StderrIsTTY, label, total, func() progress.Counts {
		c := eng.Progress()
		return progress.Counts{Done: c.Done, Failed: c.Failed, OutputTokens: c.OutputTokens}
	})
	rep.Start()
	return rep
}

func run(ctx context.Context, o *Options, env *Env, gh *ghaction.Action) (int, error) {
	p, err := check(o)
	if err != nil {
		return ExitUsage, err
	}
	// The original found a missing result directory only when it wrote the
	// file, after the whole run.
	if o.SaveResult && o.ResultDir != nil {
		if fi, err := os.Stat(*o.ResultDir); err != nil || !fi.IsDir() {
			return ExitUsage, usagef("argument --result-dir: %s is not a directory", *o.ResultDir)
		}
	}
	log := env.Stderr
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if o.ServerPID != nil {
		// Checked here first, so that a server that is already gone is
		// named as such before minutes of tokenizer and dataset work.
		if !alive(*o.ServerPID) {
			return ExitFailure, fmt.Errorf("server process %d is not running", *o.ServerPID)
		}
		go watchPID(ctx, *o.ServerPID, env.PIDPoll, stop)
	}

	set, err := loadPrompts(ctx, o, env)
	if err != nil {
		if ctx.Err() != nil {
			return ExitFailure, fmt.Errorf("stopped before the run: %w", context.Cause(ctx))
		}
		return ExitFailure, err
	}
	var counter engine.TokenCounter
	if o.Tokenizer != nil || o.DatasetName == "random" || !p.backend.ReportsUsage() {
		if env.Tokenizer == nil {
			if !p.backend.ReportsUsage() {
				return ExitFailure, fmt.Errorf("the %s backend reports no token counts, so loadgen must count output tokens with a tokenizer, and this program was built without one", o.Backend)
			}
			if o.Tokenizer != nil {
				fmt.Fprintln(log, "warning: built without a tokenizer: --tokenizer is used only as tokenizer_id, and requests without usage will fail (no_usage)")
			}
		} else if counter, err = env.Tokenizer(ctx, p.tokenizerID, o); err != nil {
			return ExitFailure, err
		}
	}

	cfg := engine.Config{
		Backend: p.backend, URL: p.apiURL, Model: p.model, LoRAModules: o.LoRAModules, BestOf: o.BestOf,
		Logprobs: o.Logprobs, IgnoreEOS: o.IgnoreEOS, ContinuousUsage: o.ContinuousUsageStats,
		RequestRate: o.RequestRate, Burstiness: o.Burstiness, Seed: uint64(o.Seed),
		RequestTimeout: seconds(o.RequestTimeout), StallTimeout: seconds(o.StreamStallTimeout),
		Counter: counter, Detailed: o.SaveResult && o.SaveDetailed, KeepLengths: o.SaveResult, Goodput: p.goodput,
	}
	if o.MaxConcurrency != nil {
		cfg.MaxConcurrency = *o.MaxConcurrency
	}
	if o.ServerPID != nil {
		pid := *o.ServerPID
		cfg.ServerGone = func() error { return serverGone(pid) }
	}
	if key := env.Getenv("OPENAI_API_KEY"); key != "" && backend.SendsAPIKey(p.backend) {
		cfg.Header = http.Header{"Authorization": {"Bearer " + key}}
	}
	eng, err := engine.New(cfg)
	if err != nil {
		return ExitUsage, &UsageError{Msg: err.Error()}
	}
	defer eng.Close()

	fmt.Fprintf(log, "loadgen: %s %s, model %s, %d prompts; request timeout %s, stream stall timeout %s\n",
		o.Backend, p.apiURL, p.model, len(set.Prompts), timeoutText(cfg.RequestTimeout), timeoutText(cfg.StallTimeout))

	warmupFailed := 0
	if o.NumWarmups > 0 {
		fmt.Fprintf(log, "Warming up with %d requests...\n", o.NumWarmups)
		ws := warmupPrompts(set, o.NumWarmups, log)
		// Warmups at benchmark_lib.sh's 2 × concurrency with long outputs
		// take minutes: a silent log would look hung.
		rep := startProgress(ctx, o, env, "warmup", len(ws), eng)
		wr := eng.Warmup(ctx, ws)
		rep.Stop()
		if wr.Stopped != nil {
			stop(wr.Stopped) // the measured run has nothing to measure
		}
		warmupFailed = wr.Failed
		if wr.Failed > 0 {
			fmt.Fprintf(log, "warning: %d of %d warmup requests failed (first: %s)\n", wr.Failed, wr.Sent, wr.FirstError)
		}
		fmt.Fprintln(log, "Warmup completed.")
	}
	if o.Profile {
		profile(ctx, p.baseURL+"/start_profile", startProfileBody, "Profiler started", log)
	}

	distribution := "Poisson process"
	if o.Burstiness != 1 {
		distribution = "Gamma distribution"
	}
	conc := "None"
	if o.MaxConcurrency != nil {
		conc = strconv.Itoa(*o.MaxConcurrency)
	}
	fmt.Fprintf(log, "Traffic request rate: %s\n", result.PyFloat(o.RequestRate))
	fmt.Fprintf(log, "Burstiness factor: %s (%s)\n", result.PyFloat(o.Burstiness), distribution)
	fmt.Fprintf(log, "Maximum request concurrency: %s\n", conc)
	fmt.Fprintln(log, "Starting main benchmark run...")

	rep := startProgress(ctx, o, env, "benchmark", len(set.Prompts), eng)
	runRes := eng.Run(ctx, set.Prompts)
	rep.Stop()
	if o.Profile {
		profile(context.WithoutCancel(ctx), p.baseURL+"/stop_profile", nil, "Profiler stopped", log)
	}

	m := runRes.Aggregator.Finish(p.percentiles)
	setup := result.Setup{
		Date: env.Now(), Backend: o.Backend, ModelID: o.Model, TokenizerID: p.tokenizerID, BestOf: o.BestOf,
		NumPrompts: o.NumPrompts, Metadata: p.metadata, RequestRate: o.RequestRate, Burstiness: o.Burstiness,
		MaxConcurrency: o.MaxConcurrency, SelectedMetrics: p.metrics, Percentiles: p.percentiles,
		Goodput: len(p.goodput) > 0, Detailed: cfg.Detailed, NumWarmups: o.NumWarmups,
		RequestTimeout: cfg.RequestTimeout, StallTimeout: cfg.StallTimeout,
	}
	out := result.Outcome{
		Duration: runRes.Duration, Start: runRes.Start, End: runRes.End, ClientCPU: runRes.CPU,
		ClientProcs: runtime.GOMAXPROCS(0), Simulated: runRes.Simulated, WarmupFailed: warmupFailed,
		DatasetChecks: set.Check,
	}
	if runRes.Stopped != nil {
		out.Partial = true
		out.StopReason = runRes.Stopped.Error()
	}
	out.Headroom = headroom(out, m)
	result.PrintSummary(env.Stdout, setup, out, m)
	result.PrintHealth(env.Stdout, out, m)

	var written string
	if o.SaveResult {
		name := result.FileName(setup)
		if o.ResultFilename != nil {
			name = *o.ResultFilename
		}
		if o.ResultDir != nil {
			name = filepath.Join(*o.ResultDir, name)
		}
		if err := result.Write(env.Validator, name, result.Build(setup, out, m)); err != nil {
			return ExitFailure, err
		}
		written = name
		fmt.Fprintf(log, "loadgen: result written to %s\n", name)
	}
	if gh.InWorkflow() {
		reportToWorkflow(gh, setup, out, m, written)
	}
	return verdict(o, out, m, written)
}

// verdict decides the exit status once everything is written.
func verdict(o *Options, out result.Outcome, m metrics.Metrics, written string) (int, error) {
	where := ""
	if written != "" {
		where = "; results written to " + written
	}
	if out.Partial {
		return ExitFailure, fmt.Errorf("the run stopped early (%s) after %d completed requests%s", out.StopReason, m.Completed, where)
	}
	answered := m.Completed + m.Failed
	if m.Completed == 0 {
		first := ""
		if len(m.Errors) > 0 {
			first = fmt.Sprintf(" (first %s: %s)", m.Errors[0].Kind, m.Errors[0].First)
		}
		return ExitFailure, fmt.Errorf("all %d requests failed%s", answered, first)
	}
	if rate := float64(m.Failed) / float64(answered); rate > o.MaxFailureRate {
		// Upstream main's message, then which requests and the flag.
		return ExitFailure, fmt.Errorf("FAIL: request failure rate %.1f%% exceeds %s%% threshold (%d/%d completed; %d failed, --max-failure-rate %s)%s",
			100*rate, percent(o.MaxFailureRate), m.Completed, answered, m.Failed, result.PyFloat(o.MaxFailureRate), where)
	}
	return ExitOK, nil
}

// Headroom thresholds: past them the client, not the server, may be what
// the numbers measure.
const (
	cpuHeadroomLimit = 0.8
	lagHeadroomLimit = 10 * time.Millisecond
)

func headroom(out result.Outcome, m metrics.Metrics) string {
	var why []string
	if out.Duration > 0 && out.ClientProcs > 0 {
		util := out.ClientCPU.Seconds() / (out.Duration.Seconds() * float64(out.ClientProcs))
		if util >= cpuHeadroomLimit {
			why = append(why, fmt.Sprintf("the client used %.0f%% of the %d cores it could use", 100*util, out.ClientProcs))
		}
	}
	if lag := time.Duration(m.ScheduleLag.Percentiles[0] * float64(time.Second)); lag > lagHeadroomLimit {
		why = append(why, fmt.Sprintf("requests went out %.1f ms (p99) after they could have", lag.Seconds()*1000))
	}
	if len(why) == 0 {
		return ""
	}
	return "the client may be the bottleneck, not the server: " + strings.Join(why, "; ") +
		" (give the client more CPU or less load)"
}

func reportToWorkflow(gh *ghaction.Action, s result.Setup, out result.Outcome, m metrics.Metrics, written string) {
	conc := "none"
	if s.MaxConcurrency != nil {
		conc = strconv.Itoa(*s.MaxConcurrency)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### loadgen: %s, concurrency %s\n\n", s.ModelID, conc)
	if out.Simulated {
		b.WriteString("**Simulated server: these numbers measure nothing real.**\n\n")
	}
	b.WriteString("| completed | failed | duration (s) | output tok/s | median TTFT (ms) | median TPOT (ms) | median ITL (ms) |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n\n", m.Completed, m.Failed, out.Duration.Seconds(),
		float64(m.TotalOutput)/out.Duration.Seconds(), m.TTFT.Median*1000, m.TPOT.Median*1000, m.ITL.Median*1000)
	if written != "" {
		fmt.Fprintf(&b, "Result: `%s`\n", written)
	}
	_ = gh.AddStepSummary(b.String())
	if out.Headroom != "" {
		_ = gh.Warning(diag.Diagnostic{Message: "loadgen: " + out.Headroom})
	}
	for _, e := range m.Errors {
		_ = gh.Warning(diag.Diagnostic{Message: fmt.Sprintf("loadgen: %d requests failed (%s), first: %s", e.Count, e.Kind, e.First)})
	}
}

// percent writes a fraction as a percentage without float noise (0.07 is
// "7", not "7.000000000000001").
func percent(f float64) string {
	return strconv.FormatFloat(math.Round(f*1e8)/1e6, 'f', -1, 64)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func timeoutText(d time.Duration) string {
	if d <= 0 {
		return "none"
	}
	return d.String()
}

// startProfileBody is what upstream main's client adds to its
// /start_profile request: SGLang's profiler then records one step per
// stage and merges the ranks' traces (vLLM ignores it).
var startProfileBody = []byte(`{"num_steps":1,"merge_profiles":true,"profile_by_stage":true}`)

// profile calls a profiler endpoint, with a JSON body when one is given;
// its failure is reported, not fatal.
func profile(ctx context.Context, url string, body []byte, done string, log io.Writer) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, rd)
	if err == nil {
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		var resp *http.Response
		if resp, err = http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				fmt.Fprintln(log, done)
				return
			}
			err = fmt.Errorf("HTTP %s", resp.Status)
		}
	}
	fmt.Fprintf(log, "warning: %s: %v\n", url, err)
}
