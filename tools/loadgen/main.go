// Command loadgen is the load generator run on GPU runners against a live
// OpenAI-compatible inference server. Its command line is that of vLLM's
// benchmark_serving.py. Subcommands: `loadgen sim-server` starts the
// simulated server used by tests and the demo, `loadgen sim-eval` the
// lm-eval stand-in the demo's eval job runs against it; `loadgen tokenize` and
// `loadgen dataset` expose the tokenizer and the random dataset to scripts;
// `loadgen replay` replays agentic traces (upstream's AgentX benchmark) and
// `loadgen traces` synthesizes and checks them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/bench"
	"github.com/inferencex/inferencex-go/tools/loadgen/progress"
	"github.com/inferencex/inferencex-go/tools/loadgen/promptcli"
	"github.com/inferencex/inferencex-go/tools/loadgen/replay"
	"github.com/inferencex/inferencex-go/tools/loadgen/simserver"
	"github.com/inferencex/inferencex-go/tools/loadgen/tracecli"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// signalContext ends on the first SIGINT or SIGTERM, with the signal as the
// cause, so that a run can save what it measured; a second signal exits at
// once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		cancel(fmt.Errorf("received %v", s))
		if _, ok := <-sigs; ok {
			fmt.Fprintln(os.Stderr, "loadgen: second signal, exiting without saving")
			os.Exit(130)
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(sigs)
		cancel(nil)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "sim-server":
			return simServer(ctx, args[1:], stdout, stderr)
		case "sim-eval":
			return simEval(ctx, args[1:], stdout, stderr)
		case "tokenize":
			return promptcli.Tokenize(ctx, args[1:], stdin, stdout, stderr)
		case "dataset":
			return promptcli.Dataset(ctx, args[1:], stdin, stdout, stderr)
		case "replay":
			return replayTraces(ctx, args[1:], stdout, stderr)
		case "traces":
			v, err := schemas.New()
			if err != nil {
				fmt.Fprintln(stderr, "loadgen traces:", err)
				return 1
			}
			return tracecli.Main(ctx, args[1:], stdout, stderr, v)
		}
	}
	return benchmark(ctx, args, stdout, stderr)
}

func usage(err error, stderr io.Writer) int {
	if errors.Is(err, cliargs.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, err)
	return 2
}

func benchmark(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := bench.Defaults()
	if err := bench.Parser("loadgen", &o).Parse(args, stdout); err != nil {
		return usage(err, stderr)
	}
	v, err := schemas.New()
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	tokenizers := bench.NewTokenizers()
	env := bench.Env{
		Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, Validator: v,
		StderrIsTTY:   progress.IsTerminal(os.Stderr),
		RandomDataset: tokenizers.RandomDataset,
		Tokenizer:     tokenizers.Counter,
	}
	return bench.Run(ctx, &o, env)
}

func replayTraces(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := replay.Defaults()
	if err := replay.Parser("loadgen replay", &o).Parse(args, stdout); err != nil {
		return usage(err, stderr)
	}
	v, err := schemas.New()
	if err != nil {
		fmt.Fprintln(stderr, "loadgen replay:", err)
		return 1
	}
	tokenizers := bench.NewTokenizers()
	return replay.Run(ctx, &o, replay.Env{
		Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, Validator: v, LoadTokenizer: tokenizers.Load, Hub: tokenizers.Hub,
	})
}

func simServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := simserver.DefaultOptions()
	if err := simserver.Parser("loadgen sim-server", &o).Parse(args, stdout); err != nil {
		return usage(err, stderr)
	}
	cfg := o.Config()
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "loadgen sim-server: error:", err)
		return 2
	}
	counting := "ceil(bytes/4) (no --tokenizer)"
	if o.Tokenizer != nil {
		tok, err := bench.NewTokenizers().Load(ctx, *o.Tokenizer)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen sim-server:", err)
			return 1
		}
		cfg.CountTokens = func(s string) (int, error) { return tok.Count(s, false) }
		counting = "with tokenizer " + *o.Tokenizer + " (no special tokens)"
	}
	s, err := simserver.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen sim-server:", err)
		return 1
	}
	defer s.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort(o.Host, fmt.Sprint(o.Port)))
	if err != nil {
		fmt.Fprintln(stderr, "loadgen sim-server:", err)
		return 1
	}
	url := "http://" + ln.Addr().String()
	// The first line of standard output is the address, for scripts.
	fmt.Fprintln(stdout, url)
	fmt.Fprintf(stderr, "loadgen sim-server: SIMULATED server for model %q listening on %s; prompt tokens are counted %s\n", cfg.Model, url, counting)
	if n := cfg.GPUKVCacheTokens(); n > 0 {
		// vLLM's start-up line, which resultproc agentic reads the KV pool size from.
		fmt.Fprintf(stderr, "loadgen sim-server: GPU KV cache size: %s tokens\n", thousands(n))
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintln(stderr, "loadgen sim-server:", err)
		return 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	fmt.Fprintln(stderr, "loadgen sim-server: stopped:", context.Cause(ctx))
	return 0
}

// thousands writes n with commas between groups of three digits, as
// Python's "{:,}" does.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
