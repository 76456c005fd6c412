package simserver

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// words are the simulated tokens, one word each.
var words = [...]string{" the", " of", " and", " to", " in", " a", " is", " that", " for", " it",
	" as", " was", " with", " be", " by", " on", " not", " he", " this", " are", " or", " his",
	" from", " at", " which", " but", " have", " an", " had", " they", " you", " were"}

// stream writes one response the way vLLM frames it.
type stream struct {
	s            *Server
	w            http.ResponseWriter
	chat         bool
	id           uint64
	promptTokens int
	usage        bool // send the usage chunk
	continuous   bool // usage in every chunk
	generated    int
	buf          []byte
	text         []byte // non-streaming answers only

	// What the server knows it sent: when each token-bearing chunk was
	// handed to the connection (flushed), the truth a client's timing is
	// checked against.
	unflushed int       // token-bearing chunks written since the last flush
	firstSent time.Time // flush time of the first token-bearing chunk
	lastSent  time.Time
	gaps      []float64 // seconds between consecutive token-bearing chunks
}

func (st *stream) flush() {
	if f, ok := st.w.(http.Flusher); ok {
		f.Flush()
	}
	if st.unflushed == 0 {
		return
	}
	now := time.Now()
	for i := range st.unflushed {
		switch {
		case st.firstSent.IsZero():
			st.firstSent = now
		case i == 0:
			st.gaps = append(st.gaps, now.Sub(st.lastSent).Seconds())
		default:
			st.gaps = append(st.gaps, 0) // chunks flushed together arrive together
		}
		st.lastSent = now
	}
	st.unflushed = 0
}

// head starts a chunk: "data: {id, object, created, model,".
func (st *stream) head() {
	b := append(st.buf[:0], "data: {\"id\":\""...)
	if st.chat {
		b = append(b, "chatcmpl-"...)
	} else {
		b = append(b, "cmpl-"...)
	}
	b = strconv.AppendUint(b, st.id, 16)
	b = append(b, "\",\"object\":\""...)
	if st.chat {
		b = append(b, "chat.completion.chunk"...)
	} else {
		b = append(b, "text_completion"...)
	}
	b = append(b, "\",\"created\":"...)
	b = strconv.AppendInt(b, st.s.created, 10)
	b = append(b, ",\"model\":"...)
	b = append(b, st.s.modelJSON...)
	st.buf = b
}

func (st *stream) appendUsage(b []byte, completion int) []byte {
	b = append(b, "\"usage\":{\"prompt_tokens\":"...)
	b = strconv.AppendInt(b, int64(st.promptTokens), 10)
	b = append(b, ",\"total_tokens\":"...)
	b = strconv.AppendInt(b, int64(st.promptTokens+completion), 10)
	b = append(b, ",\"completion_tokens\":"...)
	b = strconv.AppendInt(b, int64(completion), 10)
	return append(b, '}')
}

func (st *stream) appendFinish(b []byte, reason string) []byte {
	if reason == "" {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = append(b, reason...)
	return append(b, '"')
}

// tokens appends the text of the next n tokens.
func (st *stream) tokens(b []byte, n int) []byte {
	for range n {
		b = append(b, words[(st.id+uint64(st.generated))%uint64(len(words))]...)
		st.generated++
	}
	return b
}

func (st *stream) write() error {
	st.buf = append(st.buf, "\n\n"...)
	_, err := st.w.Write(st.buf)
	return err
}

// roleChunk is the first chunk of a chat stream, as vLLM sends it.
func (st *stream) roleChunk() error {
	st.head()
	st.buf = append(st.buf, ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]"...)
	if st.continuous {
		// vLLM counts the role chunk too: no completion tokens yet.
		st.buf = append(st.buf, ',')
		st.buf = st.appendUsage(st.buf, 0)
	}
	st.buf = append(st.buf, '}')
	st.unflushed++ // a chunk with choices: clients count it as a token
	return st.write()
}

func (st *stream) tokenChunk(e emission) error {
	st.head()
	b := st.buf
	if st.chat {
		b = append(b, ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\""...)
		b = st.tokens(b, e.tokens)
		b = append(b, "\"},\"logprobs\":null,\"finish_reason\":"...)
		b = st.appendFinish(b, e.reason)
		b = append(b, "}]"...)
	} else {
		b = append(b, ",\"choices\":[{\"index\":0,\"text\":\""...)
		b = st.tokens(b, e.tokens)
		b = append(b, "\",\"logprobs\":null,\"finish_reason\":"...)
		b = st.appendFinish(b, e.reason)
		b = append(b, ",\"stop_reason\":null}]"...)
	}
	if st.continuous {
		b = append(b, ',')
		b = st.appendUsage(b, st.generated)
	}
	st.buf = append(b, '}')
	st.unflushed++
	return st.write()
}

func (st *stream) finish() error {
	if st.usage {
		st.head()
		st.buf = append(st.buf, ",\"choices\":[],"...)
		st.buf = st.appendUsage(st.buf, st.generated)
		st.buf = append(st.buf, '}')
		if err := st.write(); err != nil {
			return err
		}
	}
	_, err := st.w.Write([]byte("data: [DONE]\n\n"))
	return err
}

// wait blocks until the sequence has emitted something or ctx ends.
func wait(ctx context.Context, q *seq) bool {
	select {
	case <-q.notify:
		return true
	case <-ctx.Done():
		return false
	}
}

// run streams the response, applying the request's fault when its token
// count reaches faultAt.
func (st *stream) run(ctx context.Context, q *seq, f fault, faultAt int) {
	h := st.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	st.w.WriteHeader(http.StatusOK)
	st.flush() // headers go out at once, as vLLM's do
	var batch []emission
	for wait(ctx, q) {
		batch = q.take(batch)
		for _, e := range batch {
			// A stall waits for a token to have gone out: a stream that
			// never starts is what --request-timeout is for, not a stall.
			if f != noFault && st.generated+e.tokens >= faultAt && (f != stallFault || st.generated > 0) {
				switch f {
				case dropFault:
					_ = st.tokenChunk(e)
					st.flush()
					// Cut the connection without ending the chunked body.
					panic(http.ErrAbortHandler)
				case stallFault:
					st.flush()
					if st.s.cfg.StallFor == 0 {
						<-ctx.Done()
						return
					}
					select {
					case <-time.After(st.s.cfg.StallFor):
					case <-ctx.Done():
						return
					}
				case malformedFault:
					_, _ = st.w.Write([]byte("data: {\"choices\": [{\"text\": \n\n"))
					st.generated += e.tokens
					f = noFault
					continue
				}
				f = noFault
			}
			if st.chat && st.generated == 0 {
				if st.roleChunk() != nil {
					return
				}
			}
			if st.tokenChunk(e) != nil {
				return
			}
			if e.final {
				_ = st.finish()
				st.flush()
				st.s.sched.recordTruth(st.gaps, st.firstSent, st.lastSent, st.generated)
				return
			}
		}
		st.flush()
	}
}

// whole answers a request sent without "stream": one JSON object once the
// generation has finished.
func (st *stream) whole(ctx context.Context, q *seq) {
	var batch []emission
	reason := ""
	for reason == "" {
		if !wait(ctx, q) {
			return
		}
		batch = q.take(batch)
		for _, e := range batch {
			st.text = st.tokens(st.text, e.tokens)
			if e.final {
				reason = e.reason
			}
		}
	}
	obj := map[string]any{
		"id": "cmpl-" + strconv.FormatUint(st.id, 16), "object": "text_completion", "created": st.s.created,
		"model": st.s.cfg.Model,
		"choices": []any{map[string]any{"index": 0, "text": string(st.text), "logprobs": nil, "finish_reason": reason,
			"stop_reason": nil}},
		"usage": map[string]int{"prompt_tokens": st.promptTokens, "total_tokens": st.promptTokens + st.generated,
			"completion_tokens": st.generated},
	}
	if st.chat {
		obj["id"] = "chatcmpl-" + strconv.FormatUint(st.id, 16)
		obj["object"] = "chat.completion"
		obj["choices"] = []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": string(st.text)},
			"logprobs": nil, "finish_reason": reason}}
	}
	writeJSON(st.w, http.StatusOK, obj)
}
