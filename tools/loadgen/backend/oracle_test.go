package backend

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
)

// oracleResult is what the generic reading of a chunk gives.
type oracleResult struct {
	err         bool
	kind        ErrorKind
	token       bool
	text        string
	usage       bool
	completion  int
	prompt      int
	chunkTokens int
}

// oracle reads a completions or chat chunk the slow, obvious way: decode it
// into generic values (as json.loads does: case-sensitive keys, last
// duplicate wins) and look fields up as the original Python did, with the
// shape rules parseOpenAI documents.
func oracle(data []byte, isChat bool) oracleResult {
	bad := oracleResult{err: true, kind: Malformed}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return bad
	}
	if len(bytes.Trim(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return bad // data after the value
	}
	m, ok := v.(map[string]any)
	if !ok {
		return bad
	}
	if e, ok := m["error"]; ok && e != nil {
		return oracleResult{err: true, kind: ServerError}
	}
	if o, ok := m["object"].(string); ok && o == "error" {
		return oracleResult{err: true, kind: ServerError}
	}
	out := oracleResult{prompt: -1}
	count := func(x any, present bool) (int, bool) {
		if !present || x == nil {
			return -1, true
		}
		n, ok := x.(json.Number)
		if !ok {
			return 0, false
		}
		i, err := strconv.ParseInt(string(n), 10, 0)
		if err != nil || i < 0 {
			return 0, false
		}
		return int(i), true
	}
	str := func(x any, present bool) (string, bool) {
		if !present || x == nil {
			return "", true
		}
		s, ok := x.(string)
		return s, ok
	}
	choicesPresent := false
	var first map[string]any
	if c, ok := m["choices"]; ok && c != nil {
		choicesPresent = true
		arr, ok := c.([]any)
		if !ok {
			return bad
		}
		if len(arr) > 0 {
			first, ok = arr[0].(map[string]any)
			if !ok {
				return bad
			}
		}
	}
	var text string
	var delta map[string]any
	deltaPresent := false
	if first != nil {
		if isChat {
			if d, ok := first["delta"]; ok && d != nil {
				deltaPresent = true
				delta, ok = d.(map[string]any)
				if !ok {
					return bad
				}
				for _, k := range []string{"reasoning_content", "reasoning", "content"} {
					s, ok := str(delta[k], true)
					if !ok {
						return bad
					}
					text += s
				}
			}
		} else {
			s, ok := str(first["text"], true)
			if !ok {
				return bad
			}
			text = s
		}
		if lp, ok := first["logprobs"]; ok && lp != nil {
			lpm, ok := lp.(map[string]any)
			if !ok {
				return bad
			}
			key := "tokens"
			if isChat {
				key = "content"
			}
			if t, ok := lpm[key]; ok && t != nil {
				arr, ok := t.([]any)
				if !ok {
					return bad
				}
				out.chunkTokens = len(arr)
			}
		}
	}
	usagePresent := false
	if u, ok := m["usage"]; ok && u != nil {
		usagePresent = true
		um, ok := u.(map[string]any)
		if !ok {
			return bad
		}
		ct, ok1 := count(um["completion_tokens"], true)
		pt, ok2 := count(um["prompt_tokens"], true)
		if !ok1 || !ok2 {
			return bad
		}
		if ct >= 0 {
			out.usage, out.completion, out.prompt = true, ct, pt
		}
	}
	switch {
	case !choicesPresent:
		if !usagePresent {
			return bad
		}
		return out
	case first == nil:
		return out
	}
	if isChat && !deltaPresent {
		return bad
	}
	out.token = true
	out.text = text
	return out
}

func FuzzParseMatchesOracle(f *testing.F) {
	for _, s := range []string{
		`{"id":"c","object":"text_completion","choices":[{"index":0,"text":" hi","logprobs":null,"finish_reason":null}]}`,
		`{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":16}}`,
		`{"choices":[{"delta":{"role":"assistant","content":""}}]}`,
		`{"choices":[{"delta":{"reasoning_content":"a","content":"b"},"logprobs":{"content":[{},{}]}}]}`,
		`{"choices":[{"text":"a","logprobs":{"tokens":["a"]}}],"usage":{"completion_tokens":1}}`,
		`{"object":"error","message":"x"}`,
		`{"error":null,"choices":null,"usage":null}`,
		`{"choices":[{"text":"\u00e9\ud800x\\"}]}`,
		`{"\u0063hoices":[1]}`,
		`{"usage":{"completion_tokens":1e2}}`,
		` {"choices":[]} `,
		`{"choices":[{"text":"a"},{"text":5}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, isChat := range []bool{false, true} {
			var c Chunk
			err := parseOpenAI(data, &c, isChat)
			want := oracle(data, isChat)
			if err != nil {
				var pe *PayloadError
				if !errors.As(err, &pe) {
					t.Fatalf("chat=%v: error %v is not a PayloadError", isChat, err)
				}
				if !want.err || pe.Kind != want.kind {
					t.Fatalf("chat=%v: %q: parser error %v (kind %d), oracle %+v", isChat, data, err, pe.Kind, want)
				}
				continue
			}
			if want.err {
				t.Fatalf("chat=%v: %q: parser accepted, oracle rejects (kind %d)", isChat, data, want.kind)
			}
			got := oracleResult{token: c.Token, text: string(c.Text), usage: c.HasUsage, completion: c.CompletionTokens,
				prompt: c.PromptTokens, chunkTokens: c.ChunkTokens}
			if !c.HasUsage {
				got.completion, got.prompt = 0, -1
			}
			if got != want {
				t.Fatalf("chat=%v: %q:\nparser %+v\noracle %+v", isChat, data, got, want)
			}
		}
	})
}
