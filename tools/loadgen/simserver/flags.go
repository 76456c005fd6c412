package simserver

import (
	"time"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
)

// Options are the sim-server command line: a Config in the units people
// type (milliseconds, seconds) plus where to listen.
type Options struct {
	Host              string
	Port              int
	Model             string
	MaxModelLen       int
	PrefillMsPerToken float64
	DecodeStepMs      float64
	DecodeMsPerSeq    float64
	MaxBatch          int
	MaxPrefillTokens  int
	TokensPerChunk    int
	EOSProbability    float64
	ErrorRate         float64
	DropRate          float64
	StallRate         float64
	StallSeconds      float64
	MalformedRate     float64
	NoUsage           bool
	PreciseSteps      bool
	Seed              int
	BlockSize         int
	KVCacheTokens     int
	KVOffloadTokens   int
	OffloadMsPerToken float64
	KVBytesPerToken   int
	Tokenizer         *string // counts prompt tokens; nil estimates bytes/4
}

// DefaultOptions mirror Defaults.
func DefaultOptions() Options {
	d := Defaults()
	return Options{
		Host: "127.0.0.1", Port: 0, Model: d.Model, MaxModelLen: d.MaxModelLen,
		PrefillMsPerToken: ms(d.PrefillPerToken), DecodeStepMs: ms(d.DecodeStep), DecodeMsPerSeq: ms(d.DecodePerSeq),
		MaxBatch: d.MaxBatch, MaxPrefillTokens: d.MaxPrefillTokens, TokensPerChunk: d.TokensPerChunk,
		EOSProbability: d.EOSProbability, BlockSize: d.BlockSize, OffloadMsPerToken: ms(d.OffloadPerToken),
		KVBytesPerToken: d.KVBytesPerToken,
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fromMs(x float64) time.Duration { return time.Duration(x * float64(time.Millisecond)) }

// Config converts the options; Validate then checks it.
func (o Options) Config() Config {
	return Config{
		Model: o.Model, MaxModelLen: o.MaxModelLen,
		PrefillPerToken: fromMs(o.PrefillMsPerToken), DecodeStep: fromMs(o.DecodeStepMs), DecodePerSeq: fromMs(o.DecodeMsPerSeq),
		MaxBatch: o.MaxBatch, MaxPrefillTokens: o.MaxPrefillTokens, TokensPerChunk: o.TokensPerChunk,
		EOSProbability: o.EOSProbability, ErrorRate: o.ErrorRate, DropRate: o.DropRate, StallRate: o.StallRate,
		StallFor: time.Duration(o.StallSeconds * float64(time.Second)), MalformedRate: o.MalformedRate, NoUsage: o.NoUsage,
		PreciseSteps: o.PreciseSteps, Seed: uint64(o.Seed),
		BlockSize: o.BlockSize, KVCacheTokens: o.KVCacheTokens, KVOffloadTokens: o.KVOffloadTokens,
		OffloadPerToken: fromMs(o.OffloadMsPerToken), KVBytesPerToken: o.KVBytesPerToken,
	}
}

// Parser declares the sim-server flags.
func Parser(prog string, o *Options) *cliargs.Parser {
	p := cliargs.New(prog, "Run the simulated OpenAI-compatible inference server (for tests and demos; its numbers measure nothing real). "+
		"It prints the base URL it listens on as the first line of standard output.")
	p.String(&o.Host, "--host", "address to listen on", cliargs.DefaultHelp("127.0.0.1"))
	p.Int(&o.Port, "--port", "port to listen on; 0 picks a free one", cliargs.DefaultHelp("0"))
	p.String(&o.Model, "--model", "served model name", cliargs.DefaultHelp("simulated-model"))
	p.Int(&o.MaxModelLen, "--max-model-len", "context length: prompt + max_tokens must fit", cliargs.DefaultHelp("131072"))
	p.Float(&o.PrefillMsPerToken, "--prefill-ms-per-token", "step time per prompt token prefilled", cliargs.DefaultHelp("0.02"))
	p.Float(&o.DecodeStepMs, "--decode-step-ms", "base time of one engine step", cliargs.DefaultHelp("20"))
	p.Float(&o.DecodeMsPerSeq, "--decode-ms-per-seq", "step time added per running request", cliargs.DefaultHelp("0.05"))
	p.Int(&o.MaxBatch, "--max-batch", "requests running at once; more wait in a queue", cliargs.DefaultHelp("256"))
	p.Int(&o.MaxPrefillTokens, "--max-prefill-tokens", "prompt tokens prefilled per step (chunked prefill)", cliargs.DefaultHelp("8192"))
	p.Int(&o.TokensPerChunk, "--tokens-per-chunk", "tokens per decode step, sent as one chunk (as speculative decoding does)", cliargs.DefaultHelp("1"))
	p.Float(&o.EOSProbability, "--eos-probability", "chance per token that a request without ignore_eos stops", cliargs.DefaultHelp("0.001"))
	p.Float(&o.ErrorRate, "--error-rate", "fraction of requests answered HTTP 500", cliargs.DefaultHelp("0"))
	p.Float(&o.DropRate, "--drop-rate", "fraction of streams whose connection is cut mid-stream", cliargs.DefaultHelp("0"))
	p.Float(&o.StallRate, "--stall-rate", "fraction of streams that go silent mid-stream", cliargs.DefaultHelp("0"))
	p.Float(&o.StallSeconds, "--stall-seconds", "how long a stall lasts; 0 until the client gives up", cliargs.DefaultHelp("0"))
	p.Float(&o.MalformedRate, "--malformed-rate", "fraction of streams with one chunk that is not JSON", cliargs.DefaultHelp("0"))
	p.Bool(&o.NoUsage, "--no-usage", "never send the usage chunk")
	p.Bool(&o.PreciseSteps, "--precise-steps", "end steps on time to well under a millisecond (spins 1.5 ms of CPU per step)")
	p.Int(&o.Seed, "--seed", "seed of fault choices and early stops", cliargs.DefaultHelp("0"))
	p.Int(&o.BlockSize, "--block-size", "tokens per prefix-cache block", cliargs.DefaultHelp("16"))
	p.Int(&o.KVCacheTokens, "--kv-cache-tokens", "GPU KV capacity in tokens for prefix caching; 0 turns prefix caching off", cliargs.DefaultHelp("0"))
	p.Int(&o.KVOffloadTokens, "--kv-offload-tokens", "CPU offload tier capacity in tokens (needs --kv-cache-tokens); 0: none", cliargs.DefaultHelp("0"))
	p.Float(&o.OffloadMsPerToken, "--kv-offload-ms-per-token", "time to copy one token's KV from the CPU tier back, paid instead of its prefill", cliargs.DefaultHelp("0.002"))
	p.Int(&o.KVBytesPerToken, "--kv-bytes-per-token", "KV bytes per token, for the offload byte counters of /metrics", cliargs.DefaultHelp("131072"))
	p.OptString(&o.Tokenizer, "--tokenizer", "tokenizer (path or model id) to count prompt tokens with (default: ceil(bytes/4))")
	return p
}
