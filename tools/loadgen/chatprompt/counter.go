package chatprompt

import (
	"fmt"
	"strings"
	"sync"

	"github.com/inferencex/inferencex-go/tools/loadgen/chattemplate"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
)

// Roles of chat messages.
const (
	User      = "user"
	Assistant = "assistant"
)

// Counter says how many tokens a prompt has without tokenizing it. With a
// chat template it counts the rendered prompt (template tokens, cache-bust
// marker and content: what the server's usage.prompt_tokens reports); without
// one it counts the message contents only, marker excluded, as AIPerf's
// default input sequence length does.
type Counter struct {
	tok   *tokenizer.Tokenizer
	tmpl  *chattemplate.Template // nil: contents only
	vocab *Vocab

	mu       sync.Mutex
	overhead map[string]int // role sequence ("uau…") -> template tokens
}

// NewCounter checks on a sample conversation that counting works for tok
// (and tmpl, when given) and returns the counter.
func NewCounter(tok *tokenizer.Tokenizer, tmpl *chattemplate.Template, vocab *Vocab) (*Counter, error) {
	c := &Counter{tok: tok, tmpl: tmpl, vocab: vocab, overhead: map[string]int{}}
	if err := c.selfCheck(); err != nil {
		return nil, err
	}
	return c, nil
}

// Vocab is the counter's vocabulary.
func (c *Counter) Vocab() *Vocab { return c.vocab }

// Templated tells whether the chat template is counted.
func (c *Counter) Templated() bool { return c.tmpl != nil }

// MarkerTokens is what a cache-bust marker adds to the count: the tokens it
// takes before the first word (nothing when contents alone are counted).
func (c *Counter) MarkerTokens(marker string) (int, error) {
	if c.tmpl == nil || marker == "" {
		return 0, nil
	}
	n, err := c.tok.Count(marker+c.vocab.Word(0), false)
	if err != nil {
		return 0, err
	}
	return n - 1, nil
}

// Overhead is the number of tokens the chat template adds around messages
// with these roles, generation prompt included (0 without a template). It
// renders the roles with one-word contents once per role sequence.
func (c *Counter) Overhead(roles string) (int, error) {
	if c.tmpl == nil {
		return 0, nil
	}
	c.mu.Lock()
	n, ok := c.overhead[roles]
	c.mu.Unlock()
	if ok {
		return n, nil
	}
	msgs := make([]chattemplate.Message, len(roles))
	for i := range roles {
		msgs[i] = chattemplate.Message{Role: roleName(roles[i]), Content: c.vocab.Word(0)}
	}
	text, err := c.tmpl.Render(msgs, true)
	if err != nil {
		return 0, err
	}
	total, err := c.tok.Count(text, false)
	if err != nil {
		return 0, err
	}
	n = total - len(roles)
	c.mu.Lock()
	c.overhead[roles] = n
	c.mu.Unlock()
	return n, nil
}

func roleName(b byte) string {
	if b == 'a' {
		return Assistant
	}
	return User
}

func roleByte(role string) byte {
	if role == Assistant {
		return 'a'
	}
	return 'u'
}

// Render returns the text of messages: the chat template applied, or the
// contents one after another without one. For checks and tests: a replay
// never renders its prompts.
func (c *Counter) Render(msgs []Message) (string, error) {
	if c.tmpl == nil {
		var b strings.Builder
		for _, m := range msgs {
			b.WriteString(m.Content(c.vocab))
		}
		return b.String(), nil
	}
	cm := make([]chattemplate.Message, len(msgs))
	for i, m := range msgs {
		cm[i] = chattemplate.Message{Role: m.Role, Content: m.Content(c.vocab)}
	}
	return c.tmpl.Render(cm, true)
}

// CountExact tokenizes msgs for real, the way Count predicts them: the
// rendered prompt with a template, else each content on its own (less its
// marker's tokens). For checks and tests.
func (c *Counter) CountExact(msgs []Message) (int, error) {
	if c.tmpl != nil {
		text, err := c.Render(msgs)
		if err != nil {
			return 0, err
		}
		return c.tok.Count(text, false)
	}
	total := 0
	for _, m := range msgs {
		n, err := c.tok.Count(m.Content(c.vocab), false)
		if err != nil {
			return 0, err
		}
		if m.Marker != "" {
			k, err := c.tok.Count(m.Marker+c.vocab.Word(0), false)
			if err != nil {
				return 0, err
			}
			n -= k - 1
		}
		total += n
	}
	return total, nil
}

// Count predicts the token count of msgs.
func (c *Counter) Count(msgs []Message) (int, error) {
	roles := make([]byte, len(msgs))
	total := 0
	for i, m := range msgs {
		roles[i] = roleByte(m.Role)
		total += m.Words()
		k, err := c.MarkerTokens(m.Marker)
		if err != nil {
			return 0, err
		}
		total += k
	}
	over, err := c.Overhead(string(roles))
	if err != nil {
		return 0, err
	}
	return total + over, nil
}

// selfCheck compares Count with CountExact on a conversation with a
// marker, several messages of each role and words from every part of the
// vocabulary.
func (c *Counter) selfCheck() error {
	s := &Stream{Scope: 1, IDs: []int64{1, 2, 3, 4, 5, 6, 7, 8}, BlockSize: 64, Tail: 9}
	msgs := []Message{
		{Role: User, Marker: CacheBustMarker(0x0123456789ab), Spans: []Span{{S: s, From: 0, N: 300}}},
		{Role: Assistant, Spans: []Span{{S: s, From: 300, N: 150}}},
		{Role: User, Spans: []Span{{S: s, From: 450, N: 200}, {S: s, From: 650, N: 7}}},
	}
	// Many short messages: a template that lets the words of neighbouring
	// messages run together shows at one of the boundaries.
	from := 657
	for i := range 60 {
		n := 1 + i%3
		msgs = append(msgs, Message{Role: roleName("ua"[i%2]), Spans: []Span{{S: s, From: from, N: n}}})
		from += n
	}
	// Every word of the vocabulary, in one message, once.
	words := make([]byte, 0, c.vocab.Len()*(c.vocab.size+1))
	for i := range c.vocab.Len() {
		if i > 0 {
			words = append(words, ' ')
		}
		words = append(words, c.vocab.words[i]...)
	}
	if n, err := c.tok.Count(string(words), false); err != nil || n != c.vocab.Len() {
		return fmt.Errorf("the tokenizer does not split the prompt words apart: %d words are %d tokens (%v); exact prompts cannot be built with it", c.vocab.Len(), n, err)
	}
	want, err := c.Count(msgs)
	if err != nil {
		return err
	}
	got, err := c.CountExact(msgs)
	if err != nil {
		return err
	}
	if got != want {
		what := "message contents"
		if c.tmpl != nil {
			what = "chat template and message contents"
		}
		return fmt.Errorf("the %s of a sample prompt are %d tokens where word counting gives %d; exact prompts cannot be built with this tokenizer", what, got, want)
	}
	return nil
}
