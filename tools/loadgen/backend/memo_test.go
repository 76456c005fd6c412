package backend

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// sameParse fails the test unless ParseStream with m gives what Parse gives.
func sameParse(t *testing.T, b Backend, m *Memo, data []byte) {
	t.Helper()
	var got, want Chunk
	gotErr := ParseStream(b, m, data, &got)
	wantErr := b.Parse(data, &want)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%s %q: ParseStream error %v, Parse error %v", b.Name(), data, gotErr, wantErr)
	}
	if !bytes.Equal(got.Text, want.Text) {
		t.Fatalf("%s %q: ParseStream text %q, Parse text %q", b.Name(), data, got.Text, want.Text)
	}
	got.Text, want.Text = nil, nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("%s %q:\nParseStream %+v\nParse       %+v", b.Name(), data, got, want)
	}
}

func TestMemoStreams(t *testing.T) {
	const (
		pre  = `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":`
		post = `,"logprobs":null,"finish_reason":null,"stop_reason":null}]}`
		cpre = `{"id":"chat-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":`
		cend = `},"logprobs":null,"finish_reason":null}]}`
	)
	type step struct {
		data string
		fast bool // the memo must answer without a full parse
	}
	cases := []struct {
		name    string
		backend string
		steps   []step
	}{
		{"a plain stream", "vllm", []step{
			{pre + `" a"` + post, false},
			{pre + `" b"` + post, true},
			{pre + `""` + post, true},
			{pre + `" long text that spans several words"` + post, true},
			{pre + `" c"` + `,"logprobs":null,"finish_reason":"length","stop_reason":null}]}`, false},
			{`{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5}}`, false},
		}},
		{"escapes and non-ASCII text", "sglang", []step{
			{pre + `"x"` + post, false},
			{pre + `"\n\"\\\u00e9"` + post, true},
			{pre + `"é中"` + post, true},
			{pre + `"\ud800"` + post, true},
			{pre + "\"\xff\"" + post, true},
		}},
		{"what is not one string is parsed in full", "vllm", []step{
			{pre + `"x"` + post, false},
			{pre + `5` + post, false},
			{pre + `"x"` + post, false},
			{pre + `null` + post, false},
			{pre + `"x"` + post, false},
			{pre + `"a","text":"b"` + post, false},
			{pre + `"a","text":"c"` + post, true}, // the last "text" is the memo's string
			{pre + `"y"` + post, false},
			{pre + `"y"` + post, true},
			{pre + `"a\q"` + post, false},
			{pre + "\"a\x01\"" + post, false},
			{pre + `"unterminated` + post, false},
			{pre + `"z"` + post, false},
			{pre + `"z"` + post + ` x`, false},
			{pre + `"z"` + post, false},
		}},
		{"a server error is never a memo", "vllm", []step{
			{`{"object":"error","choices":[{"text":"a"}]}`, false},
			{`{"object":"error","choices":[{"text":"b"}]}`, false},
		}},
		{"a chat stream", "openai-chat", []step{
			{`{"id":"chat-1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`, false},
			{cpre + `"Hel"` + cend, false},
			{cpre + `"lo"` + cend, true},
			{cpre + `"!"` + cend, true},
			{`{"id":"chat-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"r","content":"c"}}]}`, false},
			{`{"id":"chat-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"s","content":"c"}}]}`, false},
		}},
		{"logprobs that change are parsed in full", "vllm", []step{
			{`{"choices":[{"text":"a","logprobs":{"tokens":["a"]}}]}`, false},
			{`{"choices":[{"text":"b","logprobs":{"tokens":["b","c"]}}]}`, false},
			{`{"choices":[{"text":"d","logprobs":{"tokens":["b","c"]}}]}`, true},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ByName(tc.backend)
			if err != nil {
				t.Fatal(err)
			}
			var m Memo
			for i, s := range tc.steps {
				var scratch Chunk
				fast := m.valid && m.reuse([]byte(s.data), &scratch)
				if fast != s.fast {
					t.Errorf("step %d %q: memo used %v, want %v", i, s.data, fast, s.fast)
				}
				sameParse(t, b, &m, []byte(s.data))
			}
		})
	}
}

func TestMemoReset(t *testing.T) {
	b, _ := ByName("vllm")
	var m Memo
	var c Chunk
	if err := ParseStream(b, &m, []byte(`{"choices":[{"text":"a"}]}`), &c); err != nil || !m.valid {
		t.Fatalf("err %v, memo valid %v", err, m.valid)
	}
	m.Reset()
	if m.valid {
		t.Fatal("Reset left the memo in use")
	}
}

func TestParseStreamOtherBackends(t *testing.T) {
	for _, name := range []string{"tensorrt-llm", "tgi", "deepspeed-mii"} {
		b, _ := ByName(name)
		var m Memo
		for _, s := range []string{`{"text_output":"a"}`, `{"text_output":"b"}`, `{"generated_text":"x","error":null}`, `{"text":["a"]}`, `nope`} {
			sameParse(t, b, &m, []byte(s))
		}
		if m.valid {
			t.Fatalf("%s used the memo", name)
		}
	}
}

// FuzzMemoMatchesParse holds the memo to its promise: whatever came before,
// a payload reads as Parse reads it.
func FuzzMemoMatchesParse(f *testing.F) {
	const pre, post = `{"id":"c","choices":[{"index":0,"text":`, `,"finish_reason":null}]}`
	for _, p := range [][2]string{
		{pre + `"a"` + post, pre + `"b"` + post},
		{pre + `"a"` + post, pre + `"b","text":"c"` + post},
		{pre + `"a"` + post, pre + `"\u00e9\ud800"` + post},
		{pre + `"a"` + post, pre + `"b` + post},
		{pre + `"a"` + post, pre + `"a"` + post + `}`},
		{`{"choices":[{"delta":{"content":"a"}}]}`, `{"choices":[{"delta":{"content":"\"}}]}"}}]}`},
		{`{"choices":[{"delta":{"content":"a"}}],"usage":null}`, `{"choices":[{"delta":{"content":"b"}}],"usage":{"completion_tokens":2}}`},
	} {
		f.Add([]byte(p[0]), []byte(p[1]))
	}
	f.Fuzz(func(t *testing.T, first, next []byte) {
		for _, name := range []string{"vllm", "openai-chat"} {
			b, _ := ByName(name)
			var m Memo
			var c Chunk
			err := ParseStream(b, &m, first, &c)
			var pe *PayloadError
			if err != nil && !errors.As(err, &pe) {
				t.Fatalf("%s: error %v is not a PayloadError", name, err)
			}
			sameParse(t, b, &m, next)
			sameParse(t, b, &m, next)
		}
	})
}

func BenchmarkParseStreamCompletions(b *testing.B) {
	const pre, post = `{"id":"cmpl-5b1f3c2a9d","object":"text_completion","created":1739000000,"model":"deepseek-ai/DeepSeek-R1","choices":[{"index":0,"text":`, `,"logprobs":null,"finish_reason":null,"stop_reason":null}]}`
	chunks := [][]byte{[]byte(pre + `" token"` + post), []byte(pre + `" other"` + post)}
	be, _ := ByName("vllm")
	var m Memo
	var c Chunk
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ParseStream(be, &m, chunks[i&1], &c); err != nil || !c.Token {
			b.Fatal(err)
		}
	}
}

// TestStrEveryByteEveryOffset puts each byte value at each offset of a
// string long enough for the eight-byte skipping, and checks str against a
// byte-at-a-time reading of JSON's string rules.
func TestStrEveryByteEveryOffset(t *testing.T) {
	for b := 0; b < 256; b++ {
		for off := 0; off < 20; off++ {
			raw := bytes.Repeat([]byte("a"), 24)
			raw[off] = byte(b)
			data := append(append([]byte{'"'}, raw...), '"')
			s := scanner{data: data}
			sp, err := s.str()

			// The reference: where the string ends, and whether it is valid.
			wantEnd, wantErr, ascii := -1, false, true
			for i := 1; i < len(data); i++ {
				c := data[i]
				if c == '"' {
					wantEnd = i + 1
					break
				}
				if c < 0x20 {
					wantErr = true
					break
				}
				if c == '\\' {
					if data[i+1] != '"' && data[i+1] != '\\' && data[i+1] != 'a' { // 'a' is not an escape
						wantErr = true
						break
					}
					wantErr = data[i+1] == 'a'
					if wantErr {
						break
					}
					i++
					continue
				}
				if c >= 0x80 {
					ascii = false
				}
			}
			if wantEnd < 0 && !wantErr {
				wantErr = true // the closing quote was escaped
			}
			if (err != nil) != wantErr {
				t.Fatalf("byte %#x at %d: error %v, want error %v", b, off, err, wantErr)
			}
			if err == nil && (sp.end != wantEnd || sp.ascii != ascii || sp.escaped != (b == '\\')) {
				t.Fatalf("byte %#x at %d: span %+v, want end %d ascii %v", b, off, sp, wantEnd, ascii)
			}
		}
	}
}
