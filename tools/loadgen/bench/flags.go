// Package bench is loadgen's benchmark command: it takes the command line
// of vLLM's benchmark_serving.py (as benchmarks/benchmark_lib.sh calls it),
// prepares the prompts, warms the server up, runs the load, prints the
// original's summary block and writes the result file.
package bench

import (
	"math"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/tools/loadgen/backend"
)

// Options are the command-line settings. Pointer fields are flags whose
// absence the original told apart (None).
type Options struct {
	Backend         string
	BaseURL         *string
	Host            string
	Port            int
	Endpoint        string
	DatasetName     string
	DatasetPath     *string
	MaxConcurrency  *int
	Model           string
	Tokenizer       *string
	BestOf          int
	UseBeamSearch   bool
	NumPrompts      int
	Logprobs        *int
	RequestRate     float64
	Burstiness      float64
	Seed            int
	TrustRemoteCode bool
	DisableTqdm     bool
	Profile         bool
	SaveResult      bool
	SaveDetailed    bool
	Metadata        []string
	ResultDir       *string
	ResultFilename  *string
	IgnoreEOS       bool

	PercentileMetrics string
	MetricPercentiles string
	Goodput           []string

	SonnetInputLen, SonnetOutputLen, SonnetPrefixLen int
	SharegptOutputLen                                *int

	RandomInputLen   int
	RandomOutputLen  int
	RandomRangeRatio float64
	RandomPrefixLen  int
	RandomNumWorkers int
	UseChatTemplate  bool
	DSV4             bool

	HFSubset, HFSplit *string
	HFOutputLen       *int

	TokenizerMode   string
	ServedModelName *string
	LoRAModules     []string
	NumWarmups      int

	// loadgen's own.
	RequestTimeout       float64 // seconds; 0 disables
	StreamStallTimeout   float64 // seconds; 0 disables
	ServerPID            *int
	MaxFailureRate       float64
	ContinuousUsageStats bool
}

// Defaults are the original's defaults, and loadgen's for its own flags.
func Defaults() Options {
	return Options{
		Backend: "vllm", Host: "127.0.0.1", Port: 8000, Endpoint: "/v1/completions", DatasetName: "sharegpt",
		BestOf: 1, NumPrompts: 1000, RequestRate: math.Inf(1), Burstiness: 1, Seed: 0,
		PercentileMetrics: "ttft,tpot,itl,e2el", MetricPercentiles: "90,99,99.9",
		SonnetInputLen: 550, SonnetOutputLen: 150, SonnetPrefixLen: 200,
		RandomInputLen: 1024, RandomOutputLen: 128, RandomRangeRatio: 1.0, RandomPrefixLen: 0,
		TokenizerMode: "auto", NumWarmups: 0,
		RequestTimeout: 3600, StreamStallTimeout: 300, MaxFailureRate: 0.05,
	}
}

// DatasetNames are the --dataset-name values: the original's random
// dataset, and prompts prepared in a file.
var DatasetNames = []string{"random", "jsonl"}

// Parser declares every flag of the original (including those of the
// datasets it no longer generates, which are accepted and unused) and
// loadgen's own, writing into o.
func Parser(prog string, o *Options) *cliargs.Parser {
	p := cliargs.New(prog, "Benchmark the online serving throughput of an OpenAI-compatible server (flags of vLLM's benchmark_serving.py).")
	p.Epilog = "Subcommands (each has --help): loadgen sim-server starts the simulated server; loadgen tokenize and\n" +
		"loadgen dataset expose the tokenizer and the random dataset (loadgen dataset --out writes a file for --dataset-name jsonl);\n" +
		"loadgen replay replays agentic traces (the AgentX benchmark); loadgen traces synth|check makes and checks them."
	p.String(&o.Backend, "--backend", "API to drive", cliargs.Choices(backend.Names()...), cliargs.DefaultHelp("vllm"))
	p.OptString(&o.BaseURL, "--base-url", "server or API base URL, instead of --host and --port")
	p.String(&o.Host, "--host", "server host", cliargs.DefaultHelp("127.0.0.1"))
	p.Int(&o.Port, "--port", "server port", cliargs.DefaultHelp("8000"))
	p.String(&o.Endpoint, "--endpoint", "API endpoint", cliargs.DefaultHelp("/v1/completions"))
	p.String(&o.DatasetName, "--dataset-name", "where prompts come from: random (generated with the tokenizer) or jsonl (a file of prepared prompts, see --dataset-path)",
		cliargs.Choices(DatasetNames...))
	p.OptString(&o.DatasetPath, "--dataset-path", "prompt file for --dataset-name jsonl")
	p.OptInt(&o.MaxConcurrency, "--max-concurrency", "most requests in flight at once (default: no limit)")
	p.String(&o.Model, "--model", "model name (sent as the model unless --served-model-name is given)", cliargs.Required())
	p.OptString(&o.Tokenizer, "--tokenizer", "tokenizer name or path, if not the model's")
	p.Int(&o.BestOf, "--best-of", "best_of sent with completions requests", cliargs.DefaultHelp("1"))
	p.Bool(&o.UseBeamSearch, "--use-beam-search", "accepted for compatibility; has no effect (as in the original)")
	p.Int(&o.NumPrompts, "--num-prompts", "number of prompts to send", cliargs.DefaultHelp("1000"))
	p.OptInt(&o.Logprobs, "--logprobs", "logprobs per token to ask for (default: null)")
	p.Float(&o.RequestRate, "--request-rate", "requests per second, or inf to send all at once", cliargs.DefaultHelp("inf"))
	p.Float(&o.Burstiness, "--burstiness", "gamma shape of the arrival intervals; 1 is a Poisson process", cliargs.DefaultHelp("1.0"))
	p.Int(&o.Seed, "--seed", "random seed", cliargs.DefaultHelp("0"))
	p.Bool(&o.TrustRemoteCode, "--trust-remote-code", "accepted for compatibility; loadgen runs no tokenizer code")
	p.Bool(&o.DisableTqdm, "--disable-tqdm", "no progress bar or progress lines")
	p.Bool(&o.Profile, "--profile", "call the server's /start_profile and /stop_profile around the run")
	p.Bool(&o.SaveResult, "--save-result", "write the result JSON file")
	p.Bool(&o.SaveDetailed, "--save-detailed", "also save the per-request arrays ttfts, itls, generated_texts and errors (input_lens and output_lens are always saved)")
	p.StringsZeroOrMore(&o.Metadata, "--metadata", "KEY=VALUE pairs saved in the result", cliargs.Metavar("KEY=VALUE"))
	p.OptString(&o.ResultDir, "--result-dir", "directory for the result file (default: the current directory)")
	p.OptString(&o.ResultFilename, "--result-filename", "result file name (default: {backend}-{rate}qps[-concurrency{N}]-{model}-{date}.json)")
	p.Bool(&o.IgnoreEOS, "--ignore-eos", "send ignore_eos so that every request generates its full output length")
	p.String(&o.PercentileMetrics, "--percentile-metrics", "comma-separated metrics to report percentiles of: ttft, tpot, itl, e2el",
		cliargs.DefaultHelp("ttft,tpot,itl,e2el"))
	p.String(&o.MetricPercentiles, "--metric-percentiles", "comma-separated percentiles to report", cliargs.DefaultHelp("90,99,99.9"))
	p.Strings(&o.Goodput, "--goodput", "service level objectives KEY:MS (ttft, tpot, e2el) for request goodput", cliargs.Metavar("KEY:VALUE"))

	p.Int(&o.SonnetInputLen, "--sonnet-input-len", "accepted for compatibility (the sonnet dataset is not generated)")
	p.Int(&o.SonnetOutputLen, "--sonnet-output-len", "accepted for compatibility (the sonnet dataset is not generated)")
	p.Int(&o.SonnetPrefixLen, "--sonnet-prefix-len", "accepted for compatibility (the sonnet dataset is not generated)")
	p.OptInt(&o.SharegptOutputLen, "--sharegpt-output-len", "accepted for compatibility (the sharegpt dataset is not generated)")

	p.Int(&o.RandomInputLen, "--random-input-len", "input tokens per request (random dataset)", cliargs.DefaultHelp("1024"))
	p.Int(&o.RandomOutputLen, "--random-output-len", "output tokens per request (random dataset)", cliargs.DefaultHelp("128"))
	p.Float(&o.RandomRangeRatio, "--random-range-ratio", "lengths are uniform in [len × ratio, len] (random dataset)", cliargs.DefaultHelp("1.0"))
	p.Int(&o.RandomPrefixLen, "--random-prefix-len", "fixed prefix tokens before the random part (random dataset)", cliargs.DefaultHelp("0"))
	p.Int(&o.RandomNumWorkers, "--random-num-workers",
		"number of chunks the random dataset's padding draws are split into, as upstream's worker processes split them: the prompts depend on it; 0 (or less): min(CPUs, 8), as upstream; 1: one stream (random dataset)",
		cliargs.DefaultHelp("0"))
	p.Bool(&o.UseChatTemplate, "--use-chat-template", "wrap prompts in the model's chat template (random dataset)")
	p.Bool(&o.DSV4, "--dsv4", "wrap prompts in DeepSeek-V4's chat format (thinking mode) instead of the tokenizer's template; needs --use-chat-template (random dataset)")

	p.OptString(&o.HFSubset, "--hf-subset", "accepted for compatibility (HF datasets are not loaded)")
	p.OptString(&o.HFSplit, "--hf-split", "accepted for compatibility (HF datasets are not loaded)")
	p.OptInt(&o.HFOutputLen, "--hf-output-len", "accepted for compatibility (HF datasets are not loaded)")

	p.String(&o.TokenizerMode, "--tokenizer-mode", "tokenizer mode; loadgen has one exact tokenizer, so auto, slow and deepseek_v4 mean the same",
		cliargs.Choices("auto", "slow", "mistral", "custom", "deepseek_v4"), cliargs.DefaultHelp("auto"))
	p.OptString(&o.ServedModelName, "--served-model-name", "model name the server knows, if not --model")
	p.Strings(&o.LoRAModules, "--lora-modules", "LoRA adapter names; each request names one at random")
	p.Int(&o.NumWarmups, "--num-warmups", "warmup requests before the measured run (not counted)", cliargs.DefaultHelp("0"))

	p.Float(&o.RequestTimeout, "--request-timeout", "seconds a request may take in all; 0 for no limit", cliargs.DefaultHelp("3600"))
	p.Float(&o.StreamStallTimeout, "--stream-stall-timeout", "seconds a stream may go silent after its first token; 0 for no limit",
		cliargs.DefaultHelp("300"))
	p.OptInt(&o.ServerPID, "--server-pid", "stop, save what was measured and exit 1 if this process exits")
	p.Float(&o.MaxFailureRate, "--max-failure-rate", "exit 1 when more than this fraction of requests fail", cliargs.DefaultHelp("0.05"))
	p.Bool(&o.ContinuousUsageStats, "--continuous-usage-stats", "ask the server for token counts in every chunk (stream_options.continuous_usage_stats), for token-level ITL")
	return p
}
