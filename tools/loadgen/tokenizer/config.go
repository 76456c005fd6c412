package tokenizer

import (
	"encoding/json"
	"fmt"
)

// Config is what tokenizer_config.json holds that changes tokenization
// or that callers need (the chat template and the special token strings).
type Config struct {
	TokenizerClass string
	// Special token strings ("" when not set).
	BOSToken, EOSToken, UnkToken, PadToken string
	// AddBOSToken and AddEOSToken are nil when the file does not say.
	AddBOSToken, AddEOSToken  *bool
	CleanUpTokenizationSpaces bool
	// ChatTemplate is the default chat template; ChatTemplates holds every
	// named one when the file gives a list.
	ChatTemplate  string
	ChatTemplates map[string]string
}

type configJSON struct {
	TokenizerClass            *string         `json:"tokenizer_class"`
	BOSToken                  json.RawMessage `json:"bos_token"`
	EOSToken                  json.RawMessage `json:"eos_token"`
	UnkToken                  json.RawMessage `json:"unk_token"`
	PadToken                  json.RawMessage `json:"pad_token"`
	AddBOSToken               *bool           `json:"add_bos_token"`
	AddEOSToken               *bool           `json:"add_eos_token"`
	CleanUpTokenizationSpaces *bool           `json:"clean_up_tokenization_spaces"`
	ChatTemplate              json.RawMessage `json:"chat_template"`
}

func parseConfig(data []byte, file string) (Config, error) {
	if !json.Valid(data) {
		var v any
		return Config{}, jsonError(file, data, json.Unmarshal(data, &v))
	}
	var j configJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Config{}, jsonError(file, data, err)
	}
	var c Config
	if j.TokenizerClass != nil {
		c.TokenizerClass = *j.TokenizerClass
	}
	var err error
	for _, f := range []struct {
		raw  json.RawMessage
		dst  *string
		name string
	}{{j.BOSToken, &c.BOSToken, "bos_token"}, {j.EOSToken, &c.EOSToken, "eos_token"},
		{j.UnkToken, &c.UnkToken, "unk_token"}, {j.PadToken, &c.PadToken, "pad_token"}} {
		if *f.dst, err = tokenString(f.raw); err != nil {
			return Config{}, fmt.Errorf("%s: %s: %w", file, f.name, err)
		}
	}
	c.AddBOSToken, c.AddEOSToken = j.AddBOSToken, j.AddEOSToken
	if j.CleanUpTokenizationSpaces != nil {
		c.CleanUpTokenizationSpaces = *j.CleanUpTokenizationSpaces
	}
	if !isNull(j.ChatTemplate) {
		var one string
		if json.Unmarshal(j.ChatTemplate, &one) == nil {
			c.ChatTemplate = one
		} else {
			var named []struct {
				Name     string `json:"name"`
				Template string `json:"template"`
			}
			if err := json.Unmarshal(j.ChatTemplate, &named); err != nil {
				return Config{}, fmt.Errorf("%s: chat_template: expected a string or a list of {\"name\", \"template\"}", file)
			}
			c.ChatTemplates = map[string]string{}
			for _, n := range named {
				c.ChatTemplates[n.Name] = n.Template
			}
			c.ChatTemplate = c.ChatTemplates["default"]
		}
	}
	return c, nil
}

// tokenString reads a special token given as a string, null, or an
// AddedToken object {"content": ...}.
func tokenString(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Content == nil {
		return "", fmt.Errorf(`expected a string or {"content": ...}`)
	}
	return *obj.Content, nil
}

// llamaLike are the transformers classes whose constructor rebuilds the
// post-processor from add_bos_token/add_eos_token (update_post_processor),
// with their defaults.
var llamaLike = map[string]bool{
	"LlamaTokenizer": true, "LlamaTokenizerFast": true,
	"CodeLlamaTokenizer": true, "CodeLlamaTokenizerFast": true,
	"GemmaTokenizer": true, "GemmaTokenizerFast": true,
}

func (t *Tokenizer) applyConfig(c Config) error {
	t.cfg = c
	if !llamaLike[c.TokenizerClass] {
		return nil
	}
	addBOS, addEOS := true, false
	if c.AddBOSToken != nil {
		addBOS = *c.AddBOSToken
	}
	if c.AddEOSToken != nil {
		addEOS = *c.AddEOSToken
	}
	var p templatePost
	if addBOS {
		id, ok := t.TokenToID(c.BOSToken)
		if c.BOSToken == "" || !ok {
			return fmt.Errorf("add_bos_token is true but bos_token %q is not a token", c.BOSToken)
		}
		p.before = []int32{int32(id)}
	}
	if addEOS {
		id, ok := t.TokenToID(c.EOSToken)
		if c.EOSToken == "" || !ok {
			return fmt.Errorf("add_eos_token is true but eos_token %q is not a token", c.EOSToken)
		}
		p.after = []int32{int32(id)}
	}
	t.post = p
	return nil
}
