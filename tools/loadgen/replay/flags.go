package replay

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
)

// Options are the command line of loadgen replay. The names are AIPerf's
// (`aiperf profile --scenario inferencex-agentx-mvp`, as upstream's
// benchmarks/benchmark_lib.sh build_replay_cmd passes them), so that a
// script written for it runs this unchanged where the flag makes sense.
type Options struct {
	URL          string
	Endpoint     string
	EndpointType string
	Streaming    bool
	Models       []string
	Tokenizer    *string
	TrustRemote  bool
	Concurrency  int
	Duration     float64
	GracePeriod  float64
	StatsEvery   float64
	Seed         int
	FailThresh   *float64
	StartMin     float64
	StartMax     float64
	WarmupPerLn  int
	WarmupGrace  *float64
	TraceIdleCap *float64
	SysIdleCap   float64
	ServerTokens bool
	ExtraInputs  []string
	NoGPUTelem   bool
	MaxContext   *int
	NumEntries   *int
	SliceDur     *float64
	MetricsURLs  []string
	NoMetrics    bool
	MetricsEvery float64
	ArtifactDir  string
	Unsafe       bool
	Scenario     *string
	Public       *string
	HFDataset    *string
	InputFile    *string
	CustomType   *string
	CacheBust    string
	ApplyTmpl    bool
	ChatTemplate *string
	LegacyMaxTok bool
	ReqTimeout   float64
	BenchmarkID  *string
	APIKey       *string
	VerifyTokens bool
	DynamoRoute  bool
	DynamoTTL    *float64
}

// Defaults are AIPerf's defaults, and loadgen's for its own flags.
func Defaults() Options {
	return Options{
		URL: "http://localhost:8000", Endpoint: "/v1/chat/completions", EndpointType: "chat", Duration: 1800, GracePeriod: 30,
		StatsEvery: 30, StartMin: 0.25, StartMax: 0.75, SysIdleCap: 10, MetricsEvery: 1, ArtifactDir: "artifacts",
		CacheBust: CacheBustFirstTurn, ReqTimeout: 21600,
	}
}

// Cache-bust targets.
const (
	CacheBustFirstTurn = "first_turn_prefix"
	CacheBustNone      = "none"
)

// ScenarioAgentX is the one scenario loadgen replays.
const ScenarioAgentX = "inferencex-agentx-mvp"

func optFloat(dst **float64) func(string) error {
	return func(s string) error {
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("invalid float value: '%s'", s)
		}
		*dst = &x
		return nil
	}
}

// Parser declares the flags.
func Parser(prog string, o *Options) *cliargs.Parser {
	p := cliargs.New(prog, "Replay agentic-coding traces (the Weka format) against an OpenAI-compatible chat server, as upstream's "+
		"AgentX benchmark does with AIPerf: --concurrency lanes each replay whole session trees with their growing chat history, "+
		"subagents and think times, after a warmup at a sampled point of each trace; writes AIPerf's artifacts "+
		"(profile_export.jsonl, profile_export_aiperf.json, server_metrics_export.json) to --output-artifact-dir.")
	p.String(&o.URL, "--url,-u", "server base URL (http:// is assumed when no scheme is given)", cliargs.DefaultHelp("http://localhost:8000"))
	p.String(&o.Endpoint, "--endpoint", "chat completions path on the server", cliargs.DefaultHelp("/v1/chat/completions"))
	p.String(&o.EndpointType, "--endpoint-type", "API type; only chat is replayed", cliargs.Choices("chat"), cliargs.DefaultHelp("chat"))
	p.Bool(&o.Streaming, "--streaming", "accepted for AIPerf's command line: requests always stream")
	p.Strings(&o.Models, "--model,-m", "model name(s) sent: a trace's main model maps to the first, its other models to the next ones in order",
		cliargs.Required())
	p.OptString(&o.Tokenizer, "--tokenizer", "tokenizer name or path (default: the first --model): the prompts are built with it")
	p.Bool(&o.TrustRemote, "--tokenizer-trust-remote-code", "accepted for AIPerf's command line: loadgen runs no tokenizer code")
	p.Int(&o.Concurrency, "--concurrency", "session trees replayed at once (lanes)", cliargs.Required())
	p.Float(&o.Duration, "--benchmark-duration", "seconds of profiling after the warmup; no request starts after", cliargs.DefaultHelp("1800"))
	p.Float(&o.GracePeriod, "--benchmark-grace-period", "seconds requests in flight at the end of the duration may take to finish", cliargs.DefaultHelp("30"))
	p.Float(&o.StatsEvery, "--stats-interval", "seconds between progress lines on standard error; 0 for none", cliargs.DefaultHelp("30"))
	p.Int(&o.Seed, "--random-seed", "seed of trace order and warmup start points", cliargs.DefaultHelp("0"))
	p.Func("--failed-request-threshold", "stop the run early when more than this fraction of profiled requests fail", optFloat(&o.FailThresh))
	p.Float(&o.StartMin, "--trajectory-start-min-ratio", "each lane's first trace starts at a turn drawn from this fraction of its turns…", cliargs.DefaultHelp("0.25"))
	p.Float(&o.StartMax, "--trajectory-start-max-ratio", "…to this one", cliargs.DefaultHelp("0.75"))
	p.Int(&o.WarmupPerLn, "--warmup-requests-per-lane", "one-token requests each lane sends after its warmup primer, without delays", cliargs.DefaultHelp("0"))
	p.Func("--warmup-grace-period", "seconds the warmup may take before what is in flight is cancelled (default: no limit)", optFloat(&o.WarmupGrace))
	p.Func("--trace-idle-gap-cap-seconds", "longest wait, in seconds, of a session tree with nothing in flight (default: none)", optFloat(&o.TraceIdleCap))
	p.Float(&o.SysIdleCap, "--system-idle-gap-cap-seconds", "longest wait, in seconds, with nothing in flight anywhere; 0 for none", cliargs.DefaultHelp("10"))
	p.Bool(&o.ServerTokens, "--use-server-token-count", "input and output lengths from the server's usage instead of the tokenizer")
	p.Strings(&o.ExtraInputs, "--extra-inputs", "KEY:VALUE fields added to every request body (VALUE as JSON when it parses, else a string)",
		cliargs.Metavar("KEY:VALUE"))
	p.Bool(&o.NoGPUTelem, "--no-gpu-telemetry", "accepted for AIPerf's command line: loadgen collects no GPU telemetry")
	p.OptInt(&o.MaxContext, "--max-context-length", "leave out traces with a request whose input+output exceeds this many tokens")
	p.OptInt(&o.NumEntries, "--num-dataset-entries", "use at most this many traces (default: all)")
	p.Func("--slice-duration", "seconds per timeslice of the server metrics (default: no timeslices)", optFloat(&o.SliceDur))
	p.Strings(&o.MetricsURLs, "--server-metrics", "more Prometheus endpoints to scrape besides <url>/metrics", cliargs.Metavar("URL"))
	p.Bool(&o.NoMetrics, "--no-server-metrics", "scrape no Prometheus endpoint")
	p.Float(&o.MetricsEvery, "--server-metrics-interval", "seconds between scrapes of the server metrics", cliargs.DefaultHelp("1"))
	p.String(&o.ArtifactDir, "--output-artifact-dir,--artifact-dir", "directory the artifacts are written to", cliargs.DefaultHelp("artifacts"))
	p.Bool(&o.Unsafe, "--unsafe-override", "run even when a scenario rule is broken; the result is stamped submission_valid false")
	p.OptString(&o.Scenario, "--scenario", "scenario whose rules to check", cliargs.Choices(ScenarioAgentX))
	p.OptString(&o.Public, "--public-dataset", "trace corpus by AIPerf loader name (semianalysis_cc_traces_weka_062126, …), from the Hugging Face cache or the Hub")
	p.OptString(&o.HFDataset, "--hf-weka-dataset", "trace corpus by Hugging Face dataset id (org/name), from the cache or the Hub")
	p.OptString(&o.InputFile, "--input-file", "traces from a .jsonl file (one per line), a .json file or a directory of them")
	p.OptString(&o.CustomType, "--custom-dataset-type", "format of --input-file", cliargs.Choices("weka_trace"))
	p.String(&o.CacheBust, "--cache-bust", "where each play of a trace gets its unique marker", cliargs.Choices(CacheBustFirstTurn, CacheBustNone),
		cliargs.DefaultHelp(CacheBustFirstTurn))
	p.Bool(&o.ApplyTmpl, "--apply-chat-template", "count the chat template and marker in the trace's input length (the server's prompt_tokens), not the contents alone")
	p.OptString(&o.ChatTemplate, "--chat-template", "Jinja chat template file for --apply-chat-template when the tokenizer has none")
	p.Bool(&o.LegacyMaxTok, "--use-legacy-max-tokens", "send max_tokens instead of max_completion_tokens")
	p.Float(&o.ReqTimeout, "--request-timeout-seconds", "seconds a request may take in all; 0 for no limit", cliargs.DefaultHelp("21600"))
	p.OptString(&o.BenchmarkID, "--benchmark-id", "id of the run, which seeds the cache-bust markers (default: random, so that no run finds another's cache)")
	p.OptString(&o.APIKey, "--api-key", "bearer token for the server (default: $OPENAI_API_KEY)")
	p.Bool(&o.VerifyTokens, "--verify-prompt-tokens", "tokenize every prompt for real and count those whose length differs from the trace's")
	p.Bool(&o.DynamoRoute, "--use-dynamo-conv-aware-routing", "not supported by loadgen (AIPerf's Dynamo session binding)")
	p.Func("--dynamo-session-timeout-seconds", "not supported by loadgen (goes with --use-dynamo-conv-aware-routing)", optFloat(&o.DynamoTTL))
	p.MutuallyExclusive(true, "--public-dataset", "--hf-weka-dataset", "--input-file")
	return p
}

// extraFields parses --extra-inputs KEY:VALUE pairs.
func extraFields(pairs []string) ([]extraField, error) {
	var out []extraField
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || k == "" {
			return nil, fmt.Errorf("--extra-inputs %q: expected KEY:VALUE", kv)
		}
		raw := json.RawMessage(v)
		if !json.Valid(raw) {
			q, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			raw = q
		}
		out = append(out, extraField{k, raw})
	}
	return out, nil
}

type extraField struct {
	key   string
	value json.RawMessage
}
