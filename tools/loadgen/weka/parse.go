package weka

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

// Parse reads one trace from its JSON text. Errors name the field path
// ("requests[3].hash_ids[5]") and what was expected; the caller adds where
// the text came from.
func Parse(data []byte) (*Trace, error) {
	o, err := object(data, "")
	if err != nil {
		return nil, err
	}
	if err := o.only("id", "models", "block_size", "hash_id_scope", "tool_tokens", "system_tokens", "requests", "totals"); err != nil {
		return nil, err
	}
	t := &Trace{}
	if t.ID, err = o.str("id", true); err != nil {
		return nil, err
	}
	if t.Models, err = o.strs("models", true); err != nil {
		return nil, err
	}
	bs, err := o.integer("block_size", true)
	if err != nil {
		return nil, err
	}
	if bs <= 0 {
		return nil, fieldErr(o.at("block_size"), "must be a positive number of tokens per block, got %d", bs)
	}
	t.BlockSize = int(bs)
	if t.Scope, err = o.str("hash_id_scope", true); err != nil {
		return nil, err
	}
	if t.Scope != ScopeLocal && t.Scope != ScopeGlobal {
		return nil, fieldErr(o.at("hash_id_scope"), "unknown hash id scope %q (expected %q or %q)", t.Scope, ScopeLocal, ScopeGlobal)
	}
	if t.ToolTokens, err = o.count("tool_tokens", false); err != nil {
		return nil, err
	}
	if t.SystemTokens, err = o.count("system_tokens", false); err != nil {
		return nil, err
	}
	if raw, ok := o.m["totals"]; ok && !isNull(raw) {
		if _, err := object(raw, o.at("totals")); err != nil {
			return nil, err
		}
		t.Totals = append(json.RawMessage(nil), raw...)
	}
	if t.Requests, err = entries(o, "requests"); err != nil {
		return nil, err
	}
	if len(t.Requests) == 0 {
		return nil, fieldErr(o.at("requests"), "is empty (a trace needs at least one request)")
	}
	return t, nil
}

// entries reads a request list and shares each request's block prefix with
// the request before it in the same list.
func entries(o obj, key string) ([]Entry, error) {
	raw, ok := o.m[key]
	if !ok {
		return nil, missing(o.at(key))
	}
	path := o.at(key)
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || isNull(raw) {
		return nil, fieldErr(path, "expected a list of requests, got %s", kind(raw))
	}
	out := make([]Entry, 0, len(items))
	var prev *Blocks
	for i, item := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		e, err := entry(item, p, prev)
		if err != nil {
			return nil, err
		}
		if e.Request != nil {
			prev = e.Request.Blocks
		}
		out = append(out, e)
	}
	return out, nil
}

func entry(raw json.RawMessage, path string, prev *Blocks) (Entry, error) {
	o, err := object(raw, path)
	if err != nil {
		return Entry{}, err
	}
	typ, err := o.str("type", true)
	if err != nil {
		return Entry{}, err
	}
	switch typ {
	case TypeNormal, TypeStreaming:
		r, err := request(o, typ, prev)
		return Entry{Request: r}, err
	case TypeSubagent:
		s, err := subagent(o)
		return Entry{Subagent: s}, err
	}
	return Entry{}, fieldErr(o.at("type"), "unknown request type %q (expected %q, %q or %q)", typ, TypeNormal, TypeStreaming, TypeSubagent)
}

func request(o obj, typ string, prev *Blocks) (*Request, error) {
	allowed := []string{"t", "type", "model", "in", "out", "hash_ids", "input_types", "output_types", "stop", "api_time", "think_time"}
	if typ == TypeStreaming {
		allowed = append(allowed, "ttft")
	}
	if err := o.only(allowed...); err != nil {
		return nil, err
	}
	r := &Request{Type: typ}
	var err error
	if r.T, err = o.seconds("t", true); err != nil {
		return nil, err
	}
	if r.Model, err = o.str("model", true); err != nil {
		return nil, err
	}
	if r.In, err = o.count("in", true); err != nil {
		return nil, err
	}
	if r.Out, err = o.count("out", true); err != nil {
		return nil, err
	}
	ids, err := o.hashIDs("hash_ids")
	if err != nil {
		return nil, err
	}
	r.Blocks = share(prev, ids)
	if r.InputTypes, err = o.strs("input_types", false); err != nil {
		return nil, err
	}
	if r.OutputTypes, err = o.strs("output_types", false); err != nil {
		return nil, err
	}
	if r.Stop, err = o.str("stop", false); err != nil {
		return nil, err
	}
	if r.APITime, err = o.optSeconds("api_time"); err != nil {
		return nil, err
	}
	if r.ThinkTime, err = o.optSeconds("think_time"); err != nil {
		return nil, err
	}
	if r.TTFT, err = o.optSeconds("ttft"); err != nil {
		return nil, err
	}
	return r, nil
}

func subagent(o obj) (*Subagent, error) {
	if err := o.only("t", "type", "agent_id", "subagent_type", "duration_ms", "total_tokens", "tool_use_count", "status",
		"requests", "models", "tool_tokens", "system_tokens"); err != nil {
		return nil, err
	}
	s := &Subagent{}
	var err error
	if s.T, err = o.seconds("t", true); err != nil {
		return nil, err
	}
	if s.AgentID, err = o.str("agent_id", true); err != nil {
		return nil, err
	}
	if s.SubagentType, err = o.str("subagent_type", true); err != nil {
		return nil, err
	}
	if s.Status, err = o.str("status", true); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key string
		dst **int
	}{{"duration_ms", &s.DurationMS}, {"total_tokens", &s.TotalTokens}, {"tool_use_count", &s.ToolUseCount}} {
		if *f.dst, err = o.optCount(f.key); err != nil {
			return nil, err
		}
	}
	if s.Models, err = o.strs("models", true); err != nil {
		return nil, err
	}
	if s.ToolTokens, err = o.count("tool_tokens", false); err != nil {
		return nil, err
	}
	if s.SystemTokens, err = o.count("system_tokens", false); err != nil {
		return nil, err
	}
	if s.Requests, err = entries(o, "requests"); err != nil {
		return nil, err
	}
	return s, nil
}

// obj is a JSON object being read, with its path for messages.
type obj struct {
	path string
	m    map[string]json.RawMessage
}

func object(raw []byte, path string) (obj, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		where := path
		if where == "" {
			where = "trace"
		}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, new(any)); err != nil {
				return obj{}, fmt.Errorf("%s: not valid JSON: %s", where, jsonMsg(err))
			}
		}
		return obj{}, fieldErr(where, "expected an object, got %s", kind(raw))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		where := path
		if where == "" {
			where = "trace"
		}
		return obj{}, fmt.Errorf("%s: not valid JSON: %s", where, jsonMsg(err))
	}
	return obj{path: path, m: m}, nil
}

func (o obj) at(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// only rejects keys outside allowed, naming them in order.
func (o obj) only(allowed ...string) error {
	var unknown []string
	for k := range o.m {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fieldErr(o.at(unknown[0]), "unknown field (expected one of: %s)", strings.Join(allowed, ", "))
}

func missing(path string) error { return fieldErr(path, "missing (required)") }

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// kind names the JSON type of raw, for messages; a number is shown, as
// the wrong number is the usual mistake.
func kind(raw []byte) string {
	if k := diag.JSONKind(raw); k != "a number" {
		return k
	}
	return "the number " + quote(bytes.TrimSpace(raw))
}

func quote(raw []byte) string {
	const limit = 40
	if len(raw) > limit {
		return string(raw[:limit]) + "…"
	}
	return string(raw)
}

func jsonMsg(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return err.Error()
}

func (o obj) str(key string, required bool) (string, error) {
	raw, ok := o.m[key]
	if !ok {
		if required {
			return "", missing(o.at(key))
		}
		return "", nil
	}
	var s string
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", fieldErr(o.at(key), "expected a string, got %s", kind(raw))
	}
	return s, nil
}

func (o obj) strs(key string, required bool) ([]string, error) {
	raw, ok := o.m[key]
	if !ok {
		if required {
			return nil, missing(o.at(key))
		}
		return nil, nil
	}
	var items []json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &items) != nil {
		return nil, fieldErr(o.at(key), "expected a list of strings, got %s", kind(raw))
	}
	out := make([]string, len(items))
	for i, it := range items {
		t := bytes.TrimSpace(it)
		if len(t) == 0 || t[0] != '"' || json.Unmarshal(t, &out[i]) != nil {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", o.at(key), i), "expected a string, got %s", kind(it))
		}
	}
	return out, nil
}

// number reads a JSON number.
func number(raw []byte) (float64, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || (t[0] != '-' && (t[0] < '0' || t[0] > '9')) {
		return 0, false
	}
	var n json.Number
	if json.Unmarshal(t, &n) != nil {
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || !finite(f) {
		return 0, false
	}
	return f, true
}

// integer reads an integral JSON number (1.0 counts, as Python reads it).
func (o obj) integer(key string, required bool) (int64, error) {
	raw, ok := o.m[key]
	if !ok {
		if required {
			return 0, missing(o.at(key))
		}
		return 0, nil
	}
	t := bytes.TrimSpace(raw)
	if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
		return i, nil
	}
	f, ok := number(t)
	if !ok || f != float64(int64(f)) || f > 1<<53 || f < -(1<<53) {
		return 0, fieldErr(o.at(key), "expected an integer, got %s", kind(raw))
	}
	return int64(f), nil
}

// count reads a non-negative integer that fits an int.
func (o obj) count(key string, required bool) (int, error) {
	n, err := o.integer(key, required)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 1<<40 {
		return 0, fieldErr(o.at(key), "must be a non-negative integer, got %d", n)
	}
	return int(n), nil
}

func (o obj) optCount(key string) (*int, error) {
	raw, ok := o.m[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	n, err := o.count(key, true)
	return &n, err
}

func (o obj) seconds(key string, required bool) (float64, error) {
	raw, ok := o.m[key]
	if !ok {
		if required {
			return 0, missing(o.at(key))
		}
		return 0, nil
	}
	f, ok := number(raw)
	if !ok {
		return 0, fieldErr(o.at(key), "expected a number of seconds, got %s", kind(raw))
	}
	if f < 0 {
		return 0, fieldErr(o.at(key), "must not be negative, got %v", f)
	}
	return f, nil
}

func (o obj) optSeconds(key string) (*float64, error) {
	raw, ok := o.m[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	f, err := o.seconds(key, true)
	return &f, err
}

// hashIDs reads a list of non-negative integers. The common case, a valid
// list, is decoded in one call; a bad element is then looked for to name.
func (o obj) hashIDs(key string) ([]int64, error) {
	raw, ok := o.m[key]
	if !ok {
		return nil, nil
	}
	var ids []int64
	if err := json.Unmarshal(raw, &ids); err == nil && !isNull(raw) {
		for i, id := range ids {
			if id < 0 {
				return nil, fieldErr(fmt.Sprintf("%s[%d]", o.at(key), i), "must be a non-negative integer, got %d", id)
			}
		}
		return ids, nil
	}
	var items []json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &items) != nil {
		return nil, fieldErr(o.at(key), "expected a list of block ids, got %s", kind(raw))
	}
	// Integral numbers written as floats (3.0) are integers, as in Python.
	ids = make([]int64, len(items))
	for i, it := range items {
		f, ok := number(it)
		if !ok || f != math.Trunc(f) || f < 0 || f > 1<<53 {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", o.at(key), i), "expected a non-negative integer block id, got %s", kind(it))
		}
		ids[i] = int64(f)
	}
	return ids, nil
}
