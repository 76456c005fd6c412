// Package sse reads the server-sent event streams that OpenAI-compatible
// inference servers answer streaming requests with, one line at a time, and
// stamps every line with the moment its last byte came off the connection.
//
// It follows what the serving stacks write (vLLM, SGLang, TensorRT-LLM,
// TGI): each "data:" line is one payload. Lines are not length-limited, so a
// single chunk carrying a long context never fails, and the buffer is reused,
// so a stream costs no allocation per line once it has warmed up.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// Event is one data line of a stream.
type Event struct {
	// Data is the payload after "data:" with surrounding white space
	// removed. It is only valid until the next call to Next.
	Data []byte
	// At is when the read that delivered the line's final byte returned:
	// the arrival time of the line, not the time it was parsed.
	At time.Time
}

// Done tells whether the event is the OpenAI end-of-stream marker.
func (e Event) Done() bool { return string(e.Data) == "[DONE]" }

// ErrMalformed is wrapped by the error for a line that is neither empty, a
// comment nor an SSE field.
var ErrMalformed = errors.New("malformed server-sent event line")

// MalformedLineError is a line that is not server-sent-event framing.
type MalformedLineError struct {
	Line string // the first bytes of the line
}

func (e *MalformedLineError) Error() string {
	return fmt.Sprintf("%v: %q", ErrMalformed, e.Line)
}

func (e *MalformedLineError) Unwrap() error { return ErrMalformed }

const (
	initialBuffer = 16 << 10
	quoteLimit    = 120 // bytes of a bad line kept in its error
)

// Reader splits a stream into events.
type Reader struct {
	src   io.Reader
	clock func() time.Time
	buf   []byte
	r, w  int       // unread bytes are buf[r:w]
	at    time.Time // when the latest read returned
	scan  int       // buf[r:scan] is known to hold no newline
	err   error     // sticky error of src
}

// NewReader returns a Reader of src. clock is called once after every read
// of src that returned data; time.Now when nil.
func NewReader(src io.Reader, clock func() time.Time) *Reader {
	if clock == nil {
		clock = time.Now
	}
	return &Reader{src: src, clock: clock}
}

// SetClock replaces the clock; nil means time.Now.
func (r *Reader) SetClock(clock func() time.Time) {
	if clock == nil {
		clock = time.Now
	}
	r.clock = clock
}

// Reset makes the Reader read a new stream, keeping its buffer.
func (r *Reader) Reset(src io.Reader) {
	r.src = src
	r.r, r.w, r.scan = 0, 0, 0
	r.err = nil
	r.at = time.Time{}
}

// Next returns the next data event. At the end of the stream it returns
// io.EOF; a stream that ends inside a line returns that line first, as
// Python's line iteration does. A line that is not SSE framing is a
// *MalformedLineError; the Reader stays usable after it.
func (r *Reader) Next() (Event, error) {
	for {
		line, at, err := r.line()
		if err != nil {
			return Event{}, err
		}
		line = trimSpace(line)
		switch {
		case len(line) == 0, line[0] == ':':
			// Blank lines end events; ":" lines are comments (keep-alives).
			continue
		case bytes.HasPrefix(line, dataField):
			return Event{Data: trimSpace(line[len(dataField):]), At: at}, nil
		case isField(line):
			// event:, id: and retry: carry nothing a benchmark uses.
			continue
		default:
			q := line
			if len(q) > quoteLimit {
				q = q[:quoteLimit]
			}
			return Event{}, &MalformedLineError{Line: string(q)}
		}
	}
}

var dataField = []byte("data:")

// trimSpace removes ASCII white space at both ends, as Python's
// bytes.strip() does.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isField(line []byte) bool {
	name, _, _ := bytes.Cut(line, []byte(":"))
	switch string(name) {
	case "event", "id", "retry":
		return true
	}
	return false
}

// line returns the next line without its terminator, and when it arrived.
func (r *Reader) line() ([]byte, time.Time, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.scan:r.w], '\n'); i >= 0 {
			end := r.scan + i
			line := r.buf[r.r:end]
			r.r = end + 1
			r.scan = r.r
			return line, r.at, nil
		}
		r.scan = r.w
		if r.err != nil {
			if r.r < r.w {
				line := r.buf[r.r:r.w]
				r.r, r.scan = r.w, r.w
				return line, r.at, nil
			}
			return nil, time.Time{}, r.err
		}
		r.fill()
	}
}

// fill reads more of src, making room first.
func (r *Reader) fill() {
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.scan -= r.r
		r.r, r.w = 0, n
	}
	if r.w == len(r.buf) {
		size := 2 * len(r.buf)
		if size == 0 {
			size = initialBuffer
		}
		nb := make([]byte, size)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	n, err := r.src.Read(r.buf[r.w:])
	if n > 0 {
		r.at = r.clock()
		r.w += n
	}
	if err != nil {
		r.err = err
	} else if n == 0 {
		// A reader that returns nothing and no error is allowed to; try
		// again rather than spin forever on a broken one.
		n, err = r.src.Read(r.buf[r.w:])
		if n > 0 {
			r.at = r.clock()
			r.w += n
		}
		if err != nil {
			r.err = err
		} else if n == 0 {
			r.err = io.ErrNoProgress
		}
	}
}
