// Package tracecli is `loadgen traces`: it synthesizes Weka-format traces
// of a chosen shape (synth) and checks trace files (check), for tests, the
// demo and people who cannot download the published corpora.
package tracecli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/weka"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Main runs `loadgen traces SUBCOMMAND`.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, v *schemas.Validator) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "usage: loadgen traces synth|check [flags] (each has --help)")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch args[0] {
	case "synth":
		return synth(args[1:], stdout, stderr, v)
	case "check":
		return check(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "loadgen traces: unknown subcommand %q (expected synth or check)\n", args[0])
	return exitUsage
}

func usage(err error, stderr io.Writer) int {
	if errors.Is(err, cliargs.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, err)
	return exitUsage
}

func synth(args []string, stdout, stderr io.Writer, v *schemas.Validator) int {
	o := weka.DefaultSynthOptions()
	seed := 0
	out := "-"
	p := cliargs.New("loadgen traces synth", "Write synthesized agentic traces in the Weka format, one per line (JSONL): "+
		"growing contexts that share their prefix turn over turn, think times, compactions and subagents (some in the "+
		"background), all drawn from the seed.")
	p.String(&out, "--output,-o", "file to write, or - for standard output", cliargs.DefaultHelp("-"))
	p.Int(&o.Traces, "--traces", "number of traces", cliargs.DefaultHelp("16"))
	p.Int(&seed, "--seed", "random seed", cliargs.DefaultHelp("0"))
	p.Int(&o.MinTurns, "--min-turns", "fewest top-level requests of a trace", cliargs.DefaultHelp("4"))
	p.Int(&o.MaxTurns, "--max-turns", "most top-level requests of a trace", cliargs.DefaultHelp("24"))
	p.Int(&o.BlockSize, "--block-size", "tokens per KV-cache block (hash id)", cliargs.DefaultHelp("64"))
	p.Int(&o.SharedPrefix, "--shared-prefix", "tokens of system and tool prefix every agent of a trace starts with", cliargs.DefaultHelp("4096"))
	p.Int(&o.FirstInput, "--first-input", "mean prompt tokens of a trace's first request", cliargs.DefaultHelp("12000"))
	p.Int(&o.TurnInput, "--turn-input", "mean new input tokens per later turn", cliargs.DefaultHelp("1500"))
	p.Int(&o.Output, "--output-tokens", "mean output tokens per request", cliargs.DefaultHelp("400"))
	p.Int(&o.MaxContext, "--max-context", "a context that would grow past this many tokens is compacted", cliargs.DefaultHelp("128000"))
	p.Float(&o.ThinkTime, "--think-time", "mean seconds a client waits before a turn (exponential)", cliargs.DefaultHelp("2"))
	p.Float(&o.SubagentRate, "--subagent-rate", "chance that a turn spawns subagents", cliargs.DefaultHelp("0.15"))
	p.Float(&o.BackgroundRate, "--background-rate", "chance that a subagent runs in the background", cliargs.DefaultHelp("0.2"))
	p.Int(&o.MinSubagentTurns, "--min-subagent-turns", "fewest requests of a subagent", cliargs.DefaultHelp("2"))
	p.Int(&o.MaxSubagentTurns, "--max-subagent-turns", "most requests of a subagent", cliargs.DefaultHelp("6"))
	p.String(&o.Model, "--model", "recorded model name of the main agent", cliargs.DefaultHelp(o.Model))
	p.String(&o.SubagentModel, "--subagent-model", "recorded model name of subagents", cliargs.DefaultHelp(o.SubagentModel))
	if err := p.Parse(args, stdout); err != nil {
		return usage(err, stderr)
	}
	if seed < 0 {
		fmt.Fprintf(stderr, "loadgen traces synth: error: argument --seed: must not be negative, got %d\n", seed)
		return exitUsage
	}
	o.Seed = uint64(seed)
	traces, err := weka.Synthesize(o)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen traces synth: error: %v\n", err)
		return exitUsage
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for i, t := range traces {
			line, err := t.MarshalJSON()
			if err != nil {
				return err
			}
			if err := v.ValidateJSON(schemas.WekaTrace, line); err != nil {
				return fmt.Errorf("trace %d: %w", i, err)
			}
			bw.Write(line)
			bw.WriteByte('\n')
		}
		return bw.Flush()
	}
	if out == "-" {
		err = write(stdout)
	} else {
		err = atomicfile.WriteFunc(out, 0o644, write)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen traces synth: %v\n", err)
		return exitFailure
	}
	if out != "-" {
		fmt.Fprintf(stderr, "loadgen traces synth: wrote %d traces to %s\n", len(traces), out)
	}
	return exitOK
}

func check(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var path string
	p := cliargs.New("loadgen traces check", "Read Weka traces (a .jsonl file, a .json file or a directory) as loadgen replay "+
		"does, and print what they hold; a trace that is not valid is an error naming its line and field.")
	p.Positional(&path, "PATH", "trace file or directory")
	if err := p.Parse(args, stdout); err != nil {
		return usage(err, stderr)
	}
	traces, err := weka.Load(ctx, path)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen traces check: error: %v\n", err)
		var pe *weka.ParseError
		if errors.As(err, &pe) || errors.Is(err, weka.ErrNoTraces) {
			return exitUsage
		}
		if _, statErr := os.Stat(path); statErr != nil {
			return exitUsage
		}
		return exitFailure
	}
	s := Summarize(traces)
	fmt.Fprintf(stdout, "traces:               %d\n", s.Traces)
	fmt.Fprintf(stdout, "top-level requests:   %d\n", s.RootRequests)
	fmt.Fprintf(stdout, "subagents:            %d (%d in the background)\n", s.Subagents, s.Background)
	fmt.Fprintf(stdout, "subagent requests:    %d\n", s.SubagentRequests)
	fmt.Fprintf(stdout, "input tokens:         %d\n", s.InputTokens)
	fmt.Fprintf(stdout, "output tokens:        %d\n", s.OutputTokens)
	fmt.Fprintf(stdout, "largest in+out:       %d\n", s.MaxContext)
	fmt.Fprintf(stdout, "block sizes:          %v\n", s.BlockSizes)
	return exitOK
}

// Stats describe a corpus.
type Stats struct {
	Traces, RootRequests, Subagents, Background, SubagentRequests int
	InputTokens, OutputTokens                                     int64
	MaxContext                                                    int
	BlockSizes                                                    []int
}

// Summarize counts what traces hold.
func Summarize(traces []*weka.Trace) Stats {
	s := Stats{Traces: len(traces)}
	sizes := map[int]bool{}
	var walk func([]weka.Entry, bool)
	walk = func(es []weka.Entry, inSub bool) {
		for _, e := range es {
			if r := e.Request; r != nil {
				if inSub {
					s.SubagentRequests++
				} else {
					s.RootRequests++
				}
				s.InputTokens += int64(r.In)
				s.OutputTokens += int64(r.Out)
				continue
			}
			s.Subagents++
			if e.Subagent.Background() {
				s.Background++
			}
			walk(e.Subagent.Requests, true)
		}
	}
	for _, t := range traces {
		walk(t.Requests, false)
		s.MaxContext = max(s.MaxContext, t.MaxContext())
		if !sizes[t.BlockSize] {
			sizes[t.BlockSize] = true
			s.BlockSizes = append(s.BlockSizes, t.BlockSize)
		}
	}
	return s
}
