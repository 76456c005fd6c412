// Package backend holds the request and response formats of the serving
// APIs that loadgen drives: the OpenAI completions and chat completions
// APIs (vLLM, SGLang, TensorRT-LLM's and ATOM's OpenAI servers, LMDeploy,
// ScaleLLM), Triton TensorRT-LLM and TGI's generate_stream, and DeepSpeed-MII's
// non-streaming API. It builds the JSON body of a request and interprets
// each streamed payload; the engine does the timing.
//
// The backend names and what each sends are those of vLLM's
// benchmark_serving.py (ASYNC_REQUEST_FUNCS), so that --backend means what it
// meant there.
package backend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Request is what one benchmark request asks for.
type Request struct {
	Model     string // the name the server knows the model by
	Prompt    string
	PromptLen int
	OutputLen int
	BestOf    int
	Logprobs  *int // nil sends null, as the original does
	IgnoreEOS bool
	// ContinuousUsage asks an OpenAI server for token counts in every chunk
	// (vLLM's and SGLang's stream_options.continuous_usage_stats), which is
	// what tells chunk-level from token-level inter-token latency.
	ContinuousUsage bool
}

// Chunk is what one streamed payload carried.
type Chunk struct {
	// Token is true when the payload is a generation step: the original
	// counts such chunks for TTFT and ITL even when their text is empty
	// (special tokens).
	Token bool
	Text  []byte // generated text in this chunk (valid until the next Parse)
	// ReplaceText is true when Text is the whole output so far (TGI's final
	// generated_text) rather than an increment.
	ReplaceText bool
	// Usage holds the server's token counts when the payload had them.
	HasUsage         bool
	CompletionTokens int
	PromptTokens     int // -1 when the usage object did not say
	// ChunkTokens is how many tokens this chunk carries when the payload
	// says (logprobs entries); 0 when unknown.
	ChunkTokens int
}

// ErrorKind sorts the ways a payload can be unusable.
type ErrorKind int

const (
	// Malformed payloads: not JSON, or JSON of the wrong shape.
	Malformed ErrorKind = iota
	// ServerError payloads are the server reporting an error in the stream.
	ServerError
)

// PayloadError is a payload the backend cannot use.
type PayloadError struct {
	Kind    ErrorKind
	Msg     string
	Payload string // the start of the payload
}

func (e *PayloadError) Error() string {
	if e.Payload == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s: %s", e.Msg, e.Payload)
}

const quoteLimit = 200

func payloadErr(kind ErrorKind, msg string, data []byte) *PayloadError {
	q := data
	if len(q) > quoteLimit {
		q = q[:quoteLimit]
	}
	return &PayloadError{Kind: kind, Msg: msg, Payload: string(q)}
}

// Backend is one serving API.
type Backend interface {
	// Name is the --backend value.
	Name() string
	// CheckURL rejects endpoints the API cannot be reached at, as the
	// original's assertions did.
	CheckURL(url string) error
	// AppendBody appends the JSON request body to dst.
	AppendBody(dst []byte, req Request) ([]byte, error)
	// Streaming tells whether the answer is a server-sent event stream;
	// when false the whole body is one JSON document given to Parse.
	Streaming() bool
	// EndsWithDone tells whether a complete stream ends with "data: [DONE]".
	EndsWithDone() bool
	// ReportsUsage tells whether the server sends token counts; without
	// them output tokens are counted with the tokenizer.
	ReportsUsage() bool
	// Parse interprets one payload into c, which it resets first.
	Parse(data []byte, c *Chunk) error
}

// memoParser is a Backend that can read a stream's payloads faster with a
// Memo of the previous one.
type memoParser interface {
	parseMemo(m *Memo, data []byte, c *Chunk) error
}

// ParseStream is b.Parse for the payloads of one stream, in order, with m
// carried between them (one Memo per stream being read). It gives what Parse
// gives; m only makes it faster where the backend knows how.
func ParseStream(b Backend, m *Memo, data []byte, c *Chunk) error {
	if mp, ok := b.(memoParser); ok {
		return mp.parseMemo(m, data, c)
	}
	return b.Parse(data, c)
}

// Names lists the --backend values, in the original's order.
func Names() []string {
	return []string{"tgi", "vllm", "lmdeploy", "deepspeed-mii", "openai", "openai-chat", "tensorrt-llm", "scalellm", "sglang"}
}

// ByName returns the backend of a --backend value.
func ByName(name string) (Backend, error) {
	switch name {
	case "vllm", "lmdeploy", "openai", "scalellm", "sglang":
		return completions{name: name}, nil
	case "openai-chat":
		return chat{}, nil
	case "tensorrt-llm":
		return trtllm{}, nil
	case "tgi":
		return tgi{}, nil
	case "deepspeed-mii":
		return mii{}, nil
	}
	return nil, fmt.Errorf("unknown backend %q (expected one of: %s)", name, strings.Join(Names(), ", "))
}

// SendsAPIKey tells whether requests of b carry OPENAI_API_KEY as a bearer
// token: those of the OpenAI APIs do; TGI, Triton and DeepSpeed-MII never
// asked for it, and the original did not send it to them.
func SendsAPIKey(b Backend) bool {
	switch b.(type) {
	case completions, chat:
		return true
	}
	return false
}

// DefaultEndpoint is the endpoint a backend is normally served at. The
// original always defaulted to /v1/completions and asserted on a mismatch;
// a caller uses this to say which endpoint to give instead.
func DefaultEndpoint(b Backend) string {
	switch b.(type) {
	case chat:
		return "/v1/chat/completions"
	case trtllm, tgi:
		return "/v2/models/ensemble/generate_stream"
	}
	return "/v1/completions"
}

func marshal(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	out := buf.Bytes()
	return out[:len(out)-1], nil // Encode's trailing newline
}

// floatValue is a float that always reads as one in JSON: 0.0 and 1.0,
// as the original's json.dumps wrote them, not 0 and 1. Servers that map
// JSON to typed inputs (Triton's generate endpoint for FP32 parameters) can
// refuse an integer where a float is declared.
type floatValue float64

func (f floatValue) MarshalJSON() ([]byte, error) {
	b := strconv.AppendFloat(nil, float64(f), 'f', -1, 64)
	if bytes.IndexByte(b, '.') < 0 {
		b = append(b, ".0"...)
	}
	return b, nil
}

type streamOptions struct {
	IncludeUsage         bool `json:"include_usage"`
	ContinuousUsageStats bool `json:"continuous_usage_stats,omitempty"`
}

// ---- OpenAI completions ---------------------------------------------------

type completions struct{ name string }

func (c completions) Name() string { return c.name }

func (completions) CheckURL(url string) error {
	if !strings.HasSuffix(url, "completions") {
		return fmt.Errorf("OpenAI Completions API URL must end with 'completions', got %s", url)
	}
	return nil
}

type completionsBody struct {
	Model         string        `json:"model"`
	Prompt        string        `json:"prompt"`
	Temperature   floatValue    `json:"temperature"`
	BestOf        int           `json:"best_of"`
	MaxTokens     int           `json:"max_tokens"`
	Logprobs      *int          `json:"logprobs"`
	Stream        bool          `json:"stream"`
	StreamOptions streamOptions `json:"stream_options"`
	IgnoreEOS     bool          `json:"ignore_eos,omitempty"`
}

func (completions) AppendBody(dst []byte, r Request) ([]byte, error) {
	return marshal(dst, completionsBody{
		Model: r.Model, Prompt: r.Prompt, Temperature: 0, BestOf: r.BestOf, MaxTokens: r.OutputLen,
		Logprobs: r.Logprobs, Stream: true,
		StreamOptions: streamOptions{IncludeUsage: true, ContinuousUsageStats: r.ContinuousUsage},
		IgnoreEOS:     r.IgnoreEOS,
	})
}

func (completions) Streaming() bool    { return true }
func (completions) EndsWithDone() bool { return true }
func (completions) ReportsUsage() bool { return true }

// jsonErr shortens encoding/json's messages, which name Go types.
func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s has a JSON %s where a %s was expected", te.Field, te.Value, jsonType(te.Type.Kind().String()))
	}
	return err.Error()
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "int", "int64", "float64":
		return "number"
	case "slice":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	case "bool":
		return "boolean"
	}
	return goKind
}

func (completions) Parse(data []byte, c *Chunk) error { return parseOpenAI(data, c, false) }

func (completions) parseMemo(m *Memo, data []byte, c *Chunk) error {
	return parseOpenAIMemo(m, data, c, false)
}

// ---- OpenAI chat completions ----------------------------------------------

type chat struct{}

func (chat) Name() string { return "openai-chat" }

func (chat) CheckURL(url string) error {
	if !strings.HasSuffix(url, "chat/completions") {
		return fmt.Errorf("OpenAI Chat Completions API URL must end with 'chat/completions', got %s", url)
	}
	return nil
}

// chatMessage is one message; upstream main's client sends a text prompt
// as a plain string (a list of parts only for multimodal content, which
// loadgen does not send).
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatBody struct {
	Model               string        `json:"model"`
	Messages            []chatMessage `json:"messages"`
	Temperature         floatValue    `json:"temperature"`
	MaxCompletionTokens int           `json:"max_completion_tokens"`
	Stream              bool          `json:"stream"`
	StreamOptions       streamOptions `json:"stream_options"`
	IgnoreEOS           bool          `json:"ignore_eos,omitempty"`
}

func (chat) AppendBody(dst []byte, r Request) ([]byte, error) {
	return marshal(dst, chatBody{
		Model:               r.Model,
		Messages:            []chatMessage{{Role: "user", Content: r.Prompt}},
		MaxCompletionTokens: r.OutputLen,
		Stream:              true,
		StreamOptions:       streamOptions{IncludeUsage: true, ContinuousUsageStats: r.ContinuousUsage},
		IgnoreEOS:           r.IgnoreEOS,
	})
}

func (chat) Streaming() bool                   { return true }
func (chat) EndsWithDone() bool                { return true }
func (chat) ReportsUsage() bool                { return true }
func (chat) Parse(data []byte, c *Chunk) error { return parseOpenAI(data, c, true) }

func (chat) parseMemo(m *Memo, data []byte, c *Chunk) error { return parseOpenAIMemo(m, data, c, true) }

// ---- Triton TensorRT-LLM generate_stream ----------------------------------

type trtllm struct{}

func (trtllm) Name() string { return "tensorrt-llm" }

func (trtllm) CheckURL(url string) error {
	if !strings.HasSuffix(url, "generate_stream") {
		return fmt.Errorf("the tensorrt-llm backend needs a generate_stream endpoint, got %s", url)
	}
	return nil
}

type trtBody struct {
	AccumulateTokens bool       `json:"accumulate_tokens"`
	TextInput        string     `json:"text_input"`
	Temperature      floatValue `json:"temperature"`
	TopP             floatValue `json:"top_p"`
	MaxTokens        int        `json:"max_tokens"`
	Stream           bool       `json:"stream"`
	MinLength        int        `json:"min_length,omitempty"`
}

func (trtllm) AppendBody(dst []byte, r Request) ([]byte, error) {
	b := trtBody{AccumulateTokens: true, TextInput: r.Prompt, TopP: 1, MaxTokens: r.OutputLen, Stream: true}
	if r.IgnoreEOS {
		b.MinLength = r.OutputLen
	}
	return marshal(dst, b)
}

func (trtllm) Streaming() bool    { return true }
func (trtllm) EndsWithDone() bool { return false }
func (trtllm) ReportsUsage() bool { return false }

func (trtllm) Parse(data []byte, c *Chunk) error {
	*c = Chunk{Text: c.Text[:0], PromptTokens: -1}
	var v struct {
		TextOutput *string `json:"text_output"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return payloadErr(Malformed, "chunk is not JSON ("+jsonErr(err)+")", data)
	}
	if v.TextOutput == nil {
		return payloadErr(Malformed, "chunk has no text_output", data)
	}
	c.Token = true
	c.Text = append(c.Text, *v.TextOutput...)
	return nil
}

// ---- TGI generate_stream --------------------------------------------------

type tgi struct{}

func (tgi) Name() string { return "tgi" }

func (tgi) CheckURL(url string) error {
	if !strings.HasSuffix(url, "generate_stream") {
		return fmt.Errorf("the tgi backend needs a generate_stream endpoint, got %s", url)
	}
	return nil
}

type tgiParams struct {
	BestOf       int        `json:"best_of"`
	MaxNewTokens int        `json:"max_new_tokens"`
	DoSample     bool       `json:"do_sample"`
	Temperature  floatValue `json:"temperature"`
	TopP         floatValue `json:"top_p"`
	Truncate     int        `json:"truncate"`
}

func (tgi) AppendBody(dst []byte, r Request) ([]byte, error) {
	// TGI rejects temperature 0 and top_p 1, hence the near values; it has
	// no ignore_eos.
	return marshal(dst, struct {
		Inputs     string    `json:"inputs"`
		Parameters tgiParams `json:"parameters"`
	}{r.Prompt, tgiParams{BestOf: r.BestOf, MaxNewTokens: r.OutputLen, DoSample: true, Temperature: 0.01, TopP: 0.99, Truncate: r.PromptLen}})
}

func (tgi) Streaming() bool    { return true }
func (tgi) EndsWithDone() bool { return false }
func (tgi) ReportsUsage() bool { return false }

func (tgi) Parse(data []byte, c *Chunk) error {
	*c = Chunk{Text: c.Text[:0], PromptTokens: -1}
	var v struct {
		GeneratedText *string         `json:"generated_text"`
		Error         json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return payloadErr(Malformed, "chunk is not JSON ("+jsonErr(err)+")", data)
	}
	if len(v.Error) > 0 && string(v.Error) != "null" {
		return payloadErr(ServerError, "server error in stream", data)
	}
	c.Token = true
	if v.GeneratedText != nil {
		c.ReplaceText = true
		c.Text = append(c.Text, *v.GeneratedText...)
	}
	return nil
}

// ---- DeepSpeed-MII --------------------------------------------------------

type mii struct{}

func (mii) Name() string              { return "deepspeed-mii" }
func (mii) CheckURL(url string) error { return nil }

func (mii) AppendBody(dst []byte, r Request) ([]byte, error) {
	return marshal(dst, struct {
		Prompt      string     `json:"prompt"`
		MaxTokens   int        `json:"max_tokens"`
		Temperature floatValue `json:"temperature"`
		TopP        floatValue `json:"top_p"`
	}{r.Prompt, r.OutputLen, 0.01, 1})
}

func (mii) Streaming() bool    { return false }
func (mii) EndsWithDone() bool { return false }
func (mii) ReportsUsage() bool { return false }

func (mii) Parse(data []byte, c *Chunk) error {
	*c = Chunk{Text: c.Text[:0], PromptTokens: -1}
	var v struct {
		Text []string `json:"text"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return payloadErr(Malformed, "response is not JSON ("+jsonErr(err)+")", data)
	}
	if len(v.Text) == 0 {
		return payloadErr(Malformed, "response has no text", data)
	}
	c.Token = true
	c.ReplaceText = true
	c.Text = append(c.Text, v.Text[0]...)
	return nil
}
