// Package weka holds the Weka trace format: recorded agentic-coding sessions
// as the kv-cache-tester project captured them and SemiAnalysis publishes
// them (semianalysisai/cc-traces-weka-*), one trace per JSONL line. A trace
// is an ordered list of model requests (token counts, KV-cache block hash
// ids, timing) and subagent entries that carry their own nested requests.
//
// The package parses traces strictly (an unknown key, a wrong type or a
// value out of range is an error naming the file, line and field path),
// stores block hash ids with the prefix each request shares with the one
// before it in the same agent's list stored once, writes traces, and
// synthesizes traces of a chosen shape (Synthesize).
package weka

import (
	"encoding/json"
	"fmt"
	"math"
)

// Hash id scopes: "local" gives every trace its own block namespace (equal
// ids in two traces are different blocks); "global" shares one namespace
// across the corpus.
const (
	ScopeLocal  = "local"
	ScopeGlobal = "global"
)

// Request types.
const (
	TypeNormal    = "n"
	TypeStreaming = "s"
	TypeSubagent  = "subagent"
)

// StatusAsyncLaunched marks a subagent its parent did not wait for.
const StatusAsyncLaunched = "async_launched"

// Trace is one recorded session.
type Trace struct {
	ID           string
	Models       []string
	BlockSize    int
	Scope        string
	ToolTokens   int
	SystemTokens int
	Requests     []Entry
	Totals       json.RawMessage // opaque summary, kept as written

	// Source is where the trace was read from ("file:line").
	Source string
}

// Entry is one element of a request list: a model request or a subagent.
type Entry struct {
	Request  *Request
	Subagent *Subagent
}

// Request is one recorded model call.
type Request struct {
	T           float64 // seconds from the start of the session
	Type        string  // TypeNormal or TypeStreaming
	Model       string
	In, Out     int // prompt and output tokens
	Blocks      *Blocks
	InputTypes  []string
	OutputTypes []string
	Stop        string
	APITime     *float64 // seconds the server took
	ThinkTime   *float64 // seconds the client waited before sending
	TTFT        *float64 // recorded time to first token, streaming only
}

// Subagent is a child agent spawned by the request before it.
type Subagent struct {
	T            float64
	AgentID      string
	SubagentType string
	Status       string
	DurationMS   *int
	TotalTokens  *int
	ToolUseCount *int
	Requests     []Entry
	Models       []string
	ToolTokens   int
	SystemTokens int
}

// Background tells whether the parent did not wait for the subagent.
func (s *Subagent) Background() bool { return s.Status == StatusAsyncLaunched }

// Requests counts the model requests of the trace, subagents included.
func (t *Trace) NumRequests() int { return countRequests(t.Requests) }

func countRequests(es []Entry) int {
	n := 0
	for _, e := range es {
		if e.Request != nil {
			n++
		} else {
			n += countRequests(e.Subagent.Requests)
		}
	}
	return n
}

// MaxContext is the largest in+out of any request, subagents included.
func (t *Trace) MaxContext() int { return maxContext(t.Requests) }

func maxContext(es []Entry) int {
	m := 0
	for _, e := range es {
		if e.Request != nil {
			m = max(m, e.Request.In+e.Request.Out)
		} else {
			m = max(m, maxContext(e.Subagent.Requests))
		}
	}
	return m
}

// RootTurns counts the top-level model requests.
func (t *Trace) RootTurns() int {
	n := 0
	for _, e := range t.Requests {
		if e.Request != nil {
			n++
		}
	}
	return n
}

// Blocks is a request's list of KV-cache block hash ids. A request usually
// repeats the list of the request before it and appends to it; that shared
// prefix is stored once, in the earlier request's Blocks.
type Blocks struct {
	base    *Blocks
	baseLen int
	own     []int64
	n       int
}

// NewBlocks holds ids as they are.
func NewBlocks(ids []int64) *Blocks { return &Blocks{own: ids, n: len(ids)} }

// Len is the number of blocks.
func (b *Blocks) Len() int {
	if b == nil {
		return 0
	}
	return b.n
}

// share stores ids as prev's first lcp ids followed by the rest, where lcp
// is the longest common prefix of the two lists.
func share(prev *Blocks, ids []int64) *Blocks {
	if prev == nil || prev.n == 0 || len(ids) == 0 {
		return NewBlocks(ids)
	}
	lcp := 0
	prev.walk(func(seg []int64) bool {
		for _, id := range seg {
			if lcp >= len(ids) || ids[lcp] != id {
				return false
			}
			lcp++
		}
		return true
	})
	if lcp == 0 {
		return NewBlocks(ids)
	}
	own := make([]int64, len(ids)-lcp)
	copy(own, ids[lcp:])
	return &Blocks{base: prev, baseLen: lcp, own: own, n: len(ids)}
}

// walk calls f with the ids in order, in segments, until f returns false.
// The chain of bases is followed iteratively: long sessions make it deep.
func (b *Blocks) walk(f func([]int64) bool) {
	var segs [][]int64
	for cur, lim := b, b.Len(); cur != nil && lim > 0; cur = cur.base {
		if lim > cur.baseLen {
			segs = append(segs, cur.own[:lim-cur.baseLen])
			lim = cur.baseLen
		}
	}
	for i := len(segs) - 1; i >= 0; i-- {
		if !f(segs[i]) {
			return
		}
	}
}

// IDs returns the ids as one slice (a copy).
func (b *Blocks) IDs() []int64 {
	out := make([]int64, 0, b.Len())
	b.walk(func(seg []int64) bool {
		out = append(out, seg...)
		return true
	})
	return out
}

// After returns the ids from index i on. When the list extends prev and i is
// where prev ends, that is the stored suffix, without copying.
func (b *Blocks) After(i int) []int64 {
	if b == nil || i >= b.n {
		return nil
	}
	if i == b.baseLen {
		return b.own
	}
	return b.IDs()[i:]
}

// Extends tells whether b starts with all of prev.
func (b *Blocks) Extends(prev *Blocks) bool {
	if prev.Len() == 0 {
		return true
	}
	return b != nil && b.base == prev && b.baseLen == prev.n
}

// finite rejects NaN and infinities, which JSON cannot hold but a decoder
// given 1e999 turns into +Inf.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func fieldErr(path, format string, args ...any) error {
	return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
}
