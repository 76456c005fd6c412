package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/tools/loadgen/chattemplate"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer/tokenizertest"
)

// original.json is written by scripts/gen-dataset-golden.py, which runs the
// original sample_random_requests with numpy.
type originalGolden struct {
	RNG []struct {
		Seed  int64 `json:"seed"`
		Calls []struct {
			Low    int64   `json:"low"`
			High   int64   `json:"high"`
			Size   int     `json:"size"`
			Values []int64 `json:"values"`
		} `json:"calls"`
	} `json:"rng"`
	Datasets []struct {
		Model       string  `json:"model"`
		InputLen    int     `json:"input_len"`
		OutputLen   int     `json:"output_len"`
		RangeRatio  float64 `json:"range_ratio"`
		PrefixLen   int     `json:"prefix_len"`
		NumPrompts  int     `json:"num_prompts"`
		Seed        int64   `json:"seed"`
		Chat        bool    `json:"chat"`
		Stats       string  `json:"stats"`
		Requests    [][3]any
		FirstPrompt string `json:"first_prompt"`
	} `json:"datasets"`
}

func readOriginal(t *testing.T) originalGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/original.json")
	if err != nil {
		t.Fatal(err)
	}
	var g originalGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestLegacyRNGMatchesNumpy(t *testing.T) {
	g := readOriginal(t)
	if len(g.RNG) == 0 {
		t.Fatal("no rng cases")
	}
	for _, c := range g.RNG {
		r, err := newLegacyRNG(c.Seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range c.Calls {
			got, err := r.randInt(call.Low, call.High, call.Size)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(call.Values) || (len(got) > 0 && !slices.Equal(got, call.Values)) {
				t.Errorf("seed %d randint(%d, %d, %d) = %v, numpy %v", c.Seed, call.Low, call.High, call.Size, got, call.Values)
			}
		}
	}
	if _, err := newLegacyRNG(1 << 32); err == nil {
		t.Error("seed 2^32 accepted")
	}
	r, _ := newLegacyRNG(0)
	if _, err := r.randInt(5, 5, 1); err == nil || !strings.Contains(err.Error(), "low >= high") {
		t.Errorf("randint(5, 5) = %v", err)
	}
}

func sha16(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

func loadTok(t testing.TB, m tokenizertest.Model) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Load(tokenizertest.ModelDir(t, m))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestMatchesOriginal: same seed, same tokenizer, same prompts as the
// original generator (run by scripts/gen-dataset-golden.py).
func TestMatchesOriginal(t *testing.T) {
	g := readOriginal(t)
	for i, d := range g.Datasets {
		t.Run(fmt.Sprintf("%d-%s", i, d.Model), func(t *testing.T) {
			tok := loadTok(t, tokenizertest.Model(d.Model))
			opts := RandomOptions{InputLen: d.InputLen, OutputLen: d.OutputLen, RangeRatio: d.RangeRatio,
				PrefixLen: d.PrefixLen, NumPrompts: d.NumPrompts, Seed: d.Seed}
			if d.Chat {
				tmpl, err := chattemplate.ForTokenizer(tok)
				if err != nil {
					t.Fatal(err)
				}
				opts.ChatTemplate = tmpl
			}
			reqs, st, err := SampleRandom(context.Background(), tok, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(reqs) != len(d.Requests) {
				t.Fatalf("%d requests, original %d", len(reqs), len(d.Requests))
			}
			if reqs[0].Prompt != d.FirstPrompt {
				t.Errorf("first prompt differs:\n got %q\nwant %q", reqs[0].Prompt, d.FirstPrompt)
			}
			for j, r := range reqs {
				want := d.Requests[j]
				if sha16(r.Prompt) != want[0].(string) || r.PromptLen != int(want[1].(float64)) || r.OutputLen != int(want[2].(float64)) {
					t.Errorf("request %d = (%s, %d, %d), original %v", j, sha16(r.Prompt), r.PromptLen, r.OutputLen, want)
				}
			}
			var b strings.Builder
			st.WriteTo(&b)
			want := d.Stats
			if d.Chat {
				// The original measures the mismatch against the length
				// before the template's tokens; here it is against the full
				// target, so it reads 0 when the original reads the
				// template's overhead.
				want = strings.Replace(want, "avg_token_mismatch=3.00 ", "avg_token_mismatch=0.00 ", 1)
			}
			if b.String() != want {
				t.Errorf("statistics block:\n%s\noriginal:\n%s", b.String(), d.Stats)
			}
		})
	}
}

// TestParallelEqualsSequential: the speculative parallel rounds must give
// exactly what one worker gives, including prompts that draw extra ids.
func TestParallelEqualsSequential(t *testing.T) {
	tok := loadTok(t, tokenizertest.DeepSeekV3)
	opts := RandomOptions{InputLen: 300, OutputLen: 10, RangeRatio: 0.3, NumPrompts: 120, Seed: 3}
	var results [][]Request
	for _, workers := range []int{1, 3, 8} {
		opts.Workers = workers
		reqs, _, err := SampleRandom(context.Background(), tok, opts)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, reqs)
	}
	for k := 1; k < len(results); k++ {
		if !slices.Equal(results[0], results[k]) {
			t.Fatalf("workers run %d differs from the single-worker run", k)
		}
	}
	// The case must exercise the rounds that draw random numbers.
	g, err := newGenerator(tok, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g.draws == 0 {
		t.Fatal("no prompt drew extra ids: the test does not cover the speculative rounds")
	}
}

// fakeTok counts characters as tokens, except that decode adds a marker
// to every text, so a prompt can never reach its target.
type fakeTok struct{ vocab int }

func (f fakeTok) Encode(text string, _ bool) ([]int, error) {
	ids := make([]int, len([]rune(text)))
	for i, r := range []rune(text) {
		ids[i] = int(r) % f.vocab
	}
	return ids, nil
}

func (f fakeTok) Decode(ids []int) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		b.WriteRune(rune('a' + id%26))
	}
	b.WriteString("!!")
	return b.String(), nil
}

func (f fakeTok) VocabSize() int { return f.vocab }

func TestMismatchFails(t *testing.T) {
	reqs, st, err := SampleRandom(context.Background(), fakeTok{vocab: 50}, RandomOptions{InputLen: 10, OutputLen: 5, RangeRatio: 1, NumPrompts: 4})
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a MismatchError", err)
	}
	if len(reqs) != 4 || st.Mismatched() != 4 {
		t.Fatalf("%d requests, %d mismatched", len(reqs), st.Mismatched())
	}
	if !strings.Contains(err.Error(), "4 of 4 prompts") || !strings.Contains(err.Error(), "+2: 4") {
		t.Errorf("error = %v", err)
	}
	var b strings.Builder
	st.WriteTo(&b)
	if !strings.Contains(b.String(), "avg_token_mismatch=2.00") || !strings.Contains(b.String(), "token_mismatch histogram (tokens: prompts): +2: 4") {
		t.Errorf("statistics block:\n%s", b.String())
	}
}

type fixedTemplate struct{ pre, post string }

func (f fixedTemplate) RenderUser(s string) (string, error) { return f.pre + s + f.post, nil }

func TestOptionErrors(t *testing.T) {
	tok := fakeTok{vocab: 50}
	base := RandomOptions{InputLen: 10, OutputLen: 5, RangeRatio: 1, NumPrompts: 2}
	tests := []struct {
		mod  func(*RandomOptions)
		want string
	}{
		{func(o *RandomOptions) { o.RangeRatio = 1.5 }, "--random-range-ratio 1.5: must be between 0 and 1"},
		{func(o *RandomOptions) { o.RangeRatio = -0.1 }, "--random-range-ratio"},
		{func(o *RandomOptions) { o.NumPrompts = -1 }, "--num-prompts -1"},
		{func(o *RandomOptions) { o.InputLen = -1 }, "--random-input-len -1"},
		{func(o *RandomOptions) { o.OutputLen = -1 }, "--random-output-len -1"},
		{func(o *RandomOptions) { o.PrefixLen = -1 }, "--random-prefix-len -1"},
		{func(o *RandomOptions) { o.Seed = 1 << 32 }, "--seed: seed 4294967296 out of range"},
		{func(o *RandomOptions) { o.ChatTemplate = fixedTemplate{strings.Repeat("x", 20), ""} }, "--random-input-len 10: smaller than the 20 tokens the chat template adds"},
		{func(o *RandomOptions) { o.MaxIterations = 3 }, "at least the original's 10"},
	}
	for _, tc := range tests {
		o := base
		tc.mod(&o)
		_, _, err := SampleRandom(context.Background(), tok, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

func TestZeroPrompts(t *testing.T) {
	reqs, st, err := SampleRandom(context.Background(), fakeTok{vocab: 50}, RandomOptions{InputLen: 10, NumPrompts: 0})
	if err != nil || len(reqs) != 0 || st.NumPrompts != 0 {
		t.Fatalf("= %v, %+v, %v", reqs, st, err)
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := SampleRandom(ctx, fakeTok{vocab: 50}, RandomOptions{InputLen: 10, NumPrompts: 100})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestContextCancelSaysWhy(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	why := errors.New("server process 7 exited")
	cancel(why)
	_, _, err := SampleRandom(ctx, fakeTok{vocab: 50}, RandomOptions{InputLen: 10, NumPrompts: 100})
	if !errors.Is(err, why) {
		t.Fatalf("err = %v, want the cancel cause", err)
	}
}

func TestWarmupSeparateFromMeasured(t *testing.T) {
	tok := loadTok(t, tokenizertest.GPTOSS)
	opts := RandomOptions{InputLen: 64, OutputLen: 8, RangeRatio: 1, NumPrompts: 10, Seed: 5}
	measured, _, err := SampleRandom(context.Background(), tok, opts)
	if err != nil {
		t.Fatal(err)
	}
	warm, err := WarmupRandom(context.Background(), tok, opts, 4)
	if err != nil {
		t.Fatal(err)
	}
	again, err := WarmupRandom(context.Background(), tok, opts, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(warm) != 4 || !slices.Equal(warm, again) {
		t.Fatalf("warm-up prompts not reproducible: %d, %d", len(warm), len(again))
	}
	for _, w := range warm {
		if w.PromptLen != 64 {
			t.Errorf("warm-up prompt of %d tokens", w.PromptLen)
		}
		for _, m := range measured {
			if w.Prompt == m.Prompt {
				t.Error("a warm-up prompt repeats a measured prompt")
			}
		}
	}
	measured2, _, _ := SampleRandom(context.Background(), tok, opts)
	if !slices.Equal(measured, measured2) {
		t.Error("the measured set changed")
	}
}

// BenchmarkRandom8k1k is the largest dataset of the benchmark matrix:
// 8k input tokens, 1k output, range ratio 0.8, 5,120 prompts (concurrency
// 512), on all cores. Run it with -benchtime 1x.
// BenchmarkRandom8k1k makes the largest dataset of the benchmark matrix
// with the padding generators of the Feb-2026 client (streams=0) and of
// upstream main on a GPU node (streams=8, what loadgen uses there).
func BenchmarkRandom8k1k(b *testing.B) {
	for _, m := range tokenizertest.Models {
		tok := loadTok(b, m)
		for _, streams := range []int{0, 8} {
			b.Run(fmt.Sprintf("%s/streams=%d", m, streams), func(b *testing.B) {
				for b.Loop() {
					_, st, err := SampleRandom(context.Background(), tok, RandomOptions{
						InputLen: 8192, OutputLen: 1024, RangeRatio: 0.8, NumPrompts: 5120, PaddingStreams: streams,
					})
					if err != nil {
						b.Fatal(err)
					}
					if st.Mismatched() != 0 {
						b.Fatal("off-length prompts")
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/dataset")
			})
		}
	}
}

// upstream-main.json is written by scripts/gen-dataset-golden.py from the
// client of upstream main, whose padding draws come from generators of
// their own.
type upstreamMainGolden struct {
	RNGByArray []struct {
		Seed        int64    `json:"seed"`
		DrawsBefore int      `json:"draws_before"`
		Head        []uint32 `json:"head"`
		Values      []int64  `json:"values"`
	} `json:"rng_by_array"`
	Datasets []struct {
		Model       string  `json:"model"`
		InputLen    int     `json:"input_len"`
		OutputLen   int     `json:"output_len"`
		RangeRatio  float64 `json:"range_ratio"`
		PrefixLen   int     `json:"prefix_len"`
		NumPrompts  int     `json:"num_prompts"`
		Seed        int64   `json:"seed"`
		Chat        bool    `json:"chat"`
		DSV4        bool    `json:"dsv4"`
		Workers     int     `json:"workers"`
		Stats       string  `json:"stats"`
		Requests    [][3]any
		FirstPrompt string `json:"first_prompt"`
	} `json:"datasets"`
}

func readUpstreamMain(t *testing.T) upstreamMainGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/upstream-main.json")
	if err != nil {
		t.Fatal(err)
	}
	var g upstreamMainGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestSeedByArrayMatchesNumpy: the padding generator's seed is the head of
// the state after the dataset's draws, and RandomState(list) seeds as
// numpy's init_by_array does.
func TestSeedByArrayMatchesNumpy(t *testing.T) {
	g := readUpstreamMain(t)
	if len(g.RNGByArray) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range g.RNGByArray {
		r, err := newLegacyRNG(c.Seed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.randInt(0, 128000, c.DrawsBefore); err != nil {
			t.Fatal(err)
		}
		if head := r.stateHead(); !slices.Equal(head, c.Head) {
			t.Fatalf("seed %d: state head %v, numpy %v", c.Seed, head, c.Head)
		}
		local, err := newLegacyRNGByArray(c.Head)
		if err != nil {
			t.Fatal(err)
		}
		got, err := local.randInt(0, 1<<31, len(c.Values))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.Values) {
			t.Errorf("seed %d: RandomState(%v).randint(0, 2**31) = %v, numpy %v", c.Seed, c.Head, got, c.Values)
		}
	}
	if _, err := newLegacyRNGByArray(nil); err == nil {
		t.Error("an empty seed array was accepted")
	}
}

// TestMatchesUpstreamMain: same seed, tokenizer and number of padding
// streams, same prompts as upstream main's client (its worker processes
// being the streams).
func TestMatchesUpstreamMain(t *testing.T) {
	g := readUpstreamMain(t)
	for i, d := range g.Datasets {
		t.Run(fmt.Sprintf("%d-%s-w%d", i, d.Model, d.Workers), func(t *testing.T) {
			tok := loadTok(t, tokenizertest.Model(d.Model))
			opts := RandomOptions{InputLen: d.InputLen, OutputLen: d.OutputLen, RangeRatio: d.RangeRatio,
				PrefixLen: d.PrefixLen, NumPrompts: d.NumPrompts, Seed: d.Seed, PaddingStreams: d.Workers}
			switch {
			case d.DSV4:
				opts.ChatTemplate = chattemplate.DeepSeekV4{}
			case d.Chat:
				tmpl, err := chattemplate.ForTokenizer(tok)
				if err != nil {
					t.Fatal(err)
				}
				opts.ChatTemplate = tmpl
			}
			reqs, st, err := SampleRandom(context.Background(), tok, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(reqs) != len(d.Requests) {
				t.Fatalf("%d requests, upstream %d", len(reqs), len(d.Requests))
			}
			if reqs[0].Prompt != d.FirstPrompt {
				t.Errorf("first prompt differs:\n got %q\nwant %q", reqs[0].Prompt, d.FirstPrompt)
			}
			for j, r := range reqs {
				want := d.Requests[j]
				if sha16(r.Prompt) != want[0].(string) || r.PromptLen != int(want[1].(float64)) || r.OutputLen != int(want[2].(float64)) {
					t.Errorf("request %d = (%s, %d, %d), upstream %v", j, sha16(r.Prompt), r.PromptLen, r.OutputLen, want)
				}
			}
			// Upstream prints the statistics block after a line naming its
			// worker processes; the block is the same as before.
			var b strings.Builder
			st.WriteTo(&b)
			want := d.Stats[strings.Index(d.Stats, "-------------------  Input"):] + "\n"
			if d.Chat {
				// As in TestMatchesOriginal: the mismatch is against the full
				// target here.
				want = regexp.MustCompile(`avg_token_mismatch=[0-9.]+ `).ReplaceAllString(want, "avg_token_mismatch=0.00 ")
			}
			if b.String() != want {
				t.Errorf("statistics block:\n%q\nupstream:\n%q", b.String(), want)
			}
		})
	}
}

// TestPaddingStreamsChangeThePrompts: the streams are not a detail of how
// the work is spread: upstream's prompts depend on their number, and so do
// these; and a number of streams gives the same prompts whatever the
// parallelism.
func TestPaddingStreamsChangeThePrompts(t *testing.T) {
	tok := loadTok(t, tokenizertest.DeepSeekV3)
	base := RandomOptions{InputLen: 300, OutputLen: 10, RangeRatio: 0.3, NumPrompts: 60, Seed: 3}
	run := func(streams, workers int) []Request {
		o := base
		o.PaddingStreams, o.Workers = streams, workers
		reqs, _, err := SampleRandom(context.Background(), tok, o)
		if err != nil {
			t.Fatal(err)
		}
		return reqs
	}
	feb, one, eight := run(0, 2), run(1, 2), run(8, 2)
	if slices.Equal(feb, one) || slices.Equal(one, eight) {
		t.Error("the padding streams made no difference: the case draws no padding")
	}
	if !slices.Equal(eight, run(8, 1)) || !slices.Equal(eight, run(8, 5)) {
		t.Error("8 padding streams gave different prompts with different parallelism")
	}
	if _, _, err := SampleRandom(context.Background(), tok, RandomOptions{NumPrompts: 1, InputLen: 4, OutputLen: 1, RangeRatio: 1, PaddingStreams: -1}); err == nil {
		t.Error("negative PaddingStreams accepted")
	}
}

func TestPaddingStreamsFor(t *testing.T) {
	for list, want := range map[string]int{"0": 1, "0-3": 4, "0-3,8,10-11": 7, "0-127": 128, "": 0, "x": 0, "3-1": 0, "0,-1": 0,
		"0-9223372036854775806,0-9223372036854775806": 0, "0-1048576": 0, "0-1048575": 1 << 20} {
		if got := countCPUList(list); got != want {
			t.Errorf("countCPUList(%q) = %d, want %d", list, got, want)
		}
	}
	if got := PaddingStreamsFor(3); got != 3 {
		t.Errorf("PaddingStreamsFor(3) = %d", got)
	}
	auto := PaddingStreamsFor(0)
	if auto != min(onlineCPUs(), 8) || auto < 1 || PaddingStreamsFor(-1) != auto {
		t.Errorf("PaddingStreamsFor(0) = %d, PaddingStreamsFor(-1) = %d, CPUs online %d", auto, PaddingStreamsFor(-1), onlineCPUs())
	}
}

// FuzzCountCPUList: any text in place of the kernel's CPU list gives a
// count, never a panic: 0 when it is not a list, else the CPUs it names.
func FuzzCountCPUList(f *testing.F) {
	for _, s := range []string{"0", "0-3,8,10-11", "", "-", "1-", "0-9999999999999999999", "3-1", ",", "0,,1", "0-9223372036854775806,0-9223372036854775806"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := countCPUList(s)
		if n < 0 {
			t.Fatalf("countCPUList(%q) = %d", s, n)
		}
		if n > 0 && strings.Count(s, ",")+1 > n {
			t.Fatalf("countCPUList(%q) = %d, fewer than its %d parts", s, n, strings.Count(s, ",")+1)
		}
	})
}
