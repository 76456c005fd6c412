package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/backend"
	"github.com/inferencex/inferencex-go/tools/loadgen/chatprompt"
	"github.com/inferencex/inferencex-go/tools/loadgen/engine"
	"github.com/inferencex/inferencex-go/tools/loadgen/sse"
)

// Error types of failed requests (the "type" of a record's error). They
// are the main engine's kinds, plus a context overflow.
const (
	ErrContextOverflow = "context_overflow"
)

// exchange is one request and what came back.
type exchange struct {
	url    string
	header http.Header
	body   *chatprompt.Body

	// Filled by send.
	start, ack, end          time.Time
	first, second, last      time.Time // content-bearing chunks
	chunks                   int
	promptTokens, completion int // from the usage chunk; -1 when absent
	text                     []byte
	simulated                bool
	errType, errMsg          string
	status                   int
	canceled                 bool
}

// streamState is reused across requests.
type streamState struct {
	reader *sse.Reader
	chunk  backend.Chunk
	memo   backend.Memo
}

var streamPool = sync.Pool{New: func() any { return &streamState{reader: sse.NewReader(nil, nil)} }}

// chatBackend parses the chat completions stream.
var chatBackend, _ = backend.ByName("openai-chat")

// send posts the request and reads its stream, stamping each line when the
// read that delivered it returned. runCtx ending cancels it (canceled);
// reqCtx adds the request timeout. collectText keeps the generated text
// (for counting it when the server's usage is not used).
func (x *exchange) send(runCtx context.Context, client *http.Client, timeout time.Duration, collectText bool) {
	x.promptTokens, x.completion = -1, -1
	ctx := runCtx
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, x.url, x.body)
	if err != nil {
		x.fail(engine.KindConnect, err.Error())
		return
	}
	req.ContentLength = x.body.Len()
	req.GetBody = func() (io.ReadCloser, error) {
		x.body.Reset()
		return io.NopCloser(x.body), nil
	}
	req.Header = x.header.Clone()
	req.Header.Set("Content-Type", "application/json")
	x.start = time.Now()
	resp, err := client.Do(req)
	if err != nil {
		x.transportFailure(runCtx, ctx, err, engine.KindConnect)
		return
	}
	defer resp.Body.Close()
	x.ack = time.Now()
	x.simulated = resp.Header.Get("X-InferenceX-Simulated") == "true"
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		x.end = time.Now()
		x.status = resp.StatusCode
		msg := fmt.Sprintf("HTTP %s: %s", resp.Status, strings.TrimSpace(string(snippet)))
		if overflow(resp.StatusCode, snippet) {
			x.fail(ErrContextOverflow, msg)
		} else {
			x.fail(engine.KindHTTPStatus, msg)
		}
		return
	}
	st := streamPool.Get().(*streamState)
	defer streamPool.Put(st)
	st.reader.Reset(resp.Body)
	st.reader.SetClock(nil)
	st.memo.Reset()
	done := false
	for {
		ev, err := st.reader.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ml *sse.MalformedLineError
			if errors.As(err, &ml) {
				x.end = time.Now()
				x.fail(engine.KindParse, err.Error())
				return
			}
			x.transportFailure(runCtx, ctx, err, engine.KindDropped)
			return
		}
		if ev.Done() {
			done = true
			continue
		}
		if err := backend.ParseStream(chatBackend, &st.memo, ev.Data, &st.chunk); err != nil {
			x.end = time.Now()
			var pe *backend.PayloadError
			if errors.As(err, &pe) && pe.Kind == backend.ServerError {
				x.fail(engine.KindServerError, err.Error())
			} else {
				x.fail(engine.KindParse, err.Error())
			}
			return
		}
		c := &st.chunk
		if len(c.Text) > 0 {
			// A content-bearing chunk: the role chunk and the usage
			// chunk carry no text and do not count, as in AIPerf.
			switch x.chunks {
			case 0:
				x.first = ev.At
			case 1:
				x.second = ev.At
			}
			x.last = ev.At
			x.chunks++
			if collectText {
				x.text = append(x.text, c.Text...)
			}
		}
		if c.HasUsage {
			x.completion = c.CompletionTokens
			if c.PromptTokens >= 0 {
				x.promptTokens = c.PromptTokens
			}
		}
	}
	x.end = time.Now()
	switch {
	case !done:
		x.fail(engine.KindDropped, fmt.Sprintf("the stream ended without [DONE] after %d content chunks", x.chunks))
	case x.chunks == 0:
		x.fail(engine.KindNoToken, "the stream ended without a content token")
	}
}

func (x *exchange) fail(kind, msg string) {
	if x.end.IsZero() {
		x.end = time.Now()
	}
	x.errType, x.errMsg = kind, msg
}

// transportFailure tells a run that stopped from a request that failed.
func (x *exchange) transportFailure(runCtx, reqCtx context.Context, err error, fallback string) {
	x.end = time.Now()
	switch {
	case runCtx.Err() != nil:
		x.canceled = true
		x.fail(engine.KindCanceled, "the run stopped: "+context.Cause(runCtx).Error())
	case errors.Is(reqCtx.Err(), context.DeadlineExceeded):
		x.fail(engine.KindTimeout, "no complete answer within the request timeout")
	case errors.Is(err, syscall.ECONNREFUSED):
		x.fail(engine.KindConnect, err.Error())
	default:
		x.fail(fallback, err.Error())
	}
}

// overflowPhrases are how servers word a prompt longer than the context:
// vLLM ("This model's maximum context length is …", "is longer than the
// maximum model length"), SGLang ("… exceeds the maximum …"), TensorRT-LLM
// and Dynamo ("… too long …").
var overflowPhrases = []string{"maximum context length", "context length", "context_length", "max_model_len",
	"maximum model length", "too long", "exceeds the maximum", "exceed the maximum", "longer than"}

func overflow(status int, body []byte) bool {
	if status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge && status != http.StatusUnprocessableEntity {
		return false
	}
	b := strings.ToLower(string(body))
	for _, p := range overflowPhrases {
		if strings.Contains(b, p) {
			return true
		}
	}
	return false
}
