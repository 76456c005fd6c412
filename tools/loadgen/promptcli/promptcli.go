// Package promptcli implements the loadgen subcommands that expose the
// tokenizer and the random dataset to scripts and to users debugging
// prompt lengths:
//
//	loadgen tokenize --tokenizer PATH_OR_MODEL [--add-special-tokens] [--decode]
//	loadgen dataset --tokenizer PATH_OR_MODEL [random dataset flags] [--out prompts.jsonl]
//
// loadgen's main dispatches to Tokenize and Dataset; each returns the
// process exit status (0 success, 1 runtime failure, 2 usage or input
// error) and writes logs to stderr.
package promptcli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/tools/loadgen/chattemplate"
	"github.com/inferencex/inferencex-go/tools/loadgen/dataset"
	"github.com/inferencex/inferencex-go/tools/loadgen/hfhub"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
)

// exit statuses
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// LoadTokenizer resolves nameOrPath (a local path, a cached model id, or
// one to download) and loads it.
func LoadTokenizer(ctx context.Context, nameOrPath, revision string) (*tokenizer.Tokenizer, error) {
	o := hfhub.OptionsFromEnv()
	if revision != "" {
		o.Revision = revision
	}
	path, err := hfhub.Resolve(ctx, nameOrPath, o)
	if err != nil {
		return nil, err
	}
	return tokenizer.Load(path)
}

func parse(p *cliargs.Parser, args []string, stdout, stderr io.Writer) (int, bool) {
	err := p.Parse(args, stdout)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, cliargs.ErrHelp):
		return exitOK, false
	}
	fmt.Fprintln(stderr, p.Usage())
	fmt.Fprintln(stderr, err)
	return exitUsage, false
}

// Tokenize reads one JSON string per line from stdin and writes the JSON
// array of its token ids per line to stdout; with --decode, the reverse.
func Tokenize(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var (
		name, revision  string
		addSpecial, dec bool
	)
	p := cliargs.New("loadgen tokenize", "Encode JSON strings (one per line) to token ids, or decode id arrays with --decode.")
	p.String(&name, "--tokenizer", "Tokenizer: a directory or tokenizer.json, or a Hugging Face model id.", cliargs.Required())
	p.String(&revision, "--revision", "Hub revision (branch, tag or commit) for a model id.", cliargs.DefaultHelp("main"))
	p.Bool(&addSpecial, "--add-special-tokens", "Add the special tokens of the post-processor (e.g. BOS), as transformers' encode does by default.")
	p.Bool(&dec, "--decode", "Read JSON arrays of ids and write the decoded JSON strings.")
	if code, ok := parse(p, args, stdout, stderr); !ok {
		return code
	}
	tok, err := LoadTokenizer(ctx, name, revision)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen tokenize: %v\n", err)
		return exitFailure
	}
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 1<<20), 1<<30)
	out := bufio.NewWriter(stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	line := 0
	for in.Scan() {
		line++
		text := strings.TrimSpace(in.Text())
		if text == "" {
			continue
		}
		if dec {
			var ids []int
			if err := json.Unmarshal([]byte(text), &ids); err != nil {
				out.Flush()
				fmt.Fprintf(stderr, "loadgen tokenize: stdin:%d: expected a JSON array of token ids: %v\n", line, err)
				return exitUsage
			}
			s, err := tok.Decode(ids)
			if err != nil {
				out.Flush()
				fmt.Fprintf(stderr, "loadgen tokenize: stdin:%d: %v\n", line, err)
				return exitUsage
			}
			if err := enc.Encode(s); err != nil {
				fmt.Fprintf(stderr, "loadgen tokenize: %v\n", err)
				return exitFailure
			}
			continue
		}
		var s string
		if err := json.Unmarshal([]byte(text), &s); err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "loadgen tokenize: stdin:%d: expected a JSON string: %v\n", line, err)
			return exitUsage
		}
		ids, err := tok.Encode(s, addSpecial)
		if err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "loadgen tokenize: stdin:%d: %v\n", line, err)
			return exitUsage
		}
		if ids == nil {
			ids = []int{}
		}
		if err := enc.Encode(ids); err != nil {
			fmt.Fprintf(stderr, "loadgen tokenize: %v\n", err)
			return exitFailure
		}
	}
	if err := in.Err(); err != nil {
		out.Flush()
		fmt.Fprintf(stderr, "loadgen tokenize: reading stdin: %v\n", err)
		return exitFailure
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "loadgen tokenize: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// DatasetFlags are the random dataset flags, shared with the benchmark
// command so that both parse them identically.
type DatasetFlags struct {
	Model, Tokenizer, Revision string
	DatasetName                string
	Options                    dataset.RandomOptions
	UseChatTemplate            bool
	DSV4                       bool
	RandomNumWorkers           int
	NumWarmups                 int
}

// AddDatasetFlags declares the original's random dataset flags on p.
func AddDatasetFlags(p *cliargs.Parser, f *DatasetFlags) {
	f.Options = dataset.DefaultRandomOptions()
	f.DatasetName = "random"
	p.String(&f.Tokenizer, "--tokenizer", "Name or path of the tokenizer (default: --model).")
	p.String(&f.Revision, "--tokenizer-revision", "Hub revision of the tokenizer.", cliargs.DefaultHelp("main"))
	p.String(&f.DatasetName, "--dataset-name", "Dataset to generate.", cliargs.Choices("random"), cliargs.DefaultHelp("random"))
	p.Int(&f.Options.InputLen, "--random-input-len", "Number of input tokens per request.", cliargs.DefaultHelp("1024"))
	p.Int(&f.Options.OutputLen, "--random-output-len", "Number of output tokens per request.", cliargs.DefaultHelp("128"))
	p.Float(&f.Options.RangeRatio, "--random-range-ratio", "Lengths are drawn uniformly from [len*ratio, len].", cliargs.DefaultHelp("1.0"))
	p.Int(&f.Options.PrefixLen, "--random-prefix-len", "Number of fixed random prefix tokens before each prompt.", cliargs.DefaultHelp("0"))
	p.Int(&f.Options.NumPrompts, "--num-prompts", "Number of prompts.", cliargs.DefaultHelp("1000"))
	p.Func("--seed", "Random seed (0 to 4294967295).", func(s string) error {
		var v int64
		if _, err := fmt.Sscan(strings.TrimSpace(s), &v); err != nil {
			return fmt.Errorf("invalid int value: '%s'", s)
		}
		f.Options.Seed = v
		return nil
	}, cliargs.DefaultHelp("0"))
	p.Bool(&f.UseChatTemplate, "--use-chat-template", "Wrap each prompt in the model's chat template (its tokens count toward the input length).")
	p.Bool(&f.DSV4, "--dsv4", "With --use-chat-template: DeepSeek-V4's chat format (thinking mode) instead of the tokenizer's template.")
	p.Int(&f.RandomNumWorkers, "--random-num-workers",
		"Number of chunks the padding draws are split into, as upstream's worker processes split them (the prompts depend on it); 0: min(CPUs, 8).",
		cliargs.DefaultHelp("0"))
}

// Generate loads the tokenizer and generates the dataset of f.
func (f *DatasetFlags) Generate(ctx context.Context, log io.Writer) ([]dataset.Request, dataset.Stats, error) {
	name := f.Tokenizer
	if name == "" {
		name = f.Model
	}
	if name == "" {
		return nil, dataset.Stats{}, errors.New("no tokenizer: give --tokenizer (or --model)")
	}
	if f.DSV4 && !f.UseChatTemplate {
		return nil, dataset.Stats{}, errors.New("--dsv4 requires --use-chat-template to be set")
	}
	start := time.Now()
	tok, err := LoadTokenizer(ctx, name, f.Revision)
	if err != nil {
		return nil, dataset.Stats{}, err
	}
	opts := f.Options
	opts.PaddingStreams = dataset.PaddingStreamsFor(f.RandomNumWorkers)
	switch {
	case f.DSV4:
		opts.ChatTemplate = chattemplate.DeepSeekV4{}
	case f.UseChatTemplate:
		tmpl, err := chattemplate.ForTokenizer(tok)
		if err != nil {
			return nil, dataset.Stats{}, fmt.Errorf("--use-chat-template: %w", err)
		}
		opts.ChatTemplate = tmpl
	}
	fmt.Fprintf(log, "tokenizer %s loaded in %v (vocab size %d)\n", name, time.Since(start).Round(time.Millisecond), tok.VocabSize())
	start = time.Now()
	reqs, st, err := dataset.SampleRandom(ctx, tok, opts)
	if reqs != nil {
		st.WriteTo(log)
	}
	if err != nil {
		return nil, st, err
	}
	fmt.Fprintf(log, "generated %d prompts in %v\n", len(reqs), time.Since(start).Round(time.Millisecond))
	return reqs, st, nil
}

// Dataset generates the random dataset and writes it as JSON lines
// {"prompt", "prompt_len", "output_len"} to --out (or stdout).
func Dataset(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f DatasetFlags
	var out string
	p := cliargs.New("loadgen dataset", "Generate the random dataset of the benchmark and write it as JSON lines.")
	p.String(&f.Model, "--model", "Model id; also the tokenizer when --tokenizer is not given.")
	AddDatasetFlags(p, &f)
	p.String(&out, "--out", "Output file (JSON lines); standard output if not given.")
	if code, ok := parse(p, args, stdout, stderr); !ok {
		return code
	}
	reqs, _, err := f.Generate(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen dataset: %v\n", err)
		if isUsage(err) {
			return exitUsage
		}
		return exitFailure
	}
	write := func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range reqs {
			rec := struct {
				Prompt    string `json:"prompt"`
				PromptLen int    `json:"prompt_len"`
				OutputLen int    `json:"output_len"`
			}{r.Prompt, r.PromptLen, r.OutputLen}
			if err := enc.Encode(rec); err != nil {
				return err
			}
		}
		return nil
	}
	if out == "" {
		bw := bufio.NewWriter(stdout)
		err = write(bw)
		if err == nil {
			err = bw.Flush()
		}
	} else {
		err = atomicfile.WriteFunc(out, 0o644, write)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen dataset: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// isUsage reports errors that come from bad flag values (the dataset
// package names the flag first).
func isUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "--")
}
