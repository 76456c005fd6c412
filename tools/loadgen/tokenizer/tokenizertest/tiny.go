package tokenizertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// byteLevelAlphabet returns GPT-2's byte-to-character table.
func byteLevelAlphabet() [256]string {
	var out [256]string
	n := 0
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		r := rune(b)
		if !printable {
			r = rune(256 + n)
			n++
		}
		out[b] = string(r)
	}
	return out
}

// TinyMerges are the merges of the tiny tokenizer, in rank order.
var TinyMerges = [][2]string{
	{"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"i", "n"}, {"Ġ", "a"}, {"e", "r"}, {"o", "n"},
	{"Ġ", "w"}, {"o", "r"}, {"l", "l"}, {"Ġw", "or"}, {"e", "ll"}, {"h", "ell"}, {"hell", "o"},
	{"ll", "o"}, {"Ġwor", "l"}, {"Ġworl", "d"}, {"Ġ", "Ġ"}, {"ĠĠ", "ĠĠ"}, {"1", "2"}, {"in", "g"},
	{"a", "a"}, {"aa", "aa"}, {"Ġ", "h"}, {"Ġh", "e"},
	// U+FFFD (EF BF BD) as one token, as real vocabularies have it: the
	// random dataset's decode of arbitrary ids is full of them.
	{"ï", "¿"}, {"ï¿", "½"},
}

// TinyTokenizer returns a small but complete byte-level BPE tokenizer.json:
// the 256 byte tokens, the merges above, a Split + ByteLevel
// pre-tokenizer, added tokens (special and not, one with lstrip/rstrip),
// a TemplateProcessing post-processor adding <s>, and the ByteLevel
// decoder. Unit tests and fuzzing use it without npm.
func TinyTokenizer() []byte {
	alpha := byteLevelAlphabet()
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[alpha[b]] = b
	}
	var merges []string
	for _, m := range TinyMerges {
		merges = append(merges, m[0]+" "+m[1])
		if _, ok := vocab[m[0]+m[1]]; !ok {
			vocab[m[0]+m[1]] = len(vocab)
		}
	}
	n := len(vocab)
	added := []map[string]any{
		{"id": n, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
		{"id": n + 1, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
		{"id": n + 2, "content": "<|user|>", "single_word": false, "lstrip": true, "rstrip": true, "normalized": false, "special": true},
		{"id": n + 3, "content": "[word]", "single_word": true, "lstrip": false, "rstrip": false, "normalized": true, "special": false},
	}
	doc := map[string]any{
		"version":      "1.0",
		"truncation":   nil,
		"padding":      nil,
		"added_tokens": added,
		"normalizer":   nil,
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `\p{N}{1,3}`}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		}},
		"post_processor": map[string]any{
			"type":           "TemplateProcessing",
			"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"pair":           []any{},
			"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []int{n}, "tokens": []string{"<s>"}}},
		},
		"decoder": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{
			"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil, "end_of_word_suffix": nil,
			"fuse_unk": false, "byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": merges,
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// TinyConfig is a tokenizer_config.json for the tiny tokenizer with a
// small chat template.
func TinyConfig() []byte {
	return []byte(`{
  "tokenizer_class": "PreTrainedTokenizerFast",
  "bos_token": "<s>",
  "eos_token": {"__type": "AddedToken", "content": "</s>"},
  "clean_up_tokenization_spaces": false,
  "chat_template": "{{ bos_token }}{% for m in messages %}<|user|>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %} assistant:{% endif %}"
}
`)
}

// WriteTiny writes the tiny tokenizer (and its config) into a temporary
// directory and returns it.
func WriteTiny(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), TinyTokenizer(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), TinyConfig(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TinyVariant returns the tiny tokenizer.json changed by mod, which gets
// the decoded document.
func TinyVariant(mod func(doc map[string]any)) []byte {
	var doc map[string]any
	if err := json.Unmarshal(TinyTokenizer(), &doc); err != nil {
		panic(err)
	}
	mod(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}
