package backend

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// parseOpenAI reads one completions or chat chunk. It is the client's hot
// path (once per streamed chunk), so instead of decoding the whole object
// it walks the JSON once, validating all of it, and keeps only the fields a
// benchmark needs. The meaning is that of json.loads followed by the
// original's dict lookups: keys are case-sensitive and a repeated key's last
// value wins.
func parseOpenAI(data []byte, c *Chunk, isChat bool) error {
	_, err := parseOpenAIText(data, c, isChat)
	return err
}

// parseOpenAIText is parseOpenAI that also returns the string the chunk's
// text came from, when it came from exactly one (ok is false otherwise).
func parseOpenAIText(data []byte, c *Chunk, isChat bool) (span, error) {
	*c = Chunk{Text: c.Text[:0], PromptTokens: -1}
	s := scanner{data: data}
	st := chunkState{isChat: isChat}
	if err := s.topObject(&st); err != nil {
		return span{}, err
	}
	// A server's error report wins over anything odd about its shape.
	if st.errorSet || st.objectIsError {
		return span{}, payloadErr(ServerError, "server error in stream", data)
	}
	if msg := st.shapeError(); msg != "" {
		return span{}, payloadErr(Malformed, msg, data)
	}
	if st.usage.completion >= 0 {
		c.HasUsage = true
		c.CompletionTokens = st.usage.completion
		c.PromptTokens = st.usage.prompt
	}
	switch {
	case !st.choices.present:
		if st.usage.present {
			return span{}, nil
		}
		return span{}, payloadErr(Malformed, "chunk has neither choices nor usage", data)
	case !st.choices.first:
		return span{}, nil // the usage chunk, or a keep-alive
	}
	ch := &st.choices
	if isChat && !ch.delta.present {
		return span{}, payloadErr(Malformed, "chat chunk choice has no delta", data)
	}
	c.Token = true
	var only span
	parts := 0
	for _, part := range [...]field{ch.delta.reasoningContent, ch.delta.reasoning, ch.delta.content, ch.text} {
		if part.span.ok {
			c.Text = s.appendString(c.Text, part.span)
			only = part.span
			parts++
		}
	}
	c.ChunkTokens = ch.logprobs.count
	if parts != 1 {
		return span{}, nil
	}
	return only, nil
}

// Memo carries what parsing one chunk of a stream learnt to the next. A
// server streams chunks that differ in nothing but the generated text (the
// id, timestamps and model name are fixed for the request), so a chunk whose
// bytes equal the last fully parsed one's around its text string, with one
// JSON string in that place, means what that chunk meant with the new text:
// JSON gives the same reading to the same bytes before and after one string
// token. Checking that is two comparisons and a scan of the text, a tenth of
// a full parse; anything else is parsed in full, so the result never
// differs from Parse's. The zero Memo is ready to use.
type Memo struct {
	shape      []byte // the last chunk parsed in full
	start, end int    // its text string: shape[start:end], quotes included
	chunk      Chunk  // what it held (Text aside)
	valid      bool
}

// Reset forgets the last chunk.
func (m *Memo) Reset() { m.valid = false }

func parseOpenAIMemo(m *Memo, data []byte, c *Chunk, isChat bool) error {
	if m.valid && m.reuse(data, c) {
		return nil
	}
	sp, err := parseOpenAIText(data, c, isChat)
	m.valid = err == nil && sp.ok && len(data) <= maxMemo
	if m.valid {
		m.shape = append(m.shape[:0], data...)
		m.start, m.end = sp.start, sp.end
		m.chunk = *c
		m.chunk.Text = nil
	}
	return err
}

// maxMemo bounds the chunk a Memo copies; longer ones are parsed in full.
const maxMemo = 4096

// reuse reads data through the memo when only the text string differs.
func (m *Memo) reuse(data []byte, c *Chunk) bool {
	pre, suf := m.shape[:m.start], m.shape[m.end:]
	if len(data) < len(pre)+2+len(suf) || data[len(pre)] != '"' ||
		!bytes.Equal(data[:len(pre)], pre) || !bytes.Equal(data[len(data)-len(suf):], suf) {
		return false
	}
	s := scanner{data: data, i: len(pre)}
	sp, err := s.str()
	if err != nil || sp.end != len(data)-len(suf) {
		return false
	}
	text := c.Text[:0]
	*c = m.chunk
	c.Text = s.appendString(text, sp)
	return true
}

// span is a JSON string value inside the payload.
type span struct {
	start, end int // the quoted string is data[start:end]
	escaped    bool
	ascii      bool // no byte above 0x7f (so valid UTF-8 without checking)
	ok         bool
}

// field is an optional string member; err says what was wrong with its
// value. A repeated key replaces both, as the last value of a JSON key wins.
type field struct {
	span span
	err  string
}

type deltaState struct {
	present                              bool
	err                                  string
	content, reasoningContent, reasoning field
}

type logprobsState struct {
	count int
	err   string
}

type choicesState struct {
	present  bool   // a non-null "choices"
	err      string // not an array, or its first element not an object
	first    bool   // it had a first element
	text     field
	delta    deltaState
	logprobs logprobsState
}

type usageState struct {
	present            bool
	err                string
	completion, prompt int // -1 when absent or null
	completionErr      string
	promptErr          string
}

type chunkState struct {
	isChat        bool
	choices       choicesState
	usage         usageState
	errorSet      bool
	objectIsError bool
}

// shapeError is the first thing wrong with the shape of the chunk.
func (st *chunkState) shapeError() string {
	ch := &st.choices
	for _, e := range [...]string{ch.err, ch.text.err, ch.delta.err, ch.delta.content.err, ch.delta.reasoningContent.err,
		ch.delta.reasoning.err, ch.logprobs.err, st.usage.err, st.usage.completionErr, st.usage.promptErr} {
		if e != "" {
			return e
		}
	}
	return ""
}

// maxDepth bounds nesting as encoding/json does, so that a hostile payload
// cannot exhaust the stack.
const maxDepth = 10000

type scanner struct {
	data  []byte
	i     int
	depth int
}

func (s *scanner) fail(msg string) error {
	return payloadErr(Malformed, "chunk is not JSON ("+msg+" at byte "+strconv.Itoa(s.i)+")", s.data)
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

func (s *scanner) topObject(st *chunkState) error {
	st.usage.completion, st.usage.prompt = -1, -1
	if s.peek() != '{' {
		if err := s.skipValue(); err != nil {
			return err
		}
		if err := s.end(); err != nil {
			return err
		}
		return payloadErr(Malformed, "chunk is not a JSON object", s.data)
	}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "choices":
			return s.choices(st)
		case "usage":
			return s.usage(st)
		case "error":
			null, err := s.nullOrSkip()
			st.errorSet = !null
			return err
		case "object":
			st.objectIsError = false
			if s.peek() == '"' {
				sp, err := s.str()
				st.objectIsError = err == nil && s.stringEquals(sp, "error")
				return err
			}
			return s.skipValue()
		}
		return s.skipValue()
	})
	if err != nil {
		return err
	}
	return s.end()
}

func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.data) {
		return s.fail("data after the value")
	}
	return nil
}

// kindOf names the JSON type of the value at the scanner, for messages.
func (s *scanner) kindOf() byte { return s.peek() }

// expectOr consumes a value that is not of the wanted kind and returns the
// message for it; ok is true when the value is of that kind and was left
// unconsumed. A null consumes and returns ok false with no message.
func (s *scanner) expectOr(want byte, what string) (ok bool, msg string, err error) {
	return s.expectOrName(want, what, "")
}

// expectOrName is expectOr with the message built only when it is needed:
// "chunk's <name> is not <what>" (an allocation per chunk otherwise).
func (s *scanner) expectOrName(want byte, what, name string) (ok bool, msg string, err error) {
	if name != "" && s.kindOf() != want && s.kindOf() != 'n' {
		what = "chunk's " + name + " is not " + what
	}
	switch c := s.kindOf(); c {
	case want:
		return true, "", nil
	case 'n':
		return false, "", s.literal("null")
	}
	return false, what, s.skipValue()
}

func (s *scanner) choices(st *chunkState) error {
	ch := &st.choices
	*ch = choicesState{}
	ok, msg, err := s.expectOr('[', "chunk's choices is not an array")
	if !ok {
		ch.present = msg != ""
		ch.err = msg
		return err
	}
	ch.present = true
	n := 0
	return s.array(func() error {
		n++
		if n > 1 {
			return s.skipValue()
		}
		ch.first = true
		if s.kindOf() != '{' {
			ch.err = "chunk's first choice is not an object"
			return s.skipValue()
		}
		return s.object(func(key []byte) error {
			switch {
			case string(key) == "text" && !st.isChat:
				return s.optString(&ch.text, "text")
			case string(key) == "delta" && st.isChat:
				return s.delta(st)
			case string(key) == "logprobs":
				return s.logprobs(st)
			}
			return s.skipValue()
		})
	})
}

func (s *scanner) delta(st *chunkState) error {
	d := &st.choices.delta
	*d = deltaState{}
	ok, msg, err := s.expectOr('{', "chat chunk's delta is not an object")
	if !ok {
		d.present = msg != ""
		d.err = msg
		return err
	}
	d.present = true
	return s.object(func(key []byte) error {
		switch string(key) {
		case "content":
			return s.optString(&d.content, "delta.content")
		case "reasoning_content":
			return s.optString(&d.reasoningContent, "delta.reasoning_content")
		case "reasoning":
			return s.optString(&d.reasoning, "delta.reasoning")
		}
		return s.skipValue()
	})
}

func (s *scanner) logprobs(st *chunkState) error {
	lp := &st.choices.logprobs
	*lp = logprobsState{}
	ok, msg, err := s.expectOr('{', "chunk's logprobs is not an object")
	if !ok {
		lp.err = msg
		return err
	}
	want, name := "tokens", "logprobs.tokens"
	if st.isChat {
		want, name = "content", "logprobs.content"
	}
	return s.object(func(key []byte) error {
		if string(key) != want {
			return s.skipValue()
		}
		lp.count, lp.err = 0, ""
		ok, msg, err := s.expectOrName('[', "an array", name)
		if !ok {
			lp.err = msg
			return err
		}
		n := 0
		err = s.array(func() error { n++; return s.skipValue() })
		lp.count = n
		return err
	})
}

func (s *scanner) usage(st *chunkState) error {
	u := &st.usage
	*u = usageState{completion: -1, prompt: -1}
	ok, msg, err := s.expectOr('{', "chunk's usage is not an object")
	if !ok {
		u.present = msg != ""
		u.err = msg
		return err
	}
	u.present = true
	return s.object(func(key []byte) error {
		switch string(key) {
		case "completion_tokens":
			return s.optCount(&u.completion, &u.completionErr, "usage.completion_tokens")
		case "prompt_tokens":
			return s.optCount(&u.prompt, &u.promptErr, "usage.prompt_tokens")
		}
		return s.skipValue()
	})
}

// optString reads a string or null into f.
func (s *scanner) optString(f *field, name string) error {
	*f = field{}
	ok, msg, err := s.expectOrName('"', "a string", name)
	if !ok {
		f.err = msg
		return err
	}
	f.span, err = s.str()
	return err
}

// optCount reads a non-negative integer, or null as -1, into n.
func (s *scanner) optCount(n *int, msg *string, name string) error {
	*n, *msg = -1, ""
	switch c := s.kindOf(); {
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		start := s.i
		if err := s.number(); err != nil {
			return err
		}
		v, err := strconv.ParseInt(string(s.data[start:s.i]), 10, 0)
		if err != nil || v < 0 {
			*msg = "chunk's " + name + " is not a non-negative integer"
			return nil
		}
		*n = int(v)
		return nil
	}
	*msg = "chunk's " + name + " is not a number"
	return s.skipValue()
}

// object walks an object, calling field with each key (unescaped) with the
// scanner at its value; field must consume the value.
func (s *scanner) object(field func(key []byte) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.i++ // '{'
	var keyBuf []byte
	if s.peek() == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.fail("expected a key")
		}
		sp, err := s.str()
		if err != nil {
			return err
		}
		key := s.data[sp.start+1 : sp.end-1]
		if sp.escaped || !sp.ascii && !utf8.Valid(key) {
			keyBuf = s.appendString(keyBuf[:0], sp)
			key = keyBuf
		}
		if s.peek() != ':' {
			return s.fail("expected ':'")
		}
		s.i++
		s.ws()
		if err := field(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or '}'")
		}
	}
}

// array walks an array, calling elem with the scanner at each element.
func (s *scanner) array(elem func() error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.i++ // '['
	if s.peek() == ']' {
		s.i++
		s.depth--
		return nil
	}
	for {
		s.ws()
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or ']'")
		}
	}
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return s.fail("nested too deeply")
	}
	return nil
}

// nullOrSkip consumes a value and tells whether it was null.
func (s *scanner) nullOrSkip() (bool, error) {
	if s.peek() == 'n' {
		return true, s.literal("null")
	}
	return false, s.skipValue()
}

// skipValue consumes and validates any value.
func (s *scanner) skipValue() error {
	switch c := s.peek(); {
	case c == '{':
		return s.object(func([]byte) error { return s.skipValue() })
	case c == '[':
		return s.array(s.skipValue)
	case c == '"':
		_, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case s.i >= len(s.data):
		return s.fail("unexpected end")
	}
	return s.fail("unexpected character")
}

func (s *scanner) literal(lit string) error {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return s.fail("invalid literal")
	}
	s.i += len(lit)
	return nil
}

func (s *scanner) number() error {
	d := s.data
	i := s.i
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		s.i = i
		return s.fail("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.i = i
			return s.fail("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.i = i
			return s.fail("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	s.i = i
	return nil
}

// str consumes a string and returns where it lies. Plain runs of a string
// (no quote, backslash, control or non-ASCII byte) are skipped eight bytes
// at a time: string contents are most of a chunk's bytes.
func (s *scanner) str() (span, error) {
	d := s.data
	sp := span{start: s.i, ok: true, ascii: true}
	i := s.i + 1
	for {
		for i+8 <= len(d) {
			w := binary.LittleEndian.Uint64(d[i:])
			m := stopBytes(w)
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		if i >= len(d) {
			s.i = i
			return span{}, s.fail("unterminated string")
		}
		switch c := d[i]; {
		case c == '"':
			s.i = i + 1
			sp.end = s.i
			return sp, nil
		case c == '\\':
			sp.escaped = true
			if i+1 >= len(d) {
				s.i = i
				return span{}, s.fail("unterminated string")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					s.i = i
					return span{}, s.fail("invalid \\u escape")
				}
				i += 6
			default:
				s.i = i
				return span{}, s.fail("invalid escape")
			}
		case c < 0x20:
			s.i = i
			return span{}, s.fail("control character in string")
		default:
			if c >= 0x80 {
				sp.ascii = false
			}
			i++
		}
	}
}

// stopBytes marks (with its high bit) each byte of the little-endian word w
// that str must look at one by one: '"', '\\', a control character or a
// byte of a multi-byte UTF-8 sequence. Bits above the lowest mark may be
// spurious (a borrow carries into the next byte), so only the lowest one is
// to be trusted.
func stopBytes(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ ('"' * ones)
	b := w ^ ('\\' * ones)
	return ((q-ones)&^q | (b-ones)&^b | (w-0x20*ones)&^w | w) & highs
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// appendString appends the decoded value of a string span. Strings without
// escapes that are valid UTF-8 (nearly all) are copied as they are; the rest
// go through encoding/json, whose handling of escapes, surrogates and bad
// UTF-8 (replaced by U+FFFD) is the reference.
func (s *scanner) appendString(dst []byte, sp span) []byte {
	raw := s.data[sp.start+1 : sp.end-1]
	if !sp.escaped && (sp.ascii || utf8.Valid(raw)) {
		return append(dst, raw...)
	}
	var v string
	if err := json.Unmarshal(s.data[sp.start:sp.end], &v); err != nil {
		return append(dst, raw...) // cannot happen: str validated it
	}
	return append(dst, v...)
}

func (s *scanner) stringEquals(sp span, want string) bool {
	raw := s.data[sp.start+1 : sp.end-1]
	if !sp.escaped {
		return string(raw) == want
	}
	return string(s.appendString(nil, sp)) == want
}
