package promptfile

import (
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	src := `{"prompt": "hello", "prompt_len": 1, "output_len": 8}

{"prompt": "warm", "prompt_len": 1, "output_len": 2, "warmup": true}
{"prompt": "x\ny", "prompt_len": 3, "output_len": 4}`
	ps, err := Read(strings.NewReader(src), "p.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want := []Prompt{{"hello", 1, 8, false}, {"warm", 1, 2, true}, {"x\ny", 3, 4, false}}
	if len(ps) != len(want) {
		t.Fatalf("got %+v", ps)
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, ps[i], want[i])
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{``, "p.jsonl: no prompts in the file"},
		{`{"prompt": "a", "prompt_len": 1, "output_len": 1}` + "\n" + `{"prompt": 5, "prompt_len": 1, "output_len": 1}`, "p.jsonl:2: prompt: expected a string, got a JSON number"},
		{`{"prompt": "a", "prompt_len": "x", "output_len": 1}`, "p.jsonl:1: prompt_len: expected an integer, got a JSON string"},
		{`{"prompt": "a", "output_len": 1}`, "p.jsonl:1: prompt_len: required key is missing"},
		{`{"prompt": "a", "prompt_len": 1}`, "p.jsonl:1: output_len: required key is missing"},
		{`{"prompt_len": 1, "output_len": 1}`, "p.jsonl:1: prompt: required key is missing"},
		{`{"prompt": "a", "prompt_len": 1, "output_len": 0}`, "p.jsonl:1: output_len: must be >= 1, got 0"},
		{`{"prompt": "a", "prompt_len": -1, "output_len": 1}`, "p.jsonl:1: prompt_len: must be >= 0, got -1"},
		{`{"prompt": "a", "prompt_len": 1, "output_len": 1, "max_tokens": 3}`, `p.jsonl:1: not a JSON object of a prompt: json: unknown field "max_tokens"`},
		{`{"prompt": "a", "prompt_len": 1, "output_len": 1} {}`, "p.jsonl:1: more than one JSON value"},
		{`["a", 1, 1]`, "p.jsonl:1: not a JSON object"},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.src), "p.jsonl")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.src, err, tt.want)
		}
	}
}

func TestLongLine(t *testing.T) {
	long := strings.Repeat("a", 4<<20)
	ps, err := Read(strings.NewReader(`{"prompt": "`+long+`", "prompt_len": 1, "output_len": 1}`), "p")
	if err != nil || len(ps[0].Prompt) != len(long) {
		t.Fatalf("long line: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"prompt": "a", "prompt_len": 1, "output_len": 1}` + "\n"))
	f.Add([]byte(`{"prompt": "a", "prompt_len": 1, "output_len": 1, "warmup": true}`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := Read(strings.NewReader(string(data)), "f")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, p := range ps {
			if p.PromptLen < 0 || p.OutputLen < 1 {
				t.Fatalf("accepted %+v", p)
			}
		}
	})
}
