package chatprompt

import (
	"github.com/inferencex/inferencex-go/tools/loadgen/weka"
)

// Conversation is one agent's chat history during a replay: the messages
// of its requests so far, as descriptors shared between turns.
type Conversation struct {
	c         *Counter
	scope     uint64 // block namespace
	key       uint64 // seed of this agent's unhashed words
	blockSize int
	marker    string
	markerTok int

	msgs  []Message
	roles []byte
	words int // words of msgs
	prev  *weka.Request
	turn  int
}

// NewConversation starts an agent's history. scope is the block namespace
// (Key of the trace id for hash_id_scope local, 0 for global), key seeds the
// words of the prompt beyond its blocks (distinct per agent of a trace),
// marker goes before the first message (the cache-bust prefix, or "").
func NewConversation(c *Counter, scope, key uint64, blockSize int, marker string) (*Conversation, error) {
	mt, err := c.MarkerTokens(marker)
	if err != nil {
		return nil, err
	}
	return &Conversation{c: c, scope: scope, key: key, blockSize: blockSize, marker: marker, markerTok: mt}, nil
}

// Prompt is what one request sends.
type Prompt struct {
	Messages []Message
	Tokens   int  // the prompt's token count, as the Counter counts
	Reset    bool // the history was dropped: the trace's blocks do not extend the previous request's
	// Short is set when the trace asked for fewer tokens than the chat
	// template (and marker) alone take; Tokens then exceeds the trace's in.
	Short bool
}

// Next returns the prompt of the agent's next request: the history with
// the previous request's recorded answer and the new input appended, with
// exactly req.In tokens (at least one). When req's blocks do not extend the
// previous request's (a context compaction, a new thread) the history is
// replaced by one user message of req's blocks.
func (cv *Conversation) Next(req *weka.Request) (Prompt, error) {
	in := max(req.In, 1)
	turn := cv.turn
	cv.turn++
	tail := cv.key ^ mix(uint64(turn)+1)
	if cv.prev != nil && len(cv.msgs) > 0 && req.Blocks.Extends(cv.prev.Blocks) {
		src := &Stream{Scope: cv.scope, IDs: req.Blocks.After(cv.prev.Blocks.Len()), BlockSize: cv.blockSize, Tail: tail}
		over, err := cv.c.Overhead(string(cv.roles) + "au")
		if err != nil {
			return Prompt{}, err
		}
		answer := max(cv.prev.Out, 1)
		room := in - over - cv.words - cv.markerTok
		if room >= 2 {
			// The recorded answer, shortened when the trace's growth
			// leaves less room than it takes; at least one word of input.
			answer = min(answer, room-1)
			cv.append(Message{Role: Assistant, Spans: []Span{{S: src, From: 0, N: answer}}})
			cv.append(Message{Role: User, Spans: []Span{{S: src, From: answer, N: room - answer}}})
			cv.prev = req
			return Prompt{Messages: cv.msgs, Tokens: in}, nil
		}
	}
	// A new history: one user message of the request's blocks.
	src := &Stream{Scope: cv.scope, IDs: req.Blocks.IDs(), BlockSize: cv.blockSize, Tail: tail}
	over, err := cv.c.Overhead("u")
	if err != nil {
		return Prompt{}, err
	}
	words := in - over - cv.markerTok
	p := Prompt{Reset: cv.prev != nil}
	if words < 1 {
		words, p.Short = 1, true
	}
	cv.msgs, cv.roles, cv.words = nil, nil, 0
	cv.append(Message{Role: User, Marker: cv.marker, Spans: []Span{{S: src, From: 0, N: words}}})
	cv.prev = req
	p.Messages, p.Tokens = cv.msgs, over+cv.markerTok+words
	return p, nil
}

func (cv *Conversation) append(m Message) {
	cv.msgs = append(cv.msgs, m)
	cv.roles = append(cv.roles, roleByte(m.Role))
	cv.words += m.Words()
}

// Len is the number of messages in the history.
func (cv *Conversation) Len() int { return len(cv.msgs) }
