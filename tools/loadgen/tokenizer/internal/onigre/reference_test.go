package onigre

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer/tokenizertest"
)

// utf16ToByte maps UTF-16 offsets (JavaScript's) of s to byte offsets.
func utf16ToByte(s string) map[int]int {
	m := map[int]int{}
	u := 0
	for i, r := range s {
		m[u] = i
		if r >= 0x10000 {
			u += 2
		} else {
			u++
		}
	}
	m[u] = len(s)
	return m
}

func nonEmptyMatches(t testing.TB, re *Regexp, s string) [][2]int {
	t.Helper()
	var out [][2]int
	if err := re.FindAll(s, func(a, b int) {
		if b > a {
			out = append(out, [2]int{a, b})
		}
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func referenceMatches(o *tokenizertest.Oracle, pattern, s string) [][2]int {
	m := utf16ToByte(s)
	var out [][2]int
	for _, x := range o.Matches(pattern, s) {
		out = append(out, [2]int{m[x[0]], m[x[1]]})
	}
	return out
}

// TestUnicodeTablesMatchReference sweeps every code point through the
// classes the real tokenizers use, in Oniguruma and here: the generated
// tables must agree with the reference (regenerate them with
// scripts/oracle/gen-golden.sh --unicode when the reference moves).
func TestUnicodeTablesMatchReference(t *testing.T) {
	o := tokenizertest.StartOracle(t)
	var b strings.Builder
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		b.WriteRune(r)
	}
	all := b.String()
	for _, cls := range []string{`\p{L}`, `\p{Lu}`, `\p{Ll}`, `\p{Lt}`, `\p{Lm}`, `\p{Lo}`, `\p{M}`, `\p{N}`, `\p{P}`, `\p{S}`, `\s`} {
		re, err := Compile(cls + "+")
		if err != nil {
			t.Fatal(err)
		}
		got := nonEmptyMatches(t, re, all)
		want := referenceMatches(o, cls+"+", all)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			for i := 0; i < min(len(got), len(want)); i++ {
				if got[i] != want[i] {
					r1, _ := utf8.DecodeRuneInString(all[got[i][0]:])
					r2, _ := utf8.DecodeRuneInString(all[want[i][0]:])
					t.Errorf("%s: run %d starts at %U here, %U in the reference", cls, i, r1, r2)
					break
				}
			}
			t.Errorf("%s: %d runs here, %d in the reference", cls, len(got), len(want))
		}
	}
}

// Split patterns of real tokenizer.json files.
var realPatterns = map[string]string{
	"gpt2":      gpt2Pattern,
	"deepseek3": deepseekPattern,
	"deepseek1": `\p{N}{1,3}`,
	"deepseek2": "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
	"o200k":     o200kPattern,
	"llama3":    `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
	"qwen2":     `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
}

func randomText(r *rand.Rand) string {
	pools := [][2]rune{{0x20, 0x7e}, {0x20, 0x7e}, {0x09, 0x0d}, {0xa0, 0x2ff}, {0x300, 0x36f}, {0x400, 0x4ff},
		{0x2000, 0x206f}, {0x3000, 0x30ff}, {0x4e00, 0x9fff}, {0x1f300, 0x1faff}, {0x10000, 0x1ffff}, {0x660, 0x669}}
	n := r.IntN(40)
	var b strings.Builder
	for i := 0; i < n; i++ {
		p := pools[r.IntN(len(pools))]
		c := p[0] + rune(r.IntN(int(p[1]-p[0]+1)))
		if c >= 0xD800 && c <= 0xDFFF {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestPatternsMatchReference compares the matches of real split patterns
// with Oniguruma's on the tokenizer corpus and random text.
func TestPatternsMatchReference(t *testing.T) {
	o := tokenizertest.StartOracle(t)
	var corpus []string
	data, err := os.ReadFile("../../testdata/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &corpus); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 300; i++ {
		corpus = append(corpus, randomText(r))
	}
	for name, p := range realPatterns {
		re, err := Compile(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bad := 0
		for _, s := range corpus {
			got := nonEmptyMatches(t, re, s)
			want := referenceMatches(o, p, s)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				bad++
				if bad <= 3 {
					t.Errorf("%s on %q:\n got %v\nwant %v", name, s, got, want)
				}
			}
		}
	}
}
