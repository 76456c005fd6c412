package chatprompt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
)

// Span is n words of a stream starting at word From.
type Span struct {
	S       *Stream
	From, N int
}

// Message is one chat message as words of streams, after an optional
// marker (the cache-bust prefix).
type Message struct {
	Role   string
	Marker string
	Spans  []Span
}

// Words is the number of words of the message.
func (m *Message) Words() int {
	n := 0
	for _, s := range m.Spans {
		n += s.N
	}
	return n
}

// Content is the message text.
func (m *Message) Content(v *Vocab) string {
	b := []byte(m.Marker)
	first := true
	for _, s := range m.Spans {
		if s.N == 0 {
			continue
		}
		if !first {
			b = append(b, ' ')
		}
		b = v.Words(b, s.S, s.From, s.N)
		first = false
	}
	return string(b)
}

// CacheBustMarker is the text put before the first message of every agent
// of one play of a trace, so that a replayed trace never finds the cache
// warm from an earlier play: AIPerf's "[rid:<12 hex digits>]" and a blank
// line.
func CacheBustMarker(id uint64) string {
	return fmt.Sprintf("[rid:%012x]\n\n", id&0xffffffffffff)
}

// Body is a chat completions request body generated as it is read: the
// history is never held as text. It is an io.Reader of known length.
type Body struct {
	vocab  *Vocab
	pieces []piece
	length int64

	// Reading state.
	cur  int    // piece being read
	word int    // next word of the current span piece
	buf  []byte // generated, not yet read
	off  int
}

// piece is literal bytes or a span of words; a span's first word follows a
// space when sep is set.
type piece struct {
	lit  []byte
	span Span
	sep  bool
}

// BodyOptions are the request fields besides the messages.
type BodyOptions struct {
	Model     string
	MaxTokens int
	// LegacyMaxTokens sends max_tokens instead of max_completion_tokens.
	LegacyMaxTokens bool
	// Extra are more top-level fields (ignore_eos, --extra-inputs), in order.
	Extra []Field
}

// Field is one extra top-level request field with its JSON value.
type Field struct {
	Key   string
	Value json.RawMessage
}

// NewBody prepares the body of a streaming chat completions request for
// msgs.
func NewBody(v *Vocab, msgs []Message, o BodyOptions) (*Body, error) {
	b := &Body{vocab: v}
	model, err := json.Marshal(o.Model)
	if err != nil {
		return nil, err
	}
	b.lit(`{"model":` + string(model) + `,"messages":[`)
	for i, m := range msgs {
		if m.Role != User && m.Role != Assistant {
			return nil, fmt.Errorf("message %d: unknown role %q", i, m.Role)
		}
		if i > 0 {
			b.lit(",")
		}
		marker, err := json.Marshal(m.Marker)
		if err != nil {
			return nil, err
		}
		b.lit(`{"role":"` + m.Role + `","content":` + strings.TrimSuffix(string(marker), `"`))
		first := true
		for _, s := range m.Spans {
			if s.N == 0 {
				continue
			}
			if s.N < 0 || s.From < 0 {
				return nil, fmt.Errorf("message %d: bad word span %d+%d", i, s.From, s.N)
			}
			b.pieces = append(b.pieces, piece{span: s, sep: !first})
			b.length += int64(s.N*(v.size+1) - 1)
			if !first {
				b.length++
			}
			first = false
		}
		b.lit(`"}`)
	}
	field := "max_completion_tokens"
	if o.LegacyMaxTokens {
		field = "max_tokens"
	}
	b.lit(fmt.Sprintf(`],"stream":true,"stream_options":{"include_usage":true},"%s":%d`, field, o.MaxTokens))
	for _, f := range o.Extra {
		key, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		if !json.Valid(f.Value) {
			return nil, fmt.Errorf("extra field %s: value is not JSON", f.Key)
		}
		b.lit("," + string(key) + ":" + string(f.Value))
	}
	b.lit("}")
	return b, nil
}

func (b *Body) lit(s string) {
	if n := len(b.pieces); n > 0 && b.pieces[n-1].lit != nil {
		b.pieces[n-1].lit = append(b.pieces[n-1].lit, s...)
	} else {
		b.pieces = append(b.pieces, piece{lit: []byte(s)})
	}
	b.length += int64(len(s))
}

// Len is the body's length in bytes.
func (b *Body) Len() int64 { return b.length }

// chunk is how much is generated at a time.
const chunk = 32 << 10

// Read generates the next bytes of the body.
func (b *Body) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if b.off < len(b.buf) {
			c := copy(p[n:], b.buf[b.off:])
			b.off += c
			n += c
			continue
		}
		if b.cur >= len(b.pieces) {
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		if b.cur > 0 {
			// Generating a long body is the client's heaviest work; between
			// chunks, let a goroutine with something due (the replay's
			// scheduler) have the processor rather than wait for preemption.
			runtime.Gosched()
		}
		b.fill()
	}
	return n, nil
}

// fill generates the next chunk into buf.
func (b *Body) fill() {
	b.buf, b.off = b.buf[:0], 0
	for len(b.buf) < chunk && b.cur < len(b.pieces) {
		pc := &b.pieces[b.cur]
		if pc.lit != nil {
			b.buf = append(b.buf, pc.lit...)
			b.cur++
			continue
		}
		left := pc.span.N - b.word
		take := min(left, max(1, (chunk-len(b.buf))/(b.vocab.size+1)))
		if b.word > 0 || pc.sep {
			b.buf = append(b.buf, ' ')
		}
		b.buf = b.vocab.Words(b.buf, pc.span.S, pc.span.From+b.word, take)
		b.word += take
		if b.word == pc.span.N {
			b.cur++
			b.word = 0
		}
	}
}

// Reset rewinds the body to its start (for a retry).
func (b *Body) Reset() { b.cur, b.word, b.buf, b.off = 0, 0, b.buf[:0], 0 }

// ErrShort marks a prompt that could not be made as short as the trace
// asks: the chat template alone (with the marker) is longer.
var ErrShort = errors.New("the prompt cannot be as short as the trace asks")
