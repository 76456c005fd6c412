// Package replay is loadgen's trace replay (`loadgen replay`): upstream
// InferenceX's AgentX benchmark, which it runs with AIPerf's
// inferencex-agentx-mvp scenario. Concurrency lanes each replay one Weka
// trace's whole session tree at a time (the root agent and its subagents,
// each with its full, growing chat history, the recorded think times and
// output lengths), taking the next trace when the tree drains; each lane
// first warms the server's cache at a seeded point of its first trace.
// Requests stream from the chat completions API and are timed at the read.
// The run writes AIPerf's artifacts (package aiperf), with the server's
// Prometheus metrics scraped during it (package promscrape).
package replay

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/ghaction"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/aiperf"
	"github.com/inferencex/inferencex-go/tools/loadgen/chatprompt"
	"github.com/inferencex/inferencex-go/tools/loadgen/chattemplate"
	"github.com/inferencex/inferencex-go/tools/loadgen/engine"
	"github.com/inferencex/inferencex-go/tools/loadgen/hfhub"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
	"github.com/inferencex/inferencex-go/tools/loadgen/promscrape"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
	"github.com/inferencex/inferencex-go/tools/loadgen/weka"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is what a run needs from its surroundings.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Validator      *schemas.Validator
	// LoadTokenizer finds a tokenizer by model id or path.
	LoadTokenizer func(ctx context.Context, nameOrPath string) (*tokenizer.Tokenizer, error)
	Hub           hfhub.Options
	Client        *http.Client // nil: one sized for the concurrency
}

// usageError is a command line or input that cannot work.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// Run is `loadgen replay`.
func Run(ctx context.Context, o *Options, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	gh := ghaction.New(env.Getenv, env.Stderr)
	status, err := run(ctx, o, &env, gh)
	if err != nil {
		var ue *usageError
		var pe *weka.ParseError
		switch {
		case errors.As(err, &ue), errors.As(err, &pe):
			fmt.Fprintf(env.Stderr, "loadgen replay: error: %v\n", err)
			status = ExitUsage
		default:
			fmt.Fprintf(env.Stderr, "loadgen replay: %v\n", err)
			if status == ExitOK {
				status = ExitFailure
			}
		}
		if gh.InWorkflow() {
			_ = gh.Error(diag.Diagnostic{Message: "loadgen replay: " + err.Error()})
		}
	}
	return status
}

// normalizeURL adds the http scheme AIPerf assumes for "host:port".
func normalizeURL(u string) (string, error) {
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", usagef("argument --url: %q is not an http(s) URL", u)
	}
	return strings.TrimRight(u, "/"), nil
}

// check validates the options and returns the scenario's broken rules.
func check(o *Options, getenv func(string) string) ([]string, error) {
	switch {
	case o.Concurrency < 1:
		return nil, usagef("argument --concurrency: must be at least 1, got %d", o.Concurrency)
	case !(o.Duration > 0) || math.IsInf(o.Duration, 0):
		return nil, usagef("argument --benchmark-duration: must be a positive number of seconds, got %v", o.Duration)
	case !(o.GracePeriod >= 0) || !(o.StatsEvery >= 0) || !(o.ReqTimeout >= 0) || !(o.SysIdleCap >= 0):
		return nil, usagef("grace period, stats interval, request timeout and idle cap must not be negative")
	case !(o.MetricsEvery > 0):
		return nil, usagef("argument --server-metrics-interval: must be positive, got %v", o.MetricsEvery)
	case !(o.StartMin >= 0 && o.StartMin <= o.StartMax && o.StartMax <= 1):
		return nil, usagef("arguments --trajectory-start-min-ratio %v and --trajectory-start-max-ratio %v: expected 0 <= min <= max <= 1", o.StartMin, o.StartMax)
	case o.WarmupPerLn < 0:
		return nil, usagef("argument --warmup-requests-per-lane: must not be negative, got %d", o.WarmupPerLn)
	case o.FailThresh != nil && !(*o.FailThresh >= 0 && *o.FailThresh <= 1):
		return nil, usagef("argument --failed-request-threshold: must be between 0 and 1, got %v", *o.FailThresh)
	case o.SliceDur != nil && !(*o.SliceDur > 0):
		return nil, usagef("argument --slice-duration: must be positive, got %v", *o.SliceDur)
	case o.WarmupGrace != nil && !(*o.WarmupGrace > 0):
		return nil, usagef("argument --warmup-grace-period: must be positive, got %v", *o.WarmupGrace)
	case o.TraceIdleCap != nil && !(*o.TraceIdleCap > 0):
		return nil, usagef("argument --trace-idle-gap-cap-seconds: must be positive, got %v", *o.TraceIdleCap)
	case o.MaxContext != nil && *o.MaxContext < 1:
		return nil, usagef("argument --max-context-length: must be positive, got %d", *o.MaxContext)
	case o.NumEntries != nil && *o.NumEntries < 1:
		return nil, usagef("argument --num-dataset-entries: must be positive, got %d", *o.NumEntries)
	case o.DynamoRoute || o.DynamoTTL != nil:
		return nil, usagef("--use-dynamo-conv-aware-routing is not supported: loadgen sends X-Correlation-ID per agent but not AIPerf's nvext.session_control")
	case o.ChatTemplate != nil && !o.ApplyTmpl:
		return nil, usagef("argument --chat-template: only used with --apply-chat-template")
	case !strings.HasPrefix(o.Endpoint, "/"):
		return nil, usagef("argument --endpoint: %q must start with /", o.Endpoint)
	}
	switch strings.ToLower(getenv("AIPERF_DATASET_WEKA_LIVE_ASSISTANT_RESPONSES")) {
	case "1", "true", "yes", "on":
		return nil, usagef("AIPERF_DATASET_WEKA_LIVE_ASSISTANT_RESPONSES=1 (sending the server's own answers back) is not supported: loadgen replays the recorded answers")
	}
	if o.Scenario == nil {
		return nil, nil
	}
	// The rules inferencex-agentx-mvp locks.
	var broken []string
	if o.Duration < 900 {
		broken = append(broken, fmt.Sprintf("--benchmark-duration %v is below the scenario's 900 s", o.Duration))
	}
	if o.CacheBust != CacheBustFirstTurn {
		broken = append(broken, "--cache-bust must be first_turn_prefix")
	}
	if o.SysIdleCap != 10 {
		broken = append(broken, fmt.Sprintf("--system-idle-gap-cap-seconds must be 10, got %v", o.SysIdleCap))
	}
	if o.InputFile != nil {
		broken = append(broken, "a local --input-file cannot be proven to be the scenario's corpus")
	}
	if o.HFDataset != nil && *o.HFDataset != CanonicalDataset {
		broken = append(broken, fmt.Sprintf("--hf-weka-dataset must be %s", CanonicalDataset))
	}
	if len(broken) > 0 && !o.Unsafe {
		return nil, usagef("scenario %s: %s (pass --unsafe-override to run anyway; the result is then marked invalid)",
			ScenarioAgentX, strings.Join(broken, "; "))
	}
	return broken, nil
}

func run(ctx context.Context, o *Options, env *Env, gh *ghaction.Action) (int, error) {
	broken, err := check(o, env.Getenv)
	if err != nil {
		return ExitUsage, err
	}
	base, err := normalizeURL(o.URL)
	if err != nil {
		return ExitUsage, err
	}
	extra, err := extraFields(o.ExtraInputs)
	if err != nil {
		return ExitUsage, usagef("%v", err)
	}
	fields := []chatprompt.Field{{Key: "ignore_eos", Value: []byte("true")}}
	for _, f := range extra {
		if f.key == "ignore_eos" {
			if string(f.value) != "true" {
				return ExitUsage, usagef("--extra-inputs ignore_eos:%s: the replay always sends ignore_eos true (every turn generates its recorded length)", f.value)
			}
			continue
		}
		fields = append(fields, chatprompt.Field{Key: f.key, Value: f.value})
	}
	if err := aiperf.EnsureDir(o.ArtifactDir); err != nil {
		return ExitFailure, err
	}
	log := env.Stderr

	// The tokenizer, its words, and the counting they allow.
	tokName := o.Models[0]
	if o.Tokenizer != nil {
		tokName = *o.Tokenizer
	}
	tok, err := env.LoadTokenizer(ctx, tokName)
	if err != nil {
		return ExitFailure, err
	}
	vocab, err := chatprompt.NewVocab(tok)
	if err != nil {
		return ExitFailure, fmt.Errorf("tokenizer %s: %w", tokName, err)
	}
	var tmpl *chattemplate.Template
	if o.ApplyTmpl {
		if o.ChatTemplate != nil {
			src, err := os.ReadFile(*o.ChatTemplate)
			if err != nil {
				return ExitUsage, usagef("argument --chat-template: %v", err)
			}
			if tmpl, err = chattemplate.New(string(src), *o.ChatTemplate, tok.Config()); err != nil {
				return ExitUsage, usagef("%v", err)
			}
		} else if tmpl, err = chattemplate.ForTokenizer(tok); err != nil {
			return ExitUsage, usagef("--apply-chat-template: tokenizer %s: %v (give one with --chat-template)", tokName, err)
		}
	}
	counter, err := chatprompt.NewCounter(tok, tmpl, vocab)
	if err != nil {
		return ExitFailure, fmt.Errorf("tokenizer %s: %w", tokName, err)
	}
	fmt.Fprintf(log, "loadgen replay: prompts from %s (%v)\n", tokName, vocab)

	ds, err := LoadDataset(ctx, o, env.Hub)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			return ExitUsage, err
		}
		return ExitFailure, err
	}
	fmt.Fprintf(log, "loadgen replay: %d traces (%d read, %d longer than --max-context-length, %d past --num-dataset-entries), %d requests\n",
		len(ds.Traces), ds.Loaded, ds.TooLong, ds.Capped, countRequests(ds.Traces))
	if o.Scenario != nil && !ds.Canonical && o.InputFile == nil && o.HFDataset == nil {
		broken = append(broken, fmt.Sprintf("--public-dataset %s is not the scenario's corpus %s", *o.Public, CanonicalDataset))
		if !o.Unsafe {
			return ExitUsage, usagef("scenario %s: %s (pass --unsafe-override to run anyway)", ScenarioAgentX, broken[len(broken)-1])
		}
	}

	benchID := ""
	if o.BenchmarkID != nil {
		benchID = *o.BenchmarkID
	} else {
		var b [16]byte
		_, _ = crand.Read(b[:])
		benchID = hex.EncodeToString(b[:])
	}
	header := http.Header{}
	key := env.Getenv("OPENAI_API_KEY")
	if o.APIKey != nil {
		key = *o.APIKey
	}
	if key != "" {
		header.Set("Authorization", "Bearer "+key)
	}
	client := env.Client
	if client == nil {
		client = engine.NewHTTPClient(4*o.Concurrency + 16)
		defer client.CloseIdleConnections()
	}

	// The server's metrics, scraped from before the warmup to the end.
	var scraper *promscrape.Scraper
	scrapeCtx, stopScrape := context.WithCancel(ctx)
	defer stopScrape()
	var scrapeDone sync.WaitGroup
	if !o.NoMetrics {
		urls := append([]string{base + "/metrics"}, o.MetricsURLs...)
		scraper, err = promscrape.New(promscrape.Config{URLs: urls, Interval: seconds(o.MetricsEvery)})
		if err != nil {
			return ExitUsage, usagef("%v", err)
		}
		scrapeDone.Go(func() { scraper.Run(scrapeCtx) })
	}

	var countText func(string) (int, error)
	if !o.ServerTokens {
		countText = func(s string) (int, error) { return tok.Count(s, false) }
	}
	var verify func(*Result) (int, error)
	if o.VerifyTokens {
		verify = func(r *Result) (int, error) { return counter.CountExact(r.Messages) }
	}
	coll := newCollector(o.ServerTokens, countText, verify)
	var done, failed atomic.Int64
	cfg := Config{
		URL: base + o.Endpoint, Header: header, Client: client, Models: o.Models, Counter: counter, Extra: fields,
		LegacyMax: o.LegacyMaxTok, Concurrency: o.Concurrency, Seed: uint64(o.Seed), BenchmarkID: benchID,
		CacheBust: o.CacheBust == CacheBustFirstTurn, StartMin: o.StartMin, StartMax: o.StartMax,
		WarmupRequests: o.WarmupPerLn, Duration: seconds(o.Duration), GracePeriod: seconds(o.GracePeriod),
		SystemIdleCap: seconds(o.SysIdleCap), RequestTimeout: seconds(o.ReqTimeout), CollectText: !o.ServerTokens,
		OnRecord: func(r *Result) {
			coll.add(r)
			done.Add(1)
			if r.Failed() {
				failed.Add(1)
			}
		},
	}
	if o.WarmupGrace != nil {
		cfg.WarmupGrace = seconds(*o.WarmupGrace)
	}
	if o.TraceIdleCap != nil {
		cfg.TraceIdleCap = seconds(*o.TraceIdleCap)
	}
	if o.FailThresh != nil {
		cfg.FailThreshold = *o.FailThresh
	}
	rp, err := New(cfg, ds.Traces)
	if err != nil {
		return ExitUsage, usagef("%v", err)
	}
	fmt.Fprintf(log, "loadgen replay: %d lanes against %s, %v of profiling after the warmup (benchmark id %s)\n",
		o.Concurrency, cfg.URL, cfg.Duration, benchID)
	stopProgress := progressLines(log, seconds(o.StatsEvery), &done, &failed)
	cpu0 := engine.CPUTime()
	st := rp.Run(ctx)
	cpu := engine.CPUTime() - cpu0
	stopProgress()
	stopScrape()
	scrapeDone.Wait()

	// The artifacts.
	agg := &aiperf.Aggregate{BenchmarkID: benchID, Metrics: coll.aggregate(&st), InputConfig: inputConfig(o, base),
		WasCancelled: st.Stopped != nil, ErrorSummary: coll.errorSummary(), Start: st.ProfileStart, End: st.ProfileEnd,
		Metadata: aiperf.AggregateMetadata{Dataset: ds.Info}}
	reasons := []string{}
	if len(broken) > 0 {
		reasons = append(reasons, "unsafe_override")
	}
	attempted := st.Completed + st.Failed + st.Overflowed
	if attempted > 0 && float64(st.Overflowed)/float64(attempted) > 0.01 {
		reasons = append(reasons, "context_overflow_rate_exceeded")
	}
	if st.Stopped != nil {
		reasons = append(reasons, "run_cancelled")
	}
	if st.Simulated {
		reasons = append(reasons, "simulated_server")
	}
	if o.Scenario != nil {
		valid := len(reasons) == 0
		agg.Metadata.Scenario = *o.Scenario
		agg.Metadata.SubmissionValid = &valid
		if !valid {
			agg.Metadata.SubmissionInvalidReasons = reasons
		}
	}
	sent := st.Sent + st.WarmupSent
	agg.Loadgen = loadgenBlock(&st, coll, cpu, sent, broken, ds, scraper)
	v := env.Validator
	if err := aiperf.WriteRecords(o.ArtifactDir, coll.records, v); err != nil {
		return ExitFailure, err
	}
	if err := aiperf.WriteJSON(o.ArtifactDir, aiperf.AggregateFile, schemas.AIPerfProfileExport, agg, v); err != nil {
		return ExitFailure, err
	}
	if scraper != nil {
		w := promscrape.Window{Start: st.ProfileStart, End: st.ProfileEnd}
		if o.SliceDur != nil {
			w.Slice = seconds(*o.SliceDur)
		}
		if err := aiperf.WriteJSON(o.ArtifactDir, aiperf.ServerMetricsFile, schemas.AIPerfServerMetrics, scraper.Export(w, benchID), v); err != nil {
			return ExitFailure, err
		}
	}
	summary(env.Stdout, o, &st, coll, agg, cpu, sent, scraper)
	if gh.InWorkflow() {
		workflowSummary(gh, o, &st, agg)
	}
	switch {
	case st.Stopped != nil:
		return ExitFailure, fmt.Errorf("the run stopped early: %v (the artifacts hold what was measured)", st.Stopped)
	case st.Completed == 0:
		return ExitFailure, errors.New("no profiled request completed")
	}
	return ExitOK, nil
}

func countRequests(ts []*weka.Trace) int {
	n := 0
	for _, t := range ts {
		n += t.NumRequests()
	}
	return n
}

// progressLines prints one line every interval until the returned func is
// called.
func progressLines(w io.Writer, every time.Duration, done, failed *atomic.Int64) func() {
	if every <= 0 {
		return func() {}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Fprintf(w, "loadgen replay: %s: %d requests finished, %d failed\n",
					time.Since(start).Round(time.Second), done.Load(), failed.Load())
			}
		}
	})
	return func() {
		close(stop)
		wg.Wait()
	}
}

// inputConfig is the run's configuration as profile_export_aiperf.json
// records it.
func inputConfig(o *Options, base string) map[string]any {
	m := map[string]any{
		"url": base, "endpoint": o.Endpoint, "endpoint_type": o.EndpointType, "models": o.Models, "concurrency": o.Concurrency,
		"benchmark_duration": o.Duration, "benchmark_grace_period": o.GracePeriod, "random_seed": o.Seed,
		"trajectory_start_min_ratio": o.StartMin, "trajectory_start_max_ratio": o.StartMax,
		"warmup_requests_per_lane": o.WarmupPerLn, "system_idle_gap_cap_seconds": o.SysIdleCap, "cache_bust": o.CacheBust,
		"use_server_token_count": o.ServerTokens, "apply_chat_template": o.ApplyTmpl, "extra_inputs": o.ExtraInputs,
		"streaming": true,
	}
	if o.Tokenizer != nil {
		m["tokenizer"] = *o.Tokenizer
	}
	if o.TraceIdleCap != nil {
		m["trace_idle_gap_cap_seconds"] = *o.TraceIdleCap
	}
	if o.MaxContext != nil {
		m["max_context_length"] = *o.MaxContext
	}
	if o.Scenario != nil {
		m["scenario"] = *o.Scenario
	}
	return m
}

// loadgenBlock is what loadgen measures beyond AIPerf's fields.
func loadgenBlock(st *Stats, c *collector, cpu time.Duration, sent int, broken []string, ds *Dataset, s *promscrape.Scraper) map[string]any {
	m := map[string]any{
		"simulated":                   st.Simulated,
		"client_cpu_seconds":          cpu.Seconds(),
		"requests_sent":               sent,
		"warmup_requests":             st.WarmupSent,
		"warmup_failed":               st.WarmupFailed,
		"warmup_cut_short":            st.WarmupCut,
		"warmup_seconds":              st.ProfileStart.Sub(st.Start).Seconds(),
		"cancelled_requests":          st.Canceled,
		"context_overflows":           st.Overflowed,
		"sessions_ended":              st.SessionsEnded,
		"trees_started":               st.TreesStarted,
		"trees_finished":              st.TreesFinished,
		"dropped_subagents":           st.DroppedSubagents,
		"skipped_subagents":           st.SkippedByStart,
		"trace_idle_cap_jumps":        st.TraceCapJumps,
		"trace_idle_cap_skipped":      st.TraceCapSkipped.Seconds(),
		"system_idle_cap_jumps":       st.SystemCapJumps,
		"system_idle_cap_skipped":     st.SystemCapSkipped.Seconds(),
		"prompts_short":               c.short,
		"prompts_reset":               c.resets,
		"server_prompt_tokens_differ": c.serverMismatch,
		"usage_missing":               c.usageMissing,
		"traces":                      map[string]any{"loaded": ds.Loaded, "too_long": ds.TooLong, "capped": ds.Capped, "used": len(ds.Traces)},
	}
	if sent > 0 {
		m["client_cpu_ms_per_request"] = cpu.Seconds() * 1000 / float64(sent)
	}
	if len(c.lags) > 0 {
		// From the scheduled time to the send, and the part of it before
		// the scheduler took the request up (its timer firing late).
		s, f := metrics.Sorted(c.lags), metrics.Sorted(c.fired)
		m["schedule_lag_ms"] = map[string]any{"p50": metrics.Percentile(s, 50), "p90": metrics.Percentile(s, 90),
			"p99": metrics.Percentile(s, 99), "max": s[len(s)-1], "timer_p99": metrics.Percentile(f, 99)}
	}
	if c.verified > 0 {
		m["prompt_token_check"] = map[string]any{"checked": c.verified, "mismatched": c.mismatched, "first_mismatch": c.firstMismatch}
	}
	if len(broken) > 0 {
		m["scenario_rules_broken"] = broken
	}
	if st.Stopped != nil {
		m["stopped"] = st.Stopped.Error()
	}
	if s != nil {
		failed, total := s.Failures()
		m["server_metrics"] = map[string]any{"scrapes": total, "failed": failed, "errors": s.Errors()}
	}
	return m
}

func metricAvg(agg *aiperf.Aggregate, tag string) float64 {
	if m, ok := agg.Metrics[tag]; ok && m.Avg != nil {
		return *m.Avg
	}
	return 0
}

func metricP(agg *aiperf.Aggregate, tag string, p int) float64 {
	m, ok := agg.Metrics[tag]
	if !ok {
		return 0
	}
	var v *float64
	switch p {
	case 50:
		v = m.P50
	case 90:
		v = m.P90
	case 99:
		v = m.P99
	}
	if v == nil {
		return 0
	}
	return *v
}

// summary prints the run's outcome on standard output.
func summary(w io.Writer, o *Options, st *Stats, c *collector, agg *aiperf.Aggregate, cpu time.Duration, sent int, s *promscrape.Scraper) {
	fmt.Fprintln(w, "============ Trace Replay Result ============")
	if st.Simulated {
		fmt.Fprintln(w, "SIMULATED SERVER: these numbers measure nothing real")
	}
	row := func(k string, v any) { fmt.Fprintf(w, "%-42s %v\n", k+":", v) }
	row("Lanes (concurrency)", o.Concurrency)
	row("Warmup requests (failed)", fmt.Sprintf("%d (%d)", st.WarmupSent, st.WarmupFailed))
	row("Profiled requests completed", st.Completed)
	row("Profiled requests failed", st.Failed)
	row("Context overflows (sessions ended)", st.Overflowed)
	row("Cancelled at the end", st.Canceled)
	row("Session trees started / finished", fmt.Sprintf("%d / %d", st.TreesStarted, st.TreesFinished))
	row("Profiling duration (s)", fmt.Sprintf("%.2f", st.ProfileEnd.Sub(st.ProfileStart).Seconds()))
	row("Request throughput (req/s)", fmt.Sprintf("%.3f", metricAvg(agg, "request_throughput")))
	row("Output token throughput (tok/s)", fmt.Sprintf("%.2f", metricAvg(agg, "output_token_throughput")))
	row("Total token throughput (tok/s)", fmt.Sprintf("%.2f", metricAvg(agg, "total_token_throughput")))
	for _, m := range []struct{ name, tag string }{{"TTFT (ms)", "time_to_first_token"}, {"ITL (ms)", "inter_token_latency"},
		{"Request latency (ms)", "request_latency"}} {
		row(m.name+" mean / p50 / p99", fmt.Sprintf("%.2f / %.2f / %.2f", metricAvg(agg, m.tag), metricP(agg, m.tag, 50), metricP(agg, m.tag, 99)))
	}
	row("Input tokens mean", fmt.Sprintf("%.0f", metricAvg(agg, "input_sequence_length")))
	row("Theoretical prefix cache hit (%)", fmt.Sprintf("%.2f", metricAvg(agg, "theoretical_prefix_cache_hit")))
	if len(c.lags) > 0 {
		row("Schedule lag p50 / p99 (ms)", fmt.Sprintf("%.3f / %.3f", metricAvg(agg, "replay_sched_lag_p50"), metricAvg(agg, "replay_sched_lag_p99")))
	}
	if sent > 0 {
		row("Client CPU per request (ms)", fmt.Sprintf("%.3f", cpu.Seconds()*1000/float64(sent)))
	}
	row("Idle-cap jumps trace / system", fmt.Sprintf("%d / %d", st.TraceCapJumps, st.SystemCapJumps))
	if s != nil {
		failed, total := s.Failures()
		row("Server metrics scrapes (failed)", fmt.Sprintf("%d (%d)", total, failed))
		for _, e := range s.Errors() {
			fmt.Fprintf(w, "  scrape failures: %s\n", e)
		}
	}
	for _, e := range agg.ErrorSummary {
		fmt.Fprintf(w, "  %d × %s: %s\n", e.Count, e.ErrorDetails.Type, firstLine(e.ErrorDetails.Message))
	}
	if agg.Metadata.SubmissionValid != nil {
		row("Submission valid", strconv.FormatBool(*agg.Metadata.SubmissionValid)+" "+strings.Join(agg.Metadata.SubmissionInvalidReasons, ","))
	}
	row("Artifacts", o.ArtifactDir)
	fmt.Fprintln(w, "==============================================")
}

func workflowSummary(gh *ghaction.Action, o *Options, st *Stats, agg *aiperf.Aggregate) {
	var b strings.Builder
	fmt.Fprintf(&b, "### loadgen replay: %s, %d lanes\n\n", o.Models[0], o.Concurrency)
	if st.Simulated {
		b.WriteString("**Simulated server: these numbers measure nothing real.**\n\n")
	}
	b.WriteString("| completed | failed | overflows | total tok/s | p50 TTFT (ms) | p50 ITL (ms) |\n|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %.1f | %.1f | %.2f |\n", st.Completed, st.Failed, st.Overflowed,
		metricAvg(agg, "total_token_throughput"), metricP(agg, "time_to_first_token", 50), metricP(agg, "inter_token_latency", 50))
	_ = gh.AddStepSummary(b.String())
	for _, e := range agg.ErrorSummary {
		_ = gh.Warning(diag.Diagnostic{Message: fmt.Sprintf("loadgen replay: %d requests failed (%s): %s", e.Count, e.ErrorDetails.Type, firstLine(e.ErrorDetails.Message))})
	}
}
