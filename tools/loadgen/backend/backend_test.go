package backend

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestByName(t *testing.T) {
	for _, n := range Names() {
		b, err := ByName(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if b.Name() != n && !(n == "openai-chat" && b.Name() == "openai-chat") {
			t.Errorf("%s: Name() = %s", n, b.Name())
		}
		if err := b.CheckURL("http://h:1" + DefaultEndpoint(b)); err != nil {
			t.Errorf("%s: default endpoint rejected: %v", n, err)
		}
	}
	if _, err := ByName("trt"); err == nil || !strings.Contains(err.Error(), "tensorrt-llm") {
		t.Errorf("unknown backend error %v should list the names", err)
	}
}

func TestSendsAPIKey(t *testing.T) {
	want := map[string]bool{"vllm": true, "sglang": true, "openai": true, "openai-chat": true, "lmdeploy": true,
		"scalellm": true, "tgi": false, "tensorrt-llm": false, "deepspeed-mii": false}
	for _, name := range Names() {
		b, _ := ByName(name)
		if got := SendsAPIKey(b); got != want[name] {
			t.Errorf("%s: SendsAPIKey %v, want %v", name, got, want[name])
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		backend, url string
		ok           bool
	}{
		{"vllm", "http://0.0.0.0:8000/v1/completions", true},
		{"vllm", "http://0.0.0.0:8000/v1/chat/completions", true}, // ends with "completions", as the original allowed
		{"vllm", "http://0.0.0.0:8000/generate", false},
		{"openai-chat", "http://h/v1/chat/completions", true},
		{"openai-chat", "http://h/v1/completions", false},
		{"tensorrt-llm", "http://h/v2/models/ensemble/generate_stream", true},
		{"tensorrt-llm", "http://h/v1/completions", false},
		{"tgi", "http://h/generate_stream", true},
		{"deepspeed-mii", "http://h/mii/x", true},
	}
	for _, tt := range tests {
		b, _ := ByName(tt.backend)
		if err := b.CheckURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("%s %s: err %v, want ok=%v", tt.backend, tt.url, err, tt.ok)
		}
	}
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return m
}

var floatLiteral = regexp.MustCompile(`"(temperature|top_p)":[0-9.]+`)

func TestBodies(t *testing.T) {
	two := 2
	req := Request{Model: "org/m", Prompt: "a <b> & \"c\"", PromptLen: 7, OutputLen: 64, BestOf: 1, IgnoreEOS: true}
	tests := []struct {
		backend string
		req     Request
		want    string // the body as Python's json would decode it
	}{
		{"vllm", req, `{"model":"org/m","prompt":"a <b> & \"c\"","temperature":0.0,"best_of":1,"max_tokens":64,"logprobs":null,"stream":true,"stream_options":{"include_usage":true},"ignore_eos":true}`},
		{"sglang", Request{Model: "m", Prompt: "p", OutputLen: 3, BestOf: 1, Logprobs: &two, ContinuousUsage: true},
			`{"model":"m","prompt":"p","temperature":0.0,"best_of":1,"max_tokens":3,"logprobs":2,"stream":true,"stream_options":{"include_usage":true,"continuous_usage_stats":true}}`},
		{"openai-chat", req, `{"model":"org/m","messages":[{"role":"user","content":"a <b> & \"c\""}],"temperature":0.0,"max_completion_tokens":64,"stream":true,"stream_options":{"include_usage":true},"ignore_eos":true}`},
		{"tensorrt-llm", req, `{"accumulate_tokens":true,"text_input":"a <b> & \"c\"","temperature":0.0,"top_p":1.0,"max_tokens":64,"stream":true,"min_length":64}`},
		{"tgi", req, `{"inputs":"a <b> & \"c\"","parameters":{"best_of":1,"max_new_tokens":64,"do_sample":true,"temperature":0.01,"top_p":0.99,"truncate":7}}`},
		{"deepspeed-mii", req, `{"prompt":"a <b> & \"c\"","max_tokens":64,"temperature":0.01,"top_p":1.0}`},
	}
	for _, tt := range tests {
		b, _ := ByName(tt.backend)
		body, err := b.AppendBody([]byte("prefix"), tt.req)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(body), "prefix") {
			t.Fatalf("%s: AppendBody dropped what dst held", tt.backend)
		}
		body = body[len("prefix"):]
		if strings.Contains(string(body), `\u003c`) {
			t.Errorf("%s: prompt HTML-escaped: %s", tt.backend, body)
		}
		got, want := decode(t, body), decode(t, []byte(tt.want))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.backend, body, tt.want)
		}
		// Sampling floats are written as floats (0.0, not 0), as json.dumps
		// wrote them: typed servers can refuse an integer there.
		for _, lit := range floatLiteral.FindAllString(tt.want, -1) {
			if !strings.Contains(string(body), lit) {
				t.Errorf("%s: body lacks %s: %s", tt.backend, lit, body)
			}
		}
		// Key order follows the original's payload dict.
		if keys(body) != keys([]byte(tt.want)) {
			t.Errorf("%s: key order %s, want %s", tt.backend, keys(body), keys([]byte(tt.want)))
		}
	}
}

// keys lists the top-level keys of a JSON object in order.
func keys(body []byte) string {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	var out []string
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
			expectKey = depth == 1 && v == '{'
			continue
		case string:
			if depth == 1 && expectKey {
				out = append(out, v)
				expectKey = false
				continue
			}
		}
		if depth == 1 {
			expectKey = true
		}
	}
	return strings.Join(out, ",")
}

func TestParse(t *testing.T) {
	type want struct {
		token        bool
		text         string
		replace      bool
		usage        bool
		completion   int
		prompt       int
		chunkTokens  int
		errKind      ErrorKind
		err          bool
		errSubstring string
	}
	tests := []struct {
		name, backend, data string
		want                want
	}{
		{"completions token", "vllm", `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" hi","logprobs":null,"finish_reason":null,"stop_reason":null}]}`,
			want{token: true, text: " hi", prompt: -1}},
		{"completions null text still a token", "vllm", `{"choices":[{"index":0,"text":null}]}`,
			want{token: true, prompt: -1}},
		{"usage chunk", "vllm", `{"id":"c","choices":[],"usage":{"prompt_tokens":10,"total_tokens":26,"completion_tokens":16}}`,
			want{usage: true, completion: 16, prompt: 10}},
		{"continuous usage with a token", "sglang", `{"choices":[{"text":"ab"}],"usage":{"prompt_tokens":10,"completion_tokens":2}}`,
			want{token: true, text: "ab", usage: true, completion: 2, prompt: 10}},
		{"logprobs count tokens", "vllm", `{"choices":[{"text":"abc","logprobs":{"tokens":["a","b","c"],"token_logprobs":[0,0,0]}}]}`,
			want{token: true, text: "abc", prompt: -1, chunkTokens: 3}},
		{"empty choices no usage is a keep-alive", "vllm", `{"choices":[]}`, want{prompt: -1}},
		{"usage without completion tokens", "vllm", `{"choices":[],"usage":{"prompt_tokens":3}}`, want{prompt: -1}},
		{"no choices at all", "vllm", `{"id":"x"}`, want{err: true, errKind: Malformed, errSubstring: "neither choices nor usage"}},
		{"not json", "vllm", `{"choices":[`, want{err: true, errKind: Malformed, errSubstring: "not JSON"}},
		{"wrong type", "vllm", `{"choices":{"text":"x"}}`, want{err: true, errKind: Malformed, errSubstring: "choices is not an array"}},
		{"trailing data", "vllm", `{"choices":[]} x`, want{err: true, errKind: Malformed, errSubstring: "not JSON"}},
		{"not an object", "vllm", `[1]`, want{err: true, errKind: Malformed, errSubstring: "not a JSON object"}},
		{"last duplicate key wins", "vllm", `{"choices":5,"choices":[{"text":1,"text":"b"}]}`, want{token: true, text: "b", prompt: -1}},
		{"escaped text", "vllm", `{"choices":[{"text":"a\n\u00e9\ud83d\ude00"}]}`, want{token: true, text: "a\né😀", prompt: -1}},
		{"escaped key", "vllm", `{"\u0063hoices":[{"text":"k"}]}`, want{token: true, text: "k", prompt: -1}},
		{"keys are case-sensitive", "vllm", `{"Choices":[{"text":"k"}],"usage":{}}`, want{prompt: -1}},
		{"negative usage", "vllm", `{"usage":{"completion_tokens":-1}}`, want{err: true, errKind: Malformed, errSubstring: "non-negative integer"}},
		{"fractional usage", "vllm", `{"usage":{"completion_tokens":1.5}}`, want{err: true, errKind: Malformed, errSubstring: "non-negative integer"}},
		{"server error wins over shape", "vllm", `{"choices":7,"error":{"message":"x"}}`, want{err: true, errKind: ServerError}},
		{"vllm error object", "vllm", `{"object":"error","message":"boom","type":"InternalServerError","code":500}`,
			want{err: true, errKind: ServerError, errSubstring: "boom"}},
		{"error field", "openai-chat", `{"error":{"message":"out of memory"}}`, want{err: true, errKind: ServerError, errSubstring: "out of memory"}},
		{"chat role chunk", "openai-chat", `{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
			want{token: true, prompt: -1}},
		{"chat content", "openai-chat", `{"choices":[{"delta":{"content":"x"}}]}`, want{token: true, text: "x", prompt: -1}},
		{"chat reasoning then content", "openai-chat", `{"choices":[{"delta":{"reasoning_content":"think","content":"x"}}]}`,
			want{token: true, text: "thinkx", prompt: -1}},
		{"chat logprobs", "openai-chat", `{"choices":[{"delta":{"content":"xy"},"logprobs":{"content":[{"token":"x"},{"token":"y"}]}}]}`,
			want{token: true, text: "xy", prompt: -1, chunkTokens: 2}},
		{"chat without delta", "openai-chat", `{"choices":[{"message":{"content":"x"}}]}`, want{err: true, errKind: Malformed, errSubstring: "no delta"}},
		{"trt", "tensorrt-llm", `{"model_name":"ensemble","text_output":"abc"}`, want{token: true, text: "abc", prompt: -1}},
		{"trt without text", "tensorrt-llm", `{"model_name":"ensemble"}`, want{err: true, errKind: Malformed}},
		{"tgi step", "tgi", `{"token":{"id":1,"text":"a"},"generated_text":null}`, want{token: true, prompt: -1}},
		{"tgi final", "tgi", `{"token":{"id":2,"text":"b"},"generated_text":"ab"}`, want{token: true, text: "ab", replace: true, prompt: -1}},
		{"tgi error", "tgi", `{"error":"Input validation error","error_type":"validation"}`, want{err: true, errKind: ServerError}},
		{"mii", "deepspeed-mii", `{"text":["out"]}`, want{token: true, text: "out", replace: true, prompt: -1}},
		{"mii empty", "deepspeed-mii", `{"text":[]}`, want{err: true, errKind: Malformed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ByName(tt.backend)
			if err != nil {
				t.Fatal(err)
			}
			c := Chunk{Text: []byte("stale"), HasUsage: true, Token: true}
			err = b.Parse([]byte(tt.data), &c)
			if tt.want.err {
				var pe *PayloadError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v, want a PayloadError", err)
				}
				if pe.Kind != tt.want.errKind || !strings.Contains(err.Error(), tt.want.errSubstring) {
					t.Fatalf("error %v (kind %d), want kind %d containing %q", err, pe.Kind, tt.want.errKind, tt.want.errSubstring)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{token: c.Token, text: string(c.Text), replace: c.ReplaceText, usage: c.HasUsage,
				completion: c.CompletionTokens, prompt: c.PromptTokens, chunkTokens: c.ChunkTokens}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"choices":[{"text":"a"}]}`,
		`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`,
		`{"choices":[{"delta":{"content":"x"},"logprobs":{"content":[1]}}]}`,
		`{"error":null,"choices":null}`,
		`{"text_output":"x"}`,
		`{"generated_text":"x","error":null}`,
		`{"text":["a","b"]}`,
		`[DONE]`,
		`{"choices":[{"text":"\ud800"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, n := range Names() {
			b, _ := ByName(n)
			var c Chunk
			err := b.Parse(data, &c)
			if err != nil {
				var pe *PayloadError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: error %v is not a PayloadError", n, err)
				}
				if len(pe.Payload) > quoteLimit {
					t.Fatalf("%s: error quotes %d bytes", n, len(pe.Payload))
				}
				continue
			}
			if !json.Valid(data) {
				t.Fatalf("%s: accepted invalid JSON %q", n, data)
			}
			if c.ChunkTokens < 0 {
				t.Fatalf("%s: negative token count", n)
			}
			if len(c.Text) > 0 && !c.Token {
				t.Fatalf("%s: text without a token", n)
			}
		}
	})
}

func BenchmarkParseCompletionsChunk(b *testing.B) {
	data := []byte(`{"id":"cmpl-5b1f3c2a9d","object":"text_completion","created":1739000000,"model":"deepseek-ai/DeepSeek-R1","choices":[{"index":0,"text":" token","logprobs":null,"finish_reason":null,"stop_reason":null}]}`)
	be, _ := ByName("vllm")
	var c Chunk
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := be.Parse(data, &c); err != nil || !c.Token {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseChatChunk(b *testing.B) {
	data := []byte(`{"id":"chatcmpl-5b1f3c2a9d","object":"chat.completion.chunk","created":1739000000,"model":"deepseek-ai/DeepSeek-R1","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]}`)
	be, _ := ByName("openai-chat")
	var c Chunk
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := be.Parse(data, &c); err != nil || !c.Token {
			b.Fatal(err)
		}
	}
}
