package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// pieces is a reader that returns one piece per Read, as a network
// connection delivers packets.
type pieces struct {
	parts [][]byte
	reads int
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.parts[0])
	p.parts[0] = p.parts[0][n:]
	if len(p.parts[0]) == 0 {
		p.parts = p.parts[1:]
	}
	p.reads++
	return n, nil
}

// fakeClock returns 1s, 2s, 3s… after the epoch, one tick per call.
func fakeClock() func() time.Time {
	n := 0
	return func() time.Time {
		n++
		return time.Unix(int64(n), 0)
	}
}

type got struct {
	data string
	at   int64 // seconds of the fake clock
}

func readAll(t *testing.T, r *Reader) ([]got, error) {
	t.Helper()
	var out []got
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, got{string(ev.Data), ev.At.Unix()})
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
		want  []got
		err   error
	}{
		{
			name:  "vllm framing",
			parts: []string{"data: {\"a\":1}\n\n", "data: {\"a\":2}\n\ndata: [DONE]\n\n"},
			want:  []got{{`{"a":1}`, 1}, {`{"a":2}`, 2}, {"[DONE]", 2}},
		},
		{
			name:  "line split across reads is stamped with the read that completed it",
			parts: []string{"data: {\"a\"", ":1}", "\n\n"},
			want:  []got{{`{"a":1}`, 3}},
		},
		{
			name:  "crlf, no space after colon, comments, other fields",
			parts: []string{": ping\r\nevent: message\r\nid: 7\r\nretry: 10\r\ndata:{\"x\":true}\r\n\r\n"},
			want:  []got{{`{"x":true}`, 1}},
		},
		{
			name:  "stream ending inside a line yields that line",
			parts: []string{"data: {}\n", "data: tail"},
			want:  []got{{"{}", 1}, {"tail", 2}},
		},
		{
			name:  "white space around the payload is dropped",
			parts: []string{"   data:    [DONE]   \n"},
			want:  []got{{"[DONE]", 1}},
		},
		{
			name:  "malformed line",
			parts: []string{"data: {}\n{\"not\": \"sse\"}\n"},
			want:  []got{{"{}", 1}},
			err:   ErrMalformed,
		},
		{
			name:  "empty stream",
			parts: nil,
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pieces{}
			for _, s := range tt.parts {
				p.parts = append(p.parts, []byte(s))
			}
			r := NewReader(p, fakeClock())
			out, err := readAll(t, r)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if len(out) != len(tt.want) {
				t.Fatalf("got %v, want %v", out, tt.want)
			}
			for i := range out {
				if out[i] != tt.want[i] {
					t.Errorf("event %d: got %+v, want %+v", i, out[i], tt.want[i])
				}
			}
		})
	}
}

func TestLongLineHasNoLimit(t *testing.T) {
	payload := strings.Repeat("x", 5<<20) // far past any fixed line buffer
	src := "data: " + payload + "\n\ndata: [DONE]\n\n"
	r := NewReader(strings.NewReader(src), nil)
	ev, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Data) != len(payload) {
		t.Fatalf("payload of %d bytes, want %d", len(ev.Data), len(payload))
	}
	ev, err = r.Next()
	if err != nil || !ev.Done() {
		t.Fatalf("second event %q, %v; want [DONE]", ev.Data, err)
	}
}

func TestReadErrorIsReturnedAfterBufferedLines(t *testing.T) {
	boom := errors.New("connection reset")
	r := NewReader(io.MultiReader(strings.NewReader("data: 1\ndata: 2\n"), errReader{boom}), nil)
	for _, want := range []string{"1", "2"} {
		ev, err := r.Next()
		if err != nil || string(ev.Data) != want {
			t.Fatalf("got %q, %v; want %q", ev.Data, err, want)
		}
	}
	if _, err := r.Next(); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestReaderThatNeverProgresses(t *testing.T) {
	r := NewReader(zeroReader{}, nil)
	if _, err := r.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

func TestResetKeepsWorking(t *testing.T) {
	r := NewReader(strings.NewReader("data: a\n"), nil)
	if ev, err := r.Next(); err != nil || string(ev.Data) != "a" {
		t.Fatal(ev, err)
	}
	r.Reset(strings.NewReader("data: b\n"))
	if ev, err := r.Next(); err != nil || string(ev.Data) != "b" {
		t.Fatal(ev, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatal(err)
	}
}

// reference is the plain reading of a whole stream: split on newlines,
// trim, keep data lines, stop at the first line that is not SSE.
func reference(src []byte) (data []string, malformed bool) {
	for _, line := range bytes.Split(src, []byte("\n")) {
		line = bytes.Trim(line, " \t\n\r\v\f")
		switch {
		case len(line) == 0 || line[0] == ':':
		case bytes.HasPrefix(line, []byte("data:")):
			data = append(data, string(bytes.Trim(line[5:], " \t\n\r\v\f")))
		default:
			name, _, _ := bytes.Cut(line, []byte(":"))
			switch string(name) {
			case "event", "id", "retry":
			default:
				return data, true
			}
		}
	}
	return data, false
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"text\":\"hi\"}]}\n\ndata: [DONE]\n\n"), uint8(3))
	f.Add([]byte(": ping\r\nevent: x\r\ndata:{}\r\n"), uint8(1))
	f.Add([]byte("garbage\n"), uint8(0))
	f.Add([]byte("data: unterminated"), uint8(7))
	f.Add([]byte("\n\n\r\r data \n"), uint8(2))
	f.Fuzz(func(t *testing.T, src []byte, step uint8) {
		// Deliver the stream in pieces of step+1 bytes so that every split
		// point gets exercised.
		p := &pieces{}
		for rest := src; len(rest) > 0; {
			n := min(int(step)+1, len(rest))
			p.parts = append(p.parts, append([]byte(nil), rest[:n]...))
			rest = rest[n:]
		}
		r := NewReader(p, fakeClock())
		var out []string
		var err error
		for {
			var ev Event
			ev, err = r.Next()
			if err != nil {
				break
			}
			if ev.At.Unix() < 1 || ev.At.Unix() > int64(p.reads) {
				t.Fatalf("event stamped %v after %d reads", ev.At.Unix(), p.reads)
			}
			out = append(out, string(ev.Data))
		}
		want, malformed := reference(src)
		if malformed != errors.Is(err, ErrMalformed) {
			t.Fatalf("malformed: reader %v, reference %v", err, malformed)
		}
		if !malformed && err != io.EOF {
			t.Fatalf("unexpected error %v", err)
		}
		if len(out) != len(want) {
			t.Fatalf("events %q, want %q", out, want)
		}
		for i := range out {
			if out[i] != want[i] {
				t.Fatalf("event %d: %q, want %q", i, out[i], want[i])
			}
		}
	})
}

func BenchmarkReader(b *testing.B) {
	chunk := []byte(`data: {"id":"cmpl-5b1f","object":"text_completion","created":1739000000,"model":"deepseek-ai/DeepSeek-R1","choices":[{"index":0,"text":" token","logprobs":null,"finish_reason":null,"stop_reason":null}]}` + "\n\n")
	stream := bytes.Repeat(chunk, 1024)
	src := bytes.NewReader(stream)
	r := NewReader(src, nil)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Next(); err != nil {
			src.Reset(stream)
			r.Reset(src)
		}
	}
}
