package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/inferencex/inferencex-go/tools/loadgen/chattemplate"
	"github.com/inferencex/inferencex-go/tools/loadgen/dataset"
	"github.com/inferencex/inferencex-go/tools/loadgen/engine"
	"github.com/inferencex/inferencex-go/tools/loadgen/hfhub"
	"github.com/inferencex/inferencex-go/tools/loadgen/result"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
)

// Tokenizers finds and loads tokenizers (a local path, the Hugging Face
// cache, or the Hub), each once, and provides the Env hooks that need one.
type Tokenizers struct {
	Hub hfhub.Options

	mu     sync.Mutex
	loaded map[string]*tokenizer.Tokenizer
}

// NewTokenizers looks where huggingface_hub would, per the environment.
func NewTokenizers() *Tokenizers {
	return &Tokenizers{Hub: hfhub.OptionsFromEnv(), loaded: map[string]*tokenizer.Tokenizer{}}
}

// Load returns the tokenizer of a model id or path.
func (ts *Tokenizers) Load(ctx context.Context, nameOrPath string) (*tokenizer.Tokenizer, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t, ok := ts.loaded[nameOrPath]; ok {
		return t, nil
	}
	path, err := hfhub.Resolve(ctx, nameOrPath, ts.Hub)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", nameOrPath, err)
	}
	t, err := tokenizer.Load(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", nameOrPath, err)
	}
	ts.loaded[nameOrPath] = t
	return t, nil
}

// counter counts output tokens as the original's fallback did:
// len(tokenizer(text, add_special_tokens=False).input_ids).
type counter struct{ t *tokenizer.Tokenizer }

func (c counter) CountTokens(text string) (int, error) { return c.t.Count(text, false) }

// Counter is the Env.Tokenizer hook.
func (ts *Tokenizers) Counter(ctx context.Context, id string, _ *Options) (engine.TokenCounter, error) {
	t, err := ts.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	return counter{t}, nil
}

// RandomDataset is the Env.RandomDataset hook: the original's random
// dataset, with warmup prompts from a separate random stream, and the
// original's length statistics block on log.
func (ts *Tokenizers) RandomDataset(ctx context.Context, o *Options, log io.Writer) (PromptSet, error) {
	id := o.Model
	if o.Tokenizer != nil {
		id = *o.Tokenizer
	}
	tok, err := ts.Load(ctx, id)
	if err != nil {
		return PromptSet{}, err
	}
	opts := dataset.RandomOptions{
		InputLen: o.RandomInputLen, OutputLen: o.RandomOutputLen, RangeRatio: o.RandomRangeRatio,
		PrefixLen: o.RandomPrefixLen, NumPrompts: o.NumPrompts, Seed: int64(o.Seed),
		PaddingStreams: dataset.PaddingStreamsFor(o.RandomNumWorkers),
	}
	switch {
	case o.DSV4:
		opts.ChatTemplate = chattemplate.DeepSeekV4{}
	case o.UseChatTemplate:
		tmpl, err := chattemplate.ForTokenizer(tok)
		if err != nil {
			return PromptSet{}, err
		}
		opts.ChatTemplate = tmpl
	}
	// Upstream names its worker processes here; they decide the prompts.
	fmt.Fprintf(log, "Generating %d prompts with %d padding streams (--random-num-workers %d)...\n", o.NumPrompts, opts.PaddingStreams, o.RandomNumWorkers)
	reqs, stats, err := dataset.SampleRandom(ctx, tok, opts)
	var me *dataset.MismatchError
	// The statistics describe generated prompts: none when it stopped short.
	if err == nil || errors.As(err, &me) {
		if _, werr := stats.WriteTo(log); werr != nil && err == nil {
			err = werr
		}
	}
	if errors.As(err, &me) {
		return PromptSet{}, fmt.Errorf("random dataset: %w", err)
	}
	if err != nil {
		return PromptSet{}, err
	}
	set := PromptSet{Prompts: toPrompts(reqs), Check: &result.DatasetCheck{Checked: len(reqs), Mismatched: stats.Mismatched()}}
	if o.NumWarmups > 0 {
		warm, err := dataset.WarmupRandom(ctx, tok, opts, o.NumWarmups)
		if err != nil {
			return PromptSet{}, fmt.Errorf("warmup prompts: %w", err)
		}
		set.Warmups = toPrompts(warm)
	}
	return set, nil
}

func toPrompts(reqs []dataset.Request) []engine.Prompt {
	out := make([]engine.Prompt, len(reqs))
	for i, r := range reqs {
		out[i] = engine.Prompt{Prompt: r.Prompt, PromptLen: r.PromptLen, OutputLen: r.OutputLen}
	}
	return out
}
