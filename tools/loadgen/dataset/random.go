// Package dataset generates the benchmark's prompts. The random dataset
// follows vLLM's benchmark_serving.py sample_random_requests (the version
// InferenceX pins) step for step, with numpy's legacy generator
// reproduced exactly, so the same seed and tokenizer give the same prompts
// as the original; unlike the original it checks every prompt's final
// token count and fails when any is off, and it uses every core.
package dataset

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// Request is one prompt of the benchmark.
type Request struct {
	Prompt    string // the text sent to the server
	PromptLen int    // its length in tokens of the model's tokenizer
	OutputLen int    // the number of output tokens to ask for
}

// Tokenizer is what the generator needs of a tokenizer
// (*tokenizer.Tokenizer implements it).
type Tokenizer interface {
	Encode(text string, addSpecialTokens bool) ([]int, error)
	Decode(ids []int) (string, error)
	VocabSize() int
}

// ChatTemplate renders one user message with the generation prompt
// (*chattemplate.Template implements it).
type ChatTemplate interface {
	RenderUser(content string) (string, error)
}

// RandomOptions mirror the original's random dataset flags.
type RandomOptions struct {
	InputLen   int     // --random-input-len (default 1024)
	OutputLen  int     // --random-output-len (default 128)
	RangeRatio float64 // --random-range-ratio (default 1.0): lengths uniform in [len*ratio, len]
	PrefixLen  int     // --random-prefix-len (default 0): fixed random prefix shared by all prompts
	NumPrompts int     // --num-prompts (default 1000)
	Seed       int64   // --seed (default 0), 0..2^32-1 as numpy requires

	// ChatTemplate, when set (--use-chat-template), wraps each prompt in
	// the model's chat template and takes the template's own tokens off
	// the input length.
	ChatTemplate ChatTemplate

	// PaddingStreams says where the random ids that pad a short prompt
	// come from. 0: the generator that drew the lengths, continued in
	// prompt order (the client at f0e131f2e). 1 or more: upstream main's
	// client, which seeds a generator of its own from the first words of
	// that generator's state (so padding leaves it alone) and, with n > 1,
	// splits the prompts into n chunks of ceil(NumPrompts/n) (its worker
	// processes), each padded from its own generator seeded by a draw
	// from that one. The prompts depend on n; upstream's default is
	// min(CPUs, 8).
	PaddingStreams int

	// Workers bounds the parallelism (0: GOMAXPROCS).
	Workers int
	// MaxIterations bounds the decode/re-encode rounds per prompt (0: 50).
	// The original stops after 10 and keeps whatever length it reached;
	// rounds past 10 only happen for prompts the original would have left
	// off-length.
	MaxIterations int
}

// DefaultRandomOptions returns the original's defaults.
func DefaultRandomOptions() RandomOptions {
	return RandomOptions{InputLen: 1024, OutputLen: 128, RangeRatio: 1.0, NumPrompts: 1000}
}

// originalIterations is the original's max_retries.
const originalIterations = 10

// MismatchError reports prompts whose final token count is not the
// target. The requests are still returned alongside it.
type MismatchError struct {
	Stats Stats
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%d of %d prompts do not have their target token count; mismatch histogram (tokens: prompts): %s",
		e.Stats.Mismatched(), e.Stats.NumPrompts, e.Stats.HistogramString())
}

// prompt is the state of one prompt through the retry loop.
type prompt struct {
	target int   // token count the loop aims at (prefix + sampled input length)
	ids    []int // current ids
	text   string
	iter   int  // loop iterations done
	done   bool // the loop ended (exact, or out of iterations)
	exact  bool // the loop ended on an encode of text that gave the target
	need   int  // >0: the next step draws this many random ids
	final  int  // final token count (of the wrapped prompt with a chat template)
}

// SampleRandom generates the random dataset.
func SampleRandom(ctx context.Context, tok Tokenizer, opts RandomOptions) ([]Request, Stats, error) {
	g, err := newGenerator(tok, opts)
	if err != nil {
		return nil, Stats{}, err
	}
	return g.run(ctx)
}

// WarmupRandom generates n prompts for warming the server up, with the
// same length distribution as the measured set but from a separate
// random stream (seed+1 modulo 2^32), so they never repeat a measured
// prompt and asking for them does not change the measured set. (The
// original sends its first measured prompt again for every warm-up
// request, which warms the server's prefix cache for that prompt.)
func WarmupRandom(ctx context.Context, tok Tokenizer, opts RandomOptions, n int) ([]Request, error) {
	opts.NumPrompts = n
	opts.Seed = (opts.Seed + 1) % (1 << 32)
	reqs, _, err := SampleRandom(ctx, tok, opts)
	return reqs, err
}

type generator struct {
	tok  Tokenizer
	opts RandomOptions
	rng  *legacyRNG
	// padding holds the generators that pad short prompts, and
	// paddingStart the first prompt of each (see PaddingStreams).
	padding      []*legacyRNG
	paddingStart []int
	vocab        int
	chatLen      int // tokens the chat template adds (0 without one)
	prompts      []*prompt
	outLens      []int
	workers      int
	maxIters     int
	draws        int // committed rounds that drew random ids
}

func newGenerator(tok Tokenizer, opts RandomOptions) (*generator, error) {
	switch {
	case opts.NumPrompts < 0:
		return nil, fmt.Errorf("--num-prompts %d: must not be negative", opts.NumPrompts)
	case opts.InputLen < 0:
		return nil, fmt.Errorf("--random-input-len %d: must not be negative", opts.InputLen)
	case opts.OutputLen < 0:
		return nil, fmt.Errorf("--random-output-len %d: must not be negative", opts.OutputLen)
	case opts.PrefixLen < 0:
		return nil, fmt.Errorf("--random-prefix-len %d: must not be negative", opts.PrefixLen)
	case !(opts.RangeRatio >= 0 && opts.RangeRatio <= 1):
		return nil, fmt.Errorf("--random-range-ratio %v: must be between 0 and 1", opts.RangeRatio)
	case opts.PaddingStreams < 0:
		return nil, fmt.Errorf("PaddingStreams %d: must not be negative", opts.PaddingStreams)
	}
	rng, err := newLegacyRNG(opts.Seed)
	if err != nil {
		return nil, fmt.Errorf("--seed: %w", err)
	}
	g := &generator{tok: tok, opts: opts, rng: rng, vocab: tok.VocabSize(), workers: opts.Workers, maxIters: opts.MaxIterations}
	if g.vocab <= 0 {
		return nil, errors.New("tokenizer has an empty vocabulary")
	}
	if g.workers <= 0 {
		g.workers = runtime.GOMAXPROCS(0)
	}
	if g.maxIters <= 0 {
		g.maxIters = 50
	}
	if g.maxIters < originalIterations {
		return nil, fmt.Errorf("MaxIterations %d: must be at least the original's %d", g.maxIters, originalIterations)
	}
	return g, nil
}

func (g *generator) run(ctx context.Context) ([]Request, Stats, error) {
	o := g.opts
	// The random draws, in the original's order.
	prefix, err := g.rng.randInt(0, int64(g.vocab), o.PrefixLen)
	if err != nil {
		return nil, Stats{}, err
	}
	inputLen := o.InputLen
	if o.ChatTemplate != nil {
		dummy, err := o.ChatTemplate.RenderUser("a")
		if err != nil {
			return nil, Stats{}, fmt.Errorf("chat template: %w", err)
		}
		ids, err := g.tok.Encode(dummy, false)
		if err != nil {
			return nil, Stats{}, fmt.Errorf("chat template: %w", err)
		}
		// The template's tokens, less the one the "a" is assumed to take.
		g.chatLen = len(ids) - 1
		inputLen -= g.chatLen
		if inputLen < 0 {
			return nil, Stats{}, fmt.Errorf("--random-input-len %d: smaller than the %d tokens the chat template adds", o.InputLen, g.chatLen)
		}
	}
	inLens, err := g.sampleUniform(inputLen, "input")
	if err != nil {
		return nil, Stats{}, err
	}
	g.outLens, err = g.sampleUniform(o.OutputLen, "output")
	if err != nil {
		return nil, Stats{}, err
	}
	offsets, err := g.rng.randInt(0, int64(g.vocab), o.NumPrompts)
	if err != nil {
		return nil, Stats{}, err
	}
	if err := g.paddingStreams(); err != nil {
		return nil, Stats{}, err
	}

	g.prompts = make([]*prompt, o.NumPrompts)
	for i := range g.prompts {
		ids := make([]int, 0, len(prefix)+inLens[i])
		for _, p := range prefix {
			ids = append(ids, int(p))
		}
		for j := 0; j < inLens[i]; j++ {
			ids = append(ids, int((offsets[i]+int64(i)+int64(j))%int64(g.vocab)))
		}
		g.prompts[i] = &prompt{target: o.PrefixLen + inLens[i], ids: ids}
	}

	// Phase 1, in parallel: the first decode, then every round that draws
	// no random numbers.
	err = g.parallel(ctx, len(g.prompts), func(i int) error {
		p := g.prompts[i]
		text, err := g.tok.Decode(p.ids)
		if err != nil {
			return err
		}
		p.text = text
		return g.advance(p)
	})
	if err != nil {
		return nil, Stats{}, err
	}
	// Phase 2: the rounds that draw random numbers, in prompt order.
	if err := g.drawRounds(ctx); err != nil {
		return nil, Stats{}, err
	}
	// Phase 3, in parallel: wrap in the chat template and count.
	err = g.parallel(ctx, len(g.prompts), func(i int) error { return g.finish(g.prompts[i]) })
	if err != nil {
		return nil, Stats{}, err
	}

	reqs := make([]Request, len(g.prompts))
	st := Stats{NumPrompts: len(reqs)}
	for i, p := range g.prompts {
		reqs[i] = Request{Prompt: p.text, PromptLen: p.final, OutputLen: g.outLens[i]}
		st.add(p.final, g.outLens[i], p.final-(p.target+g.chatLen))
	}
	if st.Mismatched() > 0 {
		return reqs, st, &MismatchError{Stats: st}
	}
	return reqs, st, nil
}

func (g *generator) sampleUniform(seqLen int, what string) ([]int, error) {
	// int() of the float product truncates toward zero, as Python's does.
	lower := int(float64(seqLen) * g.opts.RangeRatio)
	vals, err := g.rng.randInt(int64(lower), int64(seqLen)+1, g.opts.NumPrompts)
	if err != nil {
		return nil, fmt.Errorf("%s lengths [%d, %d]: %w", what, lower, seqLen, err)
	}
	out := make([]int, len(vals))
	for i, v := range vals {
		out[i] = int(v)
	}
	return out, nil
}

// advance runs the retry loop of one prompt until it ends or needs random
// numbers (p.need > 0). It draws nothing itself.
func (g *generator) advance(p *prompt) error {
	for !p.done && p.need == 0 {
		if p.iter >= g.maxIters {
			p.done = true
			return nil
		}
		ids, err := g.tok.Encode(p.text, false)
		if err != nil {
			return err
		}
		p.iter++
		switch {
		case len(ids) == p.target:
			p.ids = ids
			p.done, p.exact = true, true
			return nil
		case len(ids) > p.target:
			p.ids = ids[:p.target]
			if p.text, err = g.tok.Decode(p.ids); err != nil {
				return err
			}
		default:
			p.ids = ids
			p.need = p.target - len(ids)
		}
	}
	return nil
}

// paddingStreams sets up the generators that pad short prompts, after the
// lengths and offsets are drawn (see RandomOptions.PaddingStreams).
func (g *generator) paddingStreams() error {
	n := g.opts.PaddingStreams
	if n == 0 {
		g.padding, g.paddingStart = []*legacyRNG{g.rng}, []int{0}
		return nil
	}
	local, err := newLegacyRNGByArray(g.rng.stateHead())
	if err != nil {
		return err
	}
	if n == 1 {
		g.padding, g.paddingStart = []*legacyRNG{local}, []int{0}
		return nil
	}
	size := (g.opts.NumPrompts + n - 1) / n
	for start := 0; start < g.opts.NumPrompts; start += size {
		seed, err := local.randInt(0, 1<<31, 1)
		if err != nil {
			return err
		}
		r, err := newLegacyRNG(seed[0])
		if err != nil {
			return err
		}
		g.padding = append(g.padding, r)
		g.paddingStart = append(g.paddingStart, start)
	}
	return nil
}

// drawRounds runs the rounds that draw random numbers: per padding
// stream, its prompts in order. The streams (and their prompts) are
// independent, so they run at the same time: a stream with few waiting
// prompts would leave cores idle on its own.
func (g *generator) drawRounds(ctx context.Context) error {
	draws := make([]int, len(g.padding))
	errs := make([]error, len(g.padding))
	var wg sync.WaitGroup
	for s, rng := range g.padding {
		end := len(g.prompts)
		if s+1 < len(g.paddingStart) {
			end = g.paddingStart[s+1]
		}
		var waiting []int
		for i := g.paddingStart[s]; i < end; i++ {
			if g.prompts[i].need > 0 {
				waiting = append(waiting, i)
			}
		}
		if len(waiting) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			draws[s], errs[s] = g.drawStream(ctx, rng, waiting)
		}()
	}
	wg.Wait()
	for s := range g.padding {
		g.draws += draws[s]
	}
	return errors.Join(errs...)
}

// drawStream runs the rounds of the waiting prompts that draw from one
// stream. They must consume it in prompt order, as the original's loop
// does; to still use every core it speculates: a window of waiting prompts
// draws in order, each as if the ones before it drew nothing more, and
// all then run in parallel. Results are kept in order up to the first
// prompt that wants to draw again; the prompts after it are rolled back
// (their state and the random stream) and go again in the next window.
func (g *generator) drawStream(ctx context.Context, stream *legacyRNG, waiting []int) (draws int, err error) {
	window := 2 * g.workers
	for len(waiting) > 0 {
		n := min(window, len(waiting))
		type attempt struct {
			p     prompt
			after legacyRNG // the stream after this prompt's draw
		}
		tries := make([]attempt, n)
		rng := *stream
		for k := 0; k < n; k++ {
			tries[k].p = *g.prompts[waiting[k]]
			tries[k].p.ids = slices.Clone(tries[k].p.ids)
			extra, err := rng.randInt(0, int64(g.vocab), tries[k].p.need)
			if err != nil {
				return draws, err
			}
			for _, e := range extra {
				tries[k].p.ids = append(tries[k].p.ids, int(e))
			}
			tries[k].p.need = 0
			tries[k].after = rng
		}
		err = g.parallel(ctx, n, func(k int) error {
			p := &tries[k].p
			text, err := g.tok.Decode(p.ids)
			if err != nil {
				return err
			}
			p.text = text
			return g.advance(p)
		})
		if err != nil {
			return draws, err
		}
		// Commit in order up to and including the first prompt that waits
		// again; it stays at the head of the queue.
		committed := 0
		for k := 0; k < n; k++ {
			*g.prompts[waiting[k]] = tries[k].p
			*stream = tries[k].after
			draws++
			if tries[k].p.need > 0 {
				break
			}
			committed++
		}
		waiting = waiting[committed:]
	}
	return draws, nil
}

func (g *generator) finish(p *prompt) error {
	if g.opts.ChatTemplate != nil {
		wrapped, err := g.opts.ChatTemplate.RenderUser(p.text)
		if err != nil {
			return fmt.Errorf("chat template: %w", err)
		}
		p.text = wrapped
	} else if p.exact {
		p.final = p.target
		return nil
	}
	ids, err := g.tok.Encode(p.text, false)
	if err != nil {
		return err
	}
	p.final = len(ids)
	return nil
}

// parallel runs fn(0..n-1) on the generator's workers.
func (g *generator) parallel(ctx context.Context, n int, fn func(i int) error) error {
	// The cause says why the context ended (a signal, the server exiting),
	// which "context canceled" would not.
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if n == 0 {
		return nil
	}
	workers := min(g.workers, n)
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errs <- fmt.Errorf("prompt %d: %w", i, err)
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = context.Cause(ctx)
			break feed
		}
	}
	close(next)
	go func() { wg.Wait(); close(errs) }()
	for e := range errs {
		if err == nil {
			err = e
		}
	}
	return err
}
