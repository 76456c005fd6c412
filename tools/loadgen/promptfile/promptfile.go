// Package promptfile reads prompts prepared ahead of a run, one JSON object
// per line: {"prompt": "...", "prompt_len": 1024, "output_len": 1024}, as
// `loadgen dataset --out` writes them. A line may add "warmup": true to mark
// a prompt for the warmup phase instead of the measured run.
//
// Preparing prompts once and reusing the file across a sweep of
// concurrencies saves regenerating them for every point.
package promptfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

// Prompt is one line of the file.
type Prompt struct {
	Prompt    string
	PromptLen int
	OutputLen int
	Warmup    bool
}

type line struct {
	Prompt    *string `json:"prompt"`
	PromptLen *int    `json:"prompt_len"`
	OutputLen *int    `json:"output_len"`
	Warmup    bool    `json:"warmup"`
}

// Read parses a prompt file; name labels error messages.
func Read(r io.Reader, name string) ([]Prompt, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var out []Prompt
	for n := 1; ; n++ {
		raw, err := br.ReadBytes('\n') // no length limit: prompts can be long
		if len(bytes.TrimSpace(raw)) > 0 {
			p, perr := parse(raw, name, n)
			if perr != nil {
				return nil, perr
			}
			out = append(out, p)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(out) == 0 {
		return nil, diag.Errorf(name, 0, 0, "", "no prompts in the file (expected one JSON object per line)")
	}
	return out, nil
}

func parse(raw []byte, name string, n int) (Prompt, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var l line
	if err := dec.Decode(&l); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Prompt{}, diag.Errorf(name, n, 0, te.Field, "expected %s, got a JSON %s", expected(te.Field), te.Value)
		}
		return Prompt{}, diag.Errorf(name, n, 0, "", "not a JSON object of a prompt: %v (expected {\"prompt\": ..., \"prompt_len\": ..., \"output_len\": ...})", err)
	}
	if dec.More() {
		return Prompt{}, diag.Errorf(name, n, 0, "", "more than one JSON value on the line")
	}
	switch {
	case l.Prompt == nil:
		return Prompt{}, diag.Errorf(name, n, 0, "prompt", "required key is missing")
	case l.PromptLen == nil:
		return Prompt{}, diag.Errorf(name, n, 0, "prompt_len", "required key is missing")
	case l.OutputLen == nil:
		return Prompt{}, diag.Errorf(name, n, 0, "output_len", "required key is missing")
	case *l.PromptLen < 0:
		return Prompt{}, diag.Errorf(name, n, 0, "prompt_len", "must be >= 0, got %d", *l.PromptLen)
	case *l.OutputLen < 1:
		return Prompt{}, diag.Errorf(name, n, 0, "output_len", "must be >= 1, got %d", *l.OutputLen)
	}
	return Prompt{Prompt: *l.Prompt, PromptLen: *l.PromptLen, OutputLen: *l.OutputLen, Warmup: l.Warmup}, nil
}

func expected(field string) string {
	switch field {
	case "prompt":
		return "a string"
	case "warmup":
		return "a boolean"
	}
	return "an integer"
}

// ReadFile reads a prompt file from disk.
func ReadFile(path string) ([]Prompt, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}
