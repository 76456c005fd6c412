package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer/tokenizertest"
)

func tiny(t testing.TB) *Tokenizer {
	t.Helper()
	tok, err := Parse(tokenizertest.TinyTokenizer(), tokenizertest.TinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTinyBasics(t *testing.T) {
	tok := tiny(t)
	if tok.VocabSize() != 256+len(tokenizertest.TinyMerges) || tok.VocabSizeWithAdded() != tok.VocabSize()+4 {
		t.Errorf("vocab sizes %d, %d", tok.VocabSize(), tok.VocabSizeWithAdded())
	}
	s, _ := tok.TokenToID("<s>")
	tests := []struct {
		text    string
		special bool
		want    []string
	}{
		{"hello world", false, []string{"he", "llo", "Ġworld"}},
		{"hello world", true, []string{"<s>", "he", "llo", "Ġworld"}},
		{"the the", false, []string{"t", "he", "Ġthe"}},
		{"aaaaaaaaa", false, []string{"aaaa", "aaaa", "a"}},
		{"x <|user|>  y", false, []string{"x", "<|user|>", "y"}},                                            // lstrip and rstrip eat the spaces
		{"a[word]b [word] c", false, []string{"a", "[", "w", "or", "d", "]", "b", "Ġ", "[word]", "Ġ", "c"}}, // single_word
		{"12345", false, []string{"12", "3", "4", "5"}},
	}
	for _, tc := range tests {
		ids, err := tok.Encode(tc.text, tc.special)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, id := range ids {
			s, _ := tok.IDToToken(id)
			got = append(got, s)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Encode(%q, %v) = %q, want %q", tc.text, tc.special, got, tc.want)
		}
	}
	if !tok.IsSpecial(s) {
		t.Error("<s> should be special")
	}
	if c := tok.Config(); c.BOSToken != "<s>" || c.EOSToken != "</s>" || c.ChatTemplate == "" {
		t.Errorf("config = %+v", c)
	}
}

func TestDecodeErrors(t *testing.T) {
	tok := tiny(t)
	_, err := tok.Decode([]int{1, 2, 100000})
	var ue *UnknownIDError
	if !errors.As(err, &ue) || ue.ID != 100000 || ue.Index != 2 {
		t.Errorf("Decode(out of range) = %v", err)
	}
	if _, err := tok.Decode([]int{-1}); !errors.As(err, &ue) {
		t.Errorf("Decode(-1) = %v", err)
	}
	if _, err := tok.Encode("bad \xff utf-8", false); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("Encode(invalid UTF-8) = %v", err)
	}
}

// TestLossyUTF8 pins the replacement rules of Rust's from_utf8_lossy,
// which differ from Go's per-byte replacement.
func TestLossyUTF8(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"Hello \xF0\x90\x80World", "Hello \uFFFDWorld"}, // truncated 4-byte sequence: one U+FFFD
		{"\xE4\xB8", "\uFFFD"},                           // truncated 3-byte sequence
		{"\xE4\xB8\xAD", "中"},
		{"\xE0\x80", "\uFFFD\uFFFD"}, // E0 must be followed by A0..BF
		{"\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xC0\xAF", "\uFFFD\uFFFD"}, // overlong
		{"\xF4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"\xF0\x9F\x98", "\uFFFD"},
		{"\xF0\x9F\x98a", "\uFFFDa"},
		{"\x80\x80", "\uFFFD\uFFFD"},
		{"a\xC3", "a\uFFFD"},
		{"\xFF\xFE", "\uFFFD\uFFFD"},
	}
	for _, tc := range tests {
		if got := string(appendLossy(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("lossy(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestByteLevelAlphabet(t *testing.T) {
	seen := map[rune]bool{}
	for b := 0; b < 256; b++ {
		r := byteToRune[b]
		if seen[r] {
			t.Fatalf("rune %U used twice", r)
		}
		seen[r] = true
		if runeToByte[r] != byte(b) {
			t.Fatalf("round trip of byte %d", b)
		}
	}
	if byteToRune[' '] != 'Ġ' || byteToRune['\n'] != 'Ċ' || byteToRune['a'] != 'a' {
		t.Error("byte-level alphabet differs from GPT-2's")
	}
}

func TestLoadErrors(t *testing.T) {
	good := string(tokenizertest.TinyTokenizer())
	variant := func(mod func(map[string]any)) string { return string(tokenizertest.TinyVariant(mod)) }
	tests := []struct {
		name        string
		json        string
		want        string
		unsupported bool
	}{
		{"syntax", "{\n  \"version\": \"1.0\",\n  \"model\": {,\n}", "tokenizer.json:3:13: invalid JSON", false},
		{"truncated", good[:len(good)/2], "the file ends early (truncated?)", false},
		{"not an object", "[1, 2]", "tokenizer.json:1:1: (top level): expected tokenizer.fileJSON", false},
		{"version", variant(func(d map[string]any) { d["version"] = "2.0" }), `version: unknown tokenizer.json version "2.0"`, false},
		{"no model", variant(func(d map[string]any) { delete(d, "model") }), "model: missing", false},
		{"wordpiece", variant(func(d map[string]any) { d["model"].(map[string]any)["type"] = "WordPiece" }), `model.type: model type "WordPiece": only BPE is supported (unsupported)`, true},
		{"unigram", variant(func(d map[string]any) { d["model"] = map[string]any{"type": "Unigram", "vocab": []any{}} }), `model.type: model type "Unigram"`, true},
		{"unknown model", variant(func(d map[string]any) { d["model"].(map[string]any)["type"] = "Magic" }), `model.type: unknown model type "Magic"`, false},
		{"metaspace", variant(func(d map[string]any) {
			d["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁"}
		}), `pre_tokenizer.type: pre-tokenizer "Metaspace" (unsupported)`, true},
		{"unknown pre-tokenizer", variant(func(d map[string]any) {
			d["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[1].(map[string]any)["type"] = "Frobnicate"
		}), `pre_tokenizer.pretokenizers[1].type: unknown pre-tokenizer "Frobnicate"`, false},
		{"no byte level", variant(func(d map[string]any) { d["pre_tokenizer"] = nil }), "no ByteLevel pre-tokenizer", true},
		{"byte level not last", variant(func(d map[string]any) {
			p := d["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)
			p[0], p[2] = p[2], p[0]
		}), "pre_tokenizer.pretokenizers[0]: ByteLevel pre-tokenizer before other pre-tokenizers", true},
		{"nfc", variant(func(d map[string]any) { d["normalizer"] = map[string]any{"type": "NFC"} }), `normalizer: normalizer "NFC" (unsupported)`, true},
		{"bad regex", variant(func(d map[string]any) {
			d["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[0].(map[string]any)["pattern"] = map[string]any{"Regex": "(ab"}
		}), "pre_tokenizer.pretokenizers[0].pattern.Regex: regex", false},
		{"look-behind", variant(func(d map[string]any) {
			d["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[0].(map[string]any)["pattern"] = map[string]any{"Regex": "(?<=a)b"}
		}), "unsupported: look-behind", true},
		{"behavior", variant(func(d map[string]any) {
			d["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[0].(map[string]any)["behavior"] = "Sideways"
		}), `pre_tokenizer.pretokenizers[0].behavior: unknown behavior "Sideways"`, false},
		{"merge not in vocab", variant(func(d map[string]any) {
			m := d["model"].(map[string]any)
			m["merges"] = append(m["merges"].([]any), "zz qq")
		}), `model.merges[27]: token "zz" is not in the vocab`, false},
		{"bad merge", variant(func(d map[string]any) {
			m := d["model"].(map[string]any)
			m["merges"] = append([]any{"a b c"}, m["merges"].([]any)...)
		}), `model.merges[0]: merge "a b c" is not two tokens`, false},
		{"merge type", variant(func(d map[string]any) { d["model"].(map[string]any)["merges"] = 7 }), "model.merges: expected a list", false},
		{"vocab type", variant(func(d map[string]any) { d["model"].(map[string]any)["vocab"] = []any{1} }), "model.vocab: expected map[string]int64", false},
		{"duplicate id", variant(func(d map[string]any) { d["model"].(map[string]any)["vocab"].(map[string]any)["zz"] = 5 }), "id 5 is given to both", false},
		{"dropout", variant(func(d map[string]any) { d["model"].(map[string]any)["dropout"] = 0.1 }), "BPE dropout", true},
		{"byte fallback", variant(func(d map[string]any) { d["model"].(map[string]any)["byte_fallback"] = true }), "byte_fallback", true},
		{"unk missing", variant(func(d map[string]any) { d["model"].(map[string]any)["unk_token"] = "<nope>" }), `model.unk_token: "<nope>" is not in the vocab`, false},
		{"decoder", variant(func(d map[string]any) { d["decoder"] = map[string]any{"type": "WordPiece"} }), `decoder.type: decoder "WordPiece" (unsupported)`, true},
		{"post", variant(func(d map[string]any) { d["post_processor"] = map[string]any{"type": "Nope"} }), `post_processor.type: unknown post-processor "Nope"`, false},
		{"template", variant(func(d map[string]any) {
			d["post_processor"].(map[string]any)["single"] = []any{map[string]any{"SpecialToken": map[string]any{"id": "<x>"}}}
		}), `post_processor.single[0]: special token "<x>" is not in special_tokens`, false},
		{"added content", variant(func(d map[string]any) {
			delete(d["added_tokens"].([]any)[0].(map[string]any), "content")
		}), "added_tokens[0].content: missing", false},
		{"no type", variant(func(d map[string]any) { delete(d["decoder"].(map[string]any), "type") }), `decoder: missing "type"`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json), nil)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if errors.Is(err, ErrUnsupported) != tc.unsupported {
				t.Errorf("errors.Is(ErrUnsupported) = %v, want %v (%v)", !tc.unsupported, tc.unsupported, err)
			}
		})
	}
}

func TestLoadPaths(t *testing.T) {
	dir := tokenizertest.WriteTiny(t)
	for _, p := range []string{dir, filepath.Join(dir, "tokenizer.json")} {
		tok, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Dir() != dir || tok.Config().BOSToken != "<s>" {
			t.Errorf("Load(%s): dir %q, config %+v", p, tok.Dir(), tok.Config())
		}
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing path: %v", err)
	}
	bad := filepath.Join(dir, "tokenizer_config.json")
	if err := os.WriteFile(bad, []byte(`{"bos_token": 5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "tokenizer_config.json: bos_token: expected a string") {
		t.Errorf("bad config: %v", err)
	}
	if _, err := LoadWithOptions(dir, Options{IgnoreConfig: true}); err != nil {
		t.Errorf("IgnoreConfig still read the config: %v", err)
	}
}

func TestLlamaConfigAddsBOSAndEOS(t *testing.T) {
	cfg := `{"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "add_eos_token": true}`
	tok, err := Parse(tokenizertest.TinyTokenizer(), []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := tok.Encode("hello", true)
	bos, _ := tok.TokenToID("<s>")
	eos, _ := tok.TokenToID("</s>")
	if len(ids) < 3 || ids[0] != bos || ids[len(ids)-1] != eos {
		t.Errorf("Encode = %v, want <s> ... </s>", ids)
	}
	if _, err := Parse(tokenizertest.TinyTokenizer(), []byte(`{"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<nope>"}`)); err == nil ||
		!strings.Contains(err.Error(), `bos_token "<nope>" is not a token`) {
		t.Errorf("bad bos: %v", err)
	}
}

func TestCleanUpTokenizationSpaces(t *testing.T) {
	tok, err := Parse(tokenizertest.TinyTokenizer(), []byte(`{"clean_up_tokenization_spaces": true}`))
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := tok.Encode("a , b . c ' d n't", false)
	got, _ := tok.Decode(ids)
	if want := "a, b. c'dn't"; got != want {
		t.Errorf("Decode = %q, want %q", got, want)
	}
}

func TestConcurrentEncode(t *testing.T) {
	tok := tiny(t)
	corpus := readCorpus(t)
	want := make([][]int, len(corpus))
	for i, s := range corpus {
		want[i], _ = tok.Encode(s, false)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				for i, s := range corpus {
					got, err := tok.Encode(s, false)
					if err != nil || !slices.Equal(got, want[i]) {
						errs <- s
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("concurrent Encode(%q) differs", s)
	}
}

// FuzzParse feeds mutated tokenizer.json files to the loader: it must
// return a tokenizer or an error, never panic, and a tokenizer it returns
// must work.
func FuzzParse(f *testing.F) {
	f.Add(tokenizertest.TinyTokenizer())
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}`))
	f.Add([]byte(`{"added_tokens": [{"id": 0, "content": "x"}], "model": {"vocab": {}, "merges": [["a", "b"]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data, nil)
		if err != nil {
			return
		}
		ids, err := tok.Encode("Hello world 123 <s>", true)
		if err != nil {
			return
		}
		if _, err := tok.Decode(ids); err != nil {
			t.Fatalf("Decode of Encode's ids: %v", err)
		}
	})
}

// FuzzRoundTrip: for valid UTF-8 text, decode(encode(text)) is the text
// and every id is known.
func FuzzRoundTrip(f *testing.F) {
	tok := tiny(f)
	for _, s := range []string{"hello world", " <|user|> [word] 12345", "中文😀", "\t\n  x", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := tok.Encode(s, false)
		if !utf8.ValidString(s) {
			if !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("Encode(invalid %q) = %v", s, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		back, err := tok.Decode(ids)
		if err != nil {
			t.Fatal(err)
		}
		// The lstrip/rstrip token eats whitespace around it, so compare
		// only texts without it.
		if !strings.Contains(s, "<|user|>") && back != s {
			t.Fatalf("decode(encode(%q)) = %q (ids %v)", s, back, ids)
		}
	})
}

// FuzzDecode: any in-range ids decode to valid UTF-8.
func FuzzDecode(f *testing.F) {
	tok := tiny(f)
	f.Add([]byte{0xE4, 0xB8, 1, 200})
	f.Fuzz(func(t *testing.T, raw []byte) {
		ids := make([]int, len(raw))
		for i, b := range raw {
			ids[i] = int(b) * tok.VocabSizeWithAdded() / 256
		}
		s, err := tok.Decode(ids)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("Decode(%v) = %q: invalid UTF-8", ids, s)
		}
	})
}

func TestConfigChatTemplateList(t *testing.T) {
	cfg, err := json.Marshal(map[string]any{"chat_template": []any{
		map[string]any{"name": "default", "template": "D"}, map[string]any{"name": "tool_use", "template": "T"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Parse(tokenizertest.TinyTokenizer(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c := tok.Config(); c.ChatTemplate != "D" || c.ChatTemplates["tool_use"] != "T" {
		t.Errorf("config = %+v", c)
	}
}

// FuzzRealRoundTrip runs the round trip on the DeepSeek tokenizer, whose
// vocabulary and three split patterns are the real thing.
func FuzzRealRoundTrip(f *testing.F) {
	tok := loadModel(f, tokenizertest.DeepSeekV3, Options{IgnoreConfig: true})
	for _, s := range readCorpus(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		ids, err := tok.Encode(s, false)
		if err != nil {
			t.Fatal(err)
		}
		back, err := tok.Decode(ids)
		if err != nil || back != s {
			t.Fatalf("decode(encode(%q)) = %q, %v (ids %v)", s, back, err, ids)
		}
	})
}
