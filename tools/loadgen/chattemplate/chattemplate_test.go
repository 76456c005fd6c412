package chattemplate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer/tokenizertest"
)

func conversations() [][]Message {
	return [][]Message{
		{{"user", "a"}},
		{{"user", "Hello, how are you?"}},
		{{"user", "  spaces \n\n and newlines\t"}},
		{{"user", "中文 😀 <｜User｜> {{ not jinja }} {% if %}"}},
		{{"user", ""}},
		{{"system", "You are terse."}, {"user", "Hi"}},
		{{"system", "one"}, {"system", "two"}, {"user", "Hi"}},
		{{"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Bye"}},
		{{"user", "q"}, {"tool", "result 1"}, {"tool", "result 2"}, {"assistant", "done"}},
		{{"user", "q"}, {"tool", "out"}},
	}
}

// TestDeepSeekMatchesReference renders the DeepSeek-R1/V3 chat template
// here and with @huggingface/jinja, on conversations that take each of
// its branches, with and without the generation prompt.
func TestDeepSeekMatchesReference(t *testing.T) {
	o := tokenizertest.StartOracle(t)
	tok, err := tokenizer.Load(tokenizertest.ModelDir(t, tokenizertest.DeepSeekV3))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := ForTokenizer(tok)
	if err != nil {
		t.Fatal(err)
	}
	for _, conv := range conversations() {
		for _, gen := range []bool{true, false} {
			got, err := tmpl.Render(conv, gen)
			if err != nil {
				t.Fatalf("Render(%v): %v", conv, err)
			}
			msgs := make([]any, len(conv))
			for i, m := range conv {
				msgs[i] = map[string]any{"role": m.Role, "content": m.Content}
			}
			want, err := o.Render(tmpl.Source(), map[string]any{
				"messages": msgs, "add_generation_prompt": gen, "bos_token": tok.Config().BOSToken,
				"eos_token": tok.Config().EOSToken, "tools": nil, "documents": nil,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Render(%v, %v):\n got %q\nwant %q", conv, gen, got, want)
			}
		}
	}
	got, _ := tmpl.RenderUser("Hi")
	if want := "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>"; got != want {
		t.Errorf("RenderUser = %q, want %q", got, want)
	}
	// The original's overhead: 4 tokens for "<bos><User>a<Assistant>",
	// less one for the "a".
	if n, err := tmpl.Overhead(tok); err != nil || n != 3 {
		t.Errorf("Overhead = %d, %v, want 3", n, err)
	}
}

// TestTemplateFeatures checks Jinja features chat templates lean on,
// against the reference.
func TestTemplateFeatures(t *testing.T) {
	o := tokenizertest.StartOracle(t)
	templates := []string{
		`{% for m in messages %}{{ loop.index }}:{{ m.role | upper }}={{ m.content | trim }}{% if not loop.last %}|{% endif %}{% endfor %}`,
		`{%- set ns = namespace(n=0) -%}{%- for m in messages -%}{%- set ns.n = ns.n + (m.content|trim).split(" ")|length -%}{%- endfor -%}{{ ns.n }}`,
		"{% for m in messages %}\n  {{ m.content }}\n{% endfor %}\n{% if add_generation_prompt %}\n  <gen>\n{% endif %}",
		`{{ messages[0].content.split(' ')|join('-') }}{{ messages|length > 1 and 'many' or 'one' }}`,
		`{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] + '\n' }}{% set rest = messages[1:] %}{% else %}{% set rest = messages %}{% endif %}{% for m in rest %}{{ '<' ~ m.role ~ '>' ~ m.content }}{% endfor %}`,
		`{{ bos_token }}{% for m in messages %}{{ m.content|tojson }}{% endfor %}{{ eos_token }}`,
		`{%- for m in messages %}{{- m.content.startswith('Hi') and 'yes' or 'no' }}{{ m.content.replace('i', 'I') }}{%- endfor %}`,
	}
	cfg := tokenizer.Config{BOSToken: "<s>", EOSToken: "</s>"}
	for _, src := range templates {
		tmpl, err := New(src, "test", cfg)
		if err != nil {
			t.Fatalf("New(%q): %v", src, err)
		}
		for _, conv := range conversations()[1:8] {
			got, err := tmpl.Render(conv, true)
			if err != nil {
				t.Fatalf("%q: %v", src, err)
			}
			msgs := make([]any, len(conv))
			for i, m := range conv {
				msgs[i] = map[string]any{"role": m.Role, "content": m.Content}
			}
			want, err := o.Render(src, map[string]any{"messages": msgs, "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("template %q on %v:\n got %q\nwant %q", src, conv, got, want)
			}
		}
	}
}

// TestPythonSemantics pins two places where @huggingface/jinja (written
// in JavaScript) differs from Python's Jinja2, which transformers uses:
// booleans print as True/False, and length counts code points, not
// UTF-16 units. This package follows Python.
func TestPythonSemantics(t *testing.T) {
	tests := []struct{ src, content, want string }{
		{`{{ messages[0].content.startswith('H') }}`, "Hi", "True"},
		{`{{ messages[0].content.startswith('x') }}`, "Hi", "False"},
		{`{{ messages[0].content|length }}`, "a😀中", "3"},
	}
	for _, tc := range tests {
		tmpl, err := New(tc.src, "test", tokenizer.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tmpl.RenderUser(tc.content); err != nil || got != tc.want {
			t.Errorf("%s on %q = %q, %v, want %q", tc.src, tc.content, got, err, tc.want)
		}
	}
}

func TestLoadOrder(t *testing.T) {
	dir := tokenizertest.WriteTiny(t)
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := ForTokenizer(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tmpl.RenderUser("x"); got != "<s><|user|>x assistant:" {
		t.Errorf("config template rendered %q", got)
	}
	// chat_template.json beats the config, chat_template.jinja beats both.
	if err := os.WriteFile(filepath.Join(dir, "chat_template.json"), []byte(`{"chat_template": "J{{ messages[0].content }}"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if tmpl, err = ForTokenizer(tok); err != nil {
		t.Fatal(err)
	}
	if got, _ := tmpl.RenderUser("x"); got != "Jx" {
		t.Errorf("chat_template.json rendered %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte("F{{ messages[0].content }}{{ eos_token }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if tmpl, err = ForTokenizer(tok); err != nil {
		t.Fatal(err)
	}
	if got, _ := tmpl.RenderUser("x"); got != "Fx</s>" {
		t.Errorf("chat_template.jinja rendered %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte("{% if %}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = ForTokenizer(tok); err == nil || !strings.Contains(err.Error(), "chat_template.jinja: chat template:") {
		t.Errorf("bad template: %v", err)
	}
	os.Remove(filepath.Join(dir, "chat_template.jinja"))
	if err := os.WriteFile(filepath.Join(dir, "chat_template.json"), []byte(`{"nope": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = ForTokenizer(tok); err == nil || !strings.Contains(err.Error(), `expected {"chat_template": "..."}`) {
		t.Errorf("bad chat_template.json: %v", err)
	}
}

func TestNoTemplate(t *testing.T) {
	_, err := Load(t.TempDir(), tokenizer.Config{})
	if !errors.Is(err, ErrNoTemplate) || !strings.Contains(err.Error(), "tokenizer_config.json") {
		t.Errorf("err = %v", err)
	}
}

func TestRenderError(t *testing.T) {
	tmpl, err := New(`{{ raise_exception('only user messages') }}`, "t.jinja", tokenizer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.RenderUser("x"); err == nil || !strings.Contains(err.Error(), "only user messages") || !strings.Contains(err.Error(), "t.jinja") {
		t.Errorf("err = %v", err)
	}
}

// FuzzRender: any user content renders without error through the
// DeepSeek-style template and appears in the output unchanged.
func FuzzRender(f *testing.F) {
	tmpl, err := New(`{{ bos_token }}{% for m in messages %}{{ '<｜User｜>' + m['content'] }}{% endfor %}{% if add_generation_prompt %}{{ '<｜Assistant｜>' }}{% endif %}`, "fuzz", tokenizer.Config{BOSToken: "<s>"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("hello")
	f.Add("{{ x }} {% if %}")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := tmpl.RenderUser(s)
		if err != nil {
			t.Fatal(err)
		}
		if got != "<s><｜User｜>"+s+"<｜Assistant｜>" {
			t.Fatalf("RenderUser(%q) = %q", s, got)
		}
	})
}

// TestDeepSeekV4 holds the frame to what upstream main's
// encoding_dsv4.encode_messages([{"role": "user", "content": c}],
// thinking_mode="thinking") returned for these contents.
func TestDeepSeekV4(t *testing.T) {
	for content, want := range map[string]string{
		"a":           "<｜begin▁of▁sentence｜><｜User｜>a<｜Assistant｜><think>",
		"hello world": "<｜begin▁of▁sentence｜><｜User｜>hello world<｜Assistant｜><think>",
		"":            "<｜begin▁of▁sentence｜><｜User｜><｜Assistant｜><think>",
	} {
		got, err := DeepSeekV4{}.RenderUser(content)
		if err != nil || got != want {
			t.Errorf("RenderUser(%q) = %q, %v; want %q", content, got, err, want)
		}
	}
}
