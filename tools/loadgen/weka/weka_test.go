package weka

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/schemas"
)

const validTrace = `{"id": "trace-1", "models": ["opus", "haiku"], "block_size": 64, "hash_id_scope": "local",
 "tool_tokens": 1856, "system_tokens": 2304, "requests": [
  {"t": 0.0, "type": "n", "model": "opus", "in": 8192, "out": 312, "hash_ids": [1, 2, 3],
   "input_types": ["text"], "output_types": ["text"], "stop": "tool_use", "api_time": 4.1, "think_time": 0.0},
  {"t": 9.7, "type": "s", "model": "opus", "in": 8704, "out": 540, "hash_ids": [1, 2, 3, 4, 5],
   "stop": "end_turn", "api_time": 6.3, "think_time": 5.6, "ttft": 0.9},
  {"t": 22.4, "type": "subagent", "agent_id": "agent_007", "subagent_type": "Explore", "status": "completed",
   "duration_ms": 9800, "total_tokens": 5942, "tool_use_count": null, "models": ["haiku"],
   "requests": [{"t": 22.4, "type": "n", "model": "haiku", "in": 5120, "out": 822, "hash_ids": [1, 7001, 7002],
     "api_time": 9.8, "think_time": 0.0}]},
  {"t": 40.0, "type": "n", "model": "opus", "in": 9000, "out": 10, "hash_ids": [1, 2, 9], "api_time": null}
 ]}`

func TestParseValid(t *testing.T) {
	tr, err := Parse([]byte(validTrace))
	if err != nil {
		t.Fatal(err)
	}
	if tr.ID != "trace-1" || tr.BlockSize != 64 || tr.Scope != ScopeLocal || tr.ToolTokens != 1856 || tr.SystemTokens != 2304 {
		t.Errorf("trace fields: %+v", tr)
	}
	if len(tr.Requests) != 4 || tr.RootTurns() != 3 || tr.NumRequests() != 4 {
		t.Fatalf("requests: %d entries, %d root turns, %d in all", len(tr.Requests), tr.RootTurns(), tr.NumRequests())
	}
	r1 := tr.Requests[1].Request
	if r1.Type != TypeStreaming || r1.In != 8704 || r1.Out != 540 || *r1.ThinkTime != 5.6 || *r1.TTFT != 0.9 || r1.Stop != "end_turn" {
		t.Errorf("request 1: %+v", r1)
	}
	sub := tr.Requests[2].Subagent
	if sub == nil || sub.AgentID != "agent_007" || sub.Background() || *sub.DurationMS != 9800 || sub.ToolUseCount != nil {
		t.Fatalf("subagent: %+v", sub)
	}
	if got := sub.Requests[0].Request.Blocks.IDs(); !reflect.DeepEqual(got, []int64{1, 7001, 7002}) {
		t.Errorf("subagent blocks %v", got)
	}
	if r3 := tr.Requests[3].Request; r3.APITime != nil || r3.ThinkTime != nil {
		t.Errorf("null api_time and absent think_time should be nil: %+v", r3)
	}
	if got := tr.MaxContext(); got != 8704+540 {
		t.Errorf("max context %d", got)
	}
}

func TestParseErrors(t *testing.T) {
	base := func(edit func(string) string) string { return edit(validTrace) }
	cases := []struct {
		name, doc, want string
	}{
		{"not JSON", `{"id": `, "trace: not valid JSON"},
		{"not an object", `[1, 2]`, "trace: expected an object, got a list"},
		{"missing id", base(func(s string) string { return strings.Replace(s, `"id": "trace-1",`, "", 1) }), "id: missing (required)"},
		{"unknown top-level key", base(func(s string) string { return strings.Replace(s, `"id":`, `"extra": 1, "id":`, 1) }),
			"extra: unknown field (expected one of: id, models"},
		{"block size zero", base(func(s string) string { return strings.Replace(s, `"block_size": 64`, `"block_size": 0`, 1) }),
			"block_size: must be a positive number of tokens per block, got 0"},
		{"block size negative", base(func(s string) string { return strings.Replace(s, `"block_size": 64`, `"block_size": -64`, 1) }),
			"block_size: must be a positive number"},
		{"block size string", base(func(s string) string { return strings.Replace(s, `"block_size": 64`, `"block_size": "64"`, 1) }),
			"block_size: expected an integer, got a string"},
		{"unknown scope", base(func(s string) string { return strings.Replace(s, `"local"`, `"session"`, 1) }),
			`hash_id_scope: unknown hash id scope "session" (expected "local" or "global")`},
		{"empty requests", `{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "requests": []}`,
			"requests: is empty"},
		{"unknown request type", base(func(s string) string {
			return strings.Replace(s, `"type": "n", "model": "opus", "in": 9000`, `"type": "x", "model": "opus", "in": 9000`, 1)
		}),
			`requests[3].type: unknown request type "x"`},
		{"negative in", base(func(s string) string { return strings.Replace(s, `"in": 8192`, `"in": -1`, 1) }),
			"requests[0].in: must be a non-negative integer, got -1"},
		{"fractional out", base(func(s string) string { return strings.Replace(s, `"out": 312`, `"out": 3.5`, 1) }),
			"requests[0].out: expected an integer, got the number 3.5"},
		{"negative hash id", base(func(s string) string { return strings.Replace(s, `[1, 2, 3, 4, 5]`, `[1, 2, -3]`, 1) }),
			"requests[1].hash_ids[2]: must be a non-negative integer, got -3"},
		{"string hash id", base(func(s string) string { return strings.Replace(s, `[1, 2, 3, 4, 5]`, `[1, "2"]`, 1) }),
			"requests[1].hash_ids[1]: expected a non-negative integer block id, got a string"},
		{"negative think time", base(func(s string) string { return strings.Replace(s, `"think_time": 5.6`, `"think_time": -1`, 1) }),
			"requests[1].think_time: must not be negative"},
		{"infinite time", base(func(s string) string { return strings.Replace(s, `"t": 9.7`, `"t": 1e999`, 1) }),
			"requests[1].t: expected a number of seconds"},
		{"ttft on a normal request", base(func(s string) string {
			return strings.Replace(s, `"think_time": 0.0},`, `"think_time": 0.0, "ttft": 1},`, 1)
		}),
			"requests[0].ttft: unknown field"},
		{"nested unknown field", base(func(s string) string { return strings.Replace(s, `"in": 5120`, `"in": 5120, "foo": true`, 1) }),
			"requests[2].requests[0].foo: unknown field"},
		{"subagent without requests", base(func(s string) string {
			i := strings.Index(s, `"requests": [{"t": 22.4`)
			j := strings.Index(s, `"think_time": 0.0}]}`) + len(`"think_time": 0.0}]`)
			return s[:i] + `"x_": 1` + s[j:]
		}), "requests[2].x_: unknown field"},
		{"models not strings", base(func(s string) string { return strings.Replace(s, `["opus", "haiku"]`, `["opus", 3]`, 1) }),
			"models[1]: expected a string, got the number 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc))
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestBlocksSharePrefixes(t *testing.T) {
	a := share(nil, []int64{1, 2, 3})
	b := share(a, []int64{1, 2, 3, 4, 5})
	c := share(b, []int64{1, 2, 3, 4, 5, 6})
	d := share(c, []int64{1, 2, 9}) // a compaction keeps part of the prefix
	e := share(d, []int64{7, 8})    // nothing in common
	f := share(e, []int64{})
	cases := []struct {
		b       *Blocks
		ids     []int64
		extends *Blocks
	}{
		{a, []int64{1, 2, 3}, nil}, {b, []int64{1, 2, 3, 4, 5}, a}, {c, []int64{1, 2, 3, 4, 5, 6}, b},
		{d, []int64{1, 2, 9}, nil}, {e, []int64{7, 8}, nil}, {f, []int64{}, nil},
	}
	for i, cs := range cases {
		if got := cs.b.IDs(); !reflect.DeepEqual(got, cs.ids) {
			t.Errorf("%d: ids %v, want %v", i, got, cs.ids)
		}
		if cs.b.Len() != len(cs.ids) {
			t.Errorf("%d: len %d", i, cs.b.Len())
		}
		if cs.extends != nil && !cs.b.Extends(cs.extends) {
			t.Errorf("%d: does not extend its predecessor", i)
		}
	}
	if d.Extends(c) || e.Extends(d) {
		t.Error("a list that drops part of its predecessor extends it")
	}
	if got := c.After(5); !reflect.DeepEqual(got, []int64{6}) {
		t.Errorf("c.After(5) = %v", got)
	}
	if got := c.After(2); !reflect.DeepEqual(got, []int64{3, 4, 5, 6}) {
		t.Errorf("c.After(2) = %v", got)
	}
	if len(c.own) != 1 || len(d.own) != 1 {
		t.Errorf("shared prefixes are stored again: c owns %v, d owns %v", c.own, d.own)
	}
}

func TestReadJSONLNamesTheLine(t *testing.T) {
	good, _ := Parse([]byte(validTrace))
	line, err := good.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	src := string(line) + "\n\n" + string(line) + "\n" + `{"id": "bad", "models": [], "block_size": 0, "hash_id_scope": "local", "requests": []}` + "\n"
	_, err = ReadJSONL(context.Background(), strings.NewReader(src), "traces.jsonl")
	if err == nil || !strings.HasPrefix(err.Error(), "traces.jsonl:4: block_size:") {
		t.Fatalf("error %v, want it at traces.jsonl:4", err)
	}
	ts, err := ReadJSONL(context.Background(), strings.NewReader(string(line)+"\n\n"+string(line)), "traces.jsonl")
	if err != nil || len(ts) != 2 || ts[1].Source != "traces.jsonl:3" {
		t.Fatalf("got %d traces (%v), second from %q", len(ts), err, ts[len(ts)-1].Source)
	}
}

func TestLoadFilesAndDirectories(t *testing.T) {
	dir := t.TempDir()
	tr, _ := Parse([]byte(validTrace))
	line, _ := tr.MarshalJSON()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	jsonl := write("b.jsonl", string(line)+"\n"+string(line)+"\n")
	write("a.json", validTrace)
	write("notes.txt", "not a trace")
	ctx := context.Background()
	ts, err := Load(ctx, jsonl)
	if err != nil || len(ts) != 2 {
		t.Fatalf("jsonl: %d traces, %v", len(ts), err)
	}
	ts, err = Load(ctx, dir)
	if err != nil || len(ts) != 3 || !strings.HasSuffix(ts[0].Source, "a.json") {
		t.Fatalf("dir: %d traces, %v", len(ts), err)
	}
	empty := t.TempDir()
	if _, err := Load(ctx, empty); err == nil || !strings.Contains(err.Error(), "no .jsonl or .json files") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := Load(ctx, write("blank.jsonl", "\n\n")); err == nil || !strings.Contains(err.Error(), "no traces") {
		t.Errorf("blank file: %v", err)
	}
	if _, err := Load(ctx, filepath.Join(dir, "notes.txt")); err == nil || !strings.Contains(err.Error(), "not a trace file") {
		t.Errorf("txt file: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	tr, err := Parse([]byte(validTrace))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr2, err := Parse(a)
	if err != nil {
		t.Fatalf("re-reading what was written: %v\n%s", err, a)
	}
	b, _ := tr2.MarshalJSON()
	if !bytes.Equal(a, b) {
		t.Errorf("round trip changed the trace:\n%s\n%s", a, b)
	}
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ValidateJSON(schemas.WekaTrace, a); err != nil {
		t.Errorf("written trace breaks the schema: %v", err)
	}
}

func TestSynthesize(t *testing.T) {
	o := DefaultSynthOptions()
	o.Traces, o.SubagentRate, o.BackgroundRate = 12, 0.5, 0.5
	a, err := Synthesize(o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Synthesize(o)
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	subagents, background, compactions := 0, 0, 0
	for i, tr := range a {
		x, _ := tr.MarshalJSON()
		y, _ := b[i].MarshalJSON()
		if !bytes.Equal(x, y) {
			t.Fatalf("trace %d differs between two runs with the same seed", i)
		}
		if err := v.ValidateJSON(schemas.WekaTrace, x); err != nil {
			t.Fatalf("trace %d breaks the schema: %v", i, err)
		}
		back, err := Parse(x)
		if err != nil {
			t.Fatalf("trace %d does not parse: %v", i, err)
		}
		if n := back.RootTurns(); n < o.MinTurns || n > o.MaxTurns {
			t.Errorf("trace %d has %d turns", i, n)
		}
		var prev *Request
		for _, e := range back.Requests {
			if e.Subagent != nil {
				subagents++
				if e.Subagent.Background() {
					background++
				}
				continue
			}
			r := e.Request
			if r.In > r.Blocks.Len()*o.BlockSize || r.In <= (r.Blocks.Len()-1)*o.BlockSize {
				t.Errorf("trace %d: in %d does not fill %d blocks", i, r.In, r.Blocks.Len())
			}
			if prev != nil {
				if r.T < prev.T {
					t.Errorf("trace %d: time goes back", i)
				}
				if !r.Blocks.Extends(prev.Blocks) {
					compactions++
				}
			}
			prev = r
		}
		if back.MaxContext() > o.MaxContext+o.Output*2 {
			t.Errorf("trace %d grows to %d tokens", i, back.MaxContext())
		}
	}
	if subagents == 0 || background == 0 {
		t.Errorf("%d subagents, %d in the background: the shape asked for both", subagents, background)
	}
	o.Seed = 1
	c, _ := Synthesize(o)
	x, _ := a[0].MarshalJSON()
	y, _ := c[0].MarshalJSON()
	if bytes.Equal(x, y) {
		t.Error("another seed gave the same trace")
	}
	o.MaxContext, o.MinTurns, o.MaxTurns = 2*o.FirstInput, 30, 30
	d, err := Synthesize(o)
	if err != nil {
		t.Fatal(err)
	}
	compactions = 0
	for _, tr := range d {
		var prev *Request
		for _, e := range tr.Requests {
			if r := e.Request; r != nil {
				if prev != nil && !r.Blocks.Extends(prev.Blocks) {
					compactions++
				}
				prev = r
			}
		}
	}
	if compactions == 0 {
		t.Error("a small max context never compacted")
	}
}

func TestSynthOptionsValidate(t *testing.T) {
	cases := []struct {
		edit func(*SynthOptions)
		want string
	}{
		{func(o *SynthOptions) { o.Traces = 0 }, "traces must be at least 1"},
		{func(o *SynthOptions) { o.MinTurns, o.MaxTurns = 5, 4 }, "turns must satisfy"},
		{func(o *SynthOptions) { o.BlockSize = 0 }, "block size must be positive"},
		{func(o *SynthOptions) { o.SharedPrefix = o.FirstInput }, "shared prefix"},
		{func(o *SynthOptions) { o.MaxContext = o.FirstInput }, "max context"},
		{func(o *SynthOptions) { o.SubagentRate = 2 }, "rates must be between 0 and 1"},
		{func(o *SynthOptions) { o.ThinkTime = -1 }, "think time"},
	}
	for _, c := range cases {
		o := DefaultSynthOptions()
		c.edit(&o)
		if _, err := Synthesize(o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// TestSchemaAgreesWithParser holds the schema (what the written traces are
// checked against) and the parser (what reading checks) to one verdict.
func TestSchemaAgreesWithParser(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{
		validTrace,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "global", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1, "out": 1}]}`,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1, "out": 1, "hash_ids": [1.0, 2]}]}`,
		`{"id": "x", "models": [], "block_size": 64.0, "hash_id_scope": "local", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1, "out": 1}]}`,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "totals": null, "requests": [{"t": 0, "type": "subagent", "agent_id": "a", "subagent_type": "b", "status": "c", "models": [], "requests": []}]}`,
		`{"id": "x", "models": [], "block_size": 0, "hash_id_scope": "local", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1, "out": 1}]}`,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "other", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1, "out": 1}]}`,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1}]}`,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "requests": [{"t": -1, "type": "n", "model": "m", "in": 1, "out": 1}]}`,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "requests": [{"t": 0, "type": "s", "model": "m", "in": 1, "out": 1, "ttft": null, "stop": ""}]}`,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1, "out": 1, "stop": null}]}`,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1, "out": 1, "hash_ids": null}]}`,
		`{"id": 5, "models": [], "block_size": 64, "hash_id_scope": "local", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1, "out": 1}]}`,
		`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "requests": [{"t": 0, "type": "subagent", "agent_id": "a", "subagent_type": "b", "status": "c", "models": [], "requests": [], "duration_ms": -1}]}`,
	}
	for i, d := range docs {
		_, perr := Parse([]byte(d))
		serr := v.ValidateJSON(schemas.WekaTrace, []byte(d))
		if (perr == nil) != (serr == nil) {
			t.Errorf("doc %d: parser says %v, schema says %v", i, perr, serr)
		}
	}
}

// FuzzParse feeds the parser arbitrary text: it must not panic, and a
// trace it accepts must be valid by the schema and survive a round trip.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validTrace))
	f.Add([]byte(`{"id": "x", "models": [], "block_size": 64, "hash_id_scope": "local", "requests": [{"t": 0, "type": "n", "model": "m", "in": 1, "out": 1}]}`))
	f.Add([]byte(`{"id": "x", "models": [], "block_size": 1, "hash_id_scope": "global", "requests": [{"t": 0, "type": "subagent", "agent_id": "a", "subagent_type": "b", "status": "async_launched", "models": [], "requests": [{"t": 0, "type": "s", "model": "m", "in": 0, "out": 0, "hash_ids": [0, 0], "ttft": 0.5}]}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"requests": [{"type": "subagent", "requests": [{"type": "subagent"}]}]}`))
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Parse(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		out, err := tr.MarshalJSON()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if err := v.ValidateJSON(schemas.WekaTrace, out); err != nil {
			t.Fatalf("accepted trace breaks the schema: %v\n%s", err, out)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("re-reading: %v\n%s", err, out)
		}
		again, _ := back.MarshalJSON()
		if !bytes.Equal(out, again) {
			t.Fatalf("round trip changed:\n%s\n%s", out, again)
		}
	})
}
