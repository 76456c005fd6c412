// Package chattemplate renders a model's Hugging Face chat template (a
// Jinja template) the way transformers' apply_chat_template does: with
// trim_blocks and lstrip_blocks, the special token strings, tools and
// documents set to None, and the raise_exception and strftime_now helpers.
// The random dataset uses it for --use-chat-template: one user message
// with the generation prompt, and the template's token overhead taken off
// the input length.
//
// Rendering uses github.com/ardanlabs/jinja, a pure-Go Jinja engine built
// for chat templates (transformers' whitespace defaults, the filters and
// methods chat templates use); the tests prove it against
// @huggingface/jinja on the real templates.
package chattemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ardanlabs/jinja"

	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
)

// ErrNoTemplate is returned when a tokenizer has no chat template.
var ErrNoTemplate = errors.New("no chat template")

// Message is one chat message.
type Message struct {
	Role    string
	Content string
}

// Template is a compiled chat template with its special token strings. It
// is safe for concurrent use.
type Template struct {
	src    string
	origin string
	tmpl   *jinja.Template
	vars   map[string]any
}

// New compiles source; cfg provides the special token strings the
// template may use (bos_token, eos_token, unk_token, pad_token). origin
// names where the template came from, for error messages.
func New(source, origin string, cfg tokenizer.Config) (*Template, error) {
	tmpl, err := jinja.Compile(source)
	if err != nil {
		return nil, fmt.Errorf("%s: chat template: %w", origin, err)
	}
	vars := map[string]any{}
	for name, v := range map[string]string{
		"bos_token": cfg.BOSToken, "eos_token": cfg.EOSToken, "unk_token": cfg.UnkToken, "pad_token": cfg.PadToken,
	} {
		if v != "" {
			vars[name] = v
		}
	}
	return &Template{src: source, origin: origin, tmpl: tmpl, vars: vars}, nil
}

// Load finds the chat template of the tokenizer in dir the way
// transformers does: chat_template.jinja in the directory wins, then
// chat_template.json, then tokenizer_config.json's chat_template (cfg).
func Load(dir string, cfg tokenizer.Config) (*Template, error) {
	if dir != "" {
		file := filepath.Join(dir, "chat_template.jinja")
		if b, err := os.ReadFile(file); err == nil {
			return New(string(b), file, cfg)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		file = filepath.Join(dir, "chat_template.json")
		if b, err := os.ReadFile(file); err == nil {
			var j struct {
				ChatTemplate *string `json:"chat_template"`
			}
			if err := json.Unmarshal(b, &j); err != nil || j.ChatTemplate == nil {
				return nil, fmt.Errorf("%s: expected {\"chat_template\": \"...\"}", file)
			}
			return New(*j.ChatTemplate, file, cfg)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if cfg.ChatTemplate == "" {
		where := "tokenizer_config.json"
		if dir != "" {
			where = filepath.Join(dir, "tokenizer_config.json") + " (and no chat_template.jinja or chat_template.json beside it)"
		}
		return nil, fmt.Errorf("%w in %s", ErrNoTemplate, where)
	}
	origin := "tokenizer_config.json"
	if dir != "" {
		origin = filepath.Join(dir, origin)
	}
	return New(cfg.ChatTemplate, origin, cfg)
}

// ForTokenizer loads the chat template of a loaded tokenizer.
func ForTokenizer(tok *tokenizer.Tokenizer) (*Template, error) {
	return Load(tok.Dir(), tok.Config())
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// Render renders messages; addGenerationPrompt asks the template to open
// the assistant's turn.
func (t *Template) Render(messages []Message, addGenerationPrompt bool) (string, error) {
	msgs := make([]any, len(messages))
	for i, m := range messages {
		msgs[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	data := map[string]any{
		"messages":              msgs,
		"add_generation_prompt": addGenerationPrompt,
		"tools":                 nil,
		"documents":             nil,
	}
	for k, v := range t.vars {
		data[k] = v
	}
	out, err := t.tmpl.Render(data)
	if err != nil {
		return "", fmt.Errorf("%s: rendering the chat template: %w", t.origin, err)
	}
	return out, nil
}

// RenderUser renders a single user message with the generation prompt, as
// the original benchmark does for each prompt.
func (t *Template) RenderUser(content string) (string, error) {
	return t.Render([]Message{{Role: "user", Content: content}}, true)
}

// Encoder is the tokenizer method Overhead needs.
type Encoder interface {
	Encode(text string, addSpecialTokens bool) ([]int, error)
}

// Overhead is the number of tokens the template adds around a user
// message, measured as the original does: the tokens of the rendered
// template for the message "a", less one for the "a".
func (t *Template) Overhead(tok Encoder) (int, error) {
	s, err := t.RenderUser("a")
	if err != nil {
		return 0, err
	}
	ids, err := tok.Encode(s, false)
	if err != nil {
		return 0, err
	}
	return len(ids) - 1, nil
}
