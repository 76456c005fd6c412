package onigre

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Patterns of real tokenizer.json files.
const (
	gpt2Pattern     = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	deepseekPattern = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
	o200kPattern    = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
)

func findAll(t testing.TB, re *Regexp, s string) []string {
	t.Helper()
	var out []string
	if err := re.FindAll(s, func(a, b int) { out = append(out, s[a:b]) }); err != nil {
		t.Fatalf("FindAll(%q): %v", s, err)
	}
	return out
}

func TestFindAll(t *testing.T) {
	tests := []struct {
		pattern, input string
		want           []string
	}{
		{gpt2Pattern, "Hello world!  \n\n  it's 1234", []string{"Hello", " world", "!", "  \n\n ", " it", "'s", " 1234"}},
		{gpt2Pattern, "a   b", []string{"a", "  ", " b"}},
		{gpt2Pattern, "x  ", []string{"x", "  "}},
		{o200kPattern, "HelloWorld IT'S ok", []string{"Hello", "World", " IT'S", " ok"}},
		{o200kPattern, "12345 abc", []string{"123", "45", " abc"}},
		{o200kPattern, "don'ſ", []string{"don'ſ"}}, // ſ folds to s under (?i)
		{o200kPattern, "a/\n\nb", []string{"a", "/\n\n", "b"}},
		{deepseekPattern, "foo.bar(baz)", []string{"foo", ".bar", "(baz", ")"}},
		{`\p{N}{1,3}`, "a12345b", []string{"123", "45"}},
		{"[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+", "abc中文かなカナxyz", []string{"中文かなカナ"}},
		{`a*?b`, "aaab", []string{"aaab"}},
		{`a+?`, "aaa", []string{"a", "a", "a"}},
		{`a*+a`, "aaaa", nil},
		{`(?>a+)b|a`, "aaa", []string{"a", "a", "a"}},
		{`(?:ab)+c`, "ababc abc", []string{"ababc", "abc"}},
		{`(?:ab){2,3}`, "abababab", []string{"ababab"}},
		{`(?:ab){2,3}?`, "abababab", []string{"abab", "abab"}},
		{`x*`, "axb", []string{"", "x", ""}},
		{`\bfoo\b`, "foo food foo", []string{"foo", "foo"}},
		{`^a|b$`, "ab\nab", []string{"a", "b", "a", "b"}},
		{`\Aa|b\z`, "ab\nab", []string{"a", "b"}},
		{`(?i)straße`, "STRASSE Straße STRAẞE", []string{"Straße", "STRAẞE"}},
		{`[^a-c]+`, "abcdefabc", []string{"def"}},
		{`(?i:[a-c]+)`, "xABCx", []string{"ABC"}},
		{`\x41\u00e9\x{1F600}`, "Aé😀", []string{"Aé😀"}},
		{`a{,2}`, "aaa", []string{"aa", "a"}}, // the empty match at 3 abuts "a"
		{`a{x`, "a{x", []string{"a{x"}},
		{`\s+(?!\S)|\s+`, "a \t b", []string{" \t", " "}},
		{`(?=a)`, "aa", []string{"", ""}},
		{`(?x) a b # comment`, "ab", []string{"ab"}},
		{`a(?#note)b`, "ab", []string{"ab"}},
		{`(?<word>\w+)`, "héllo wörld", []string{"héllo", "wörld"}},
		{`\h+`, "0x1F", []string{"0", "1F"}},
		{`.+`, "ab\ncd", []string{"ab", "cd"}},
		{`(?m:.+)`, "ab\ncd", []string{"ab\ncd"}},
	}
	for _, tc := range tests {
		re, err := Compile(tc.pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.pattern, err)
		}
		got := findAll(t, re, tc.input)
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("%q on %q:\n got %q\nwant %q", tc.pattern, tc.input, got, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{`(?<=a)b`, "unsupported: look-behind"},
		{`(a)\1`, "unsupported: back-reference"},
		{`[[:alpha:]]`, "unsupported: POSIX bracket"},
		{`[a&&b]`, "unsupported: character class intersection"},
		{`[a[b]]`, "unsupported: nested character class"},
		{`\p{Nope}`, `unsupported Unicode property \p{Nope}`},
		{`(ab`, "missing ')'"},
		{`ab)`, "unmatched ')'"},
		{`[ab`, "missing ']'"},
		{`*a`, "nothing to repeat"},
		{`a{3,2}`, "invalid repeat range"},
		{`\G`, `unsupported escape \G`},
		{`[z-a]`, "empty range"},
		{`\q`, `unsupported escape \q`},
		{"a\\", "trailing backslash"},
		{`a{2000}`, "repeat count above 1000"},
		{`(?y)`, "unsupported group syntax"},
	}
	for _, tc := range tests {
		_, err := Compile(tc.pattern)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Compile(%q) = %v, want an *Error containing %q", tc.pattern, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%q) error %q does not contain %q", tc.pattern, err, tc.want)
		}
	}
}

func TestBacktrackLimit(t *testing.T) {
	re, err := Compile(`(?:a|a)*(?:a|a)*(?:a|a)*(?:a|a)*b`)
	if err != nil {
		t.Fatal(err)
	}
	err = re.FindAll(strings.Repeat("a", 40), func(int, int) {})
	if !errors.Is(err, ErrBacktrackLimit) {
		t.Fatalf("err = %v, want ErrBacktrackLimit", err)
	}
}

// genPattern builds a random pattern in the syntax Go's regexp and this
// engine share with the same meaning, for differential testing.
func genPattern(r *rand.Rand, depth int) (ours, goSyntax string) {
	atoms := [][2]string{
		{"a", "a"}, {"b", "b"}, {" ", " "}, {`\.`, `\.`}, {"é", "é"},
		{`\p{L}`, `\p{L}`}, {`\p{N}`, `\p{N}`}, {`\p{Lu}`, `\p{Lu}`}, {`\P{L}`, `\P{L}`},
		{`[ab]`, `[ab]`}, {`[^a\p{N}]`, `[^a\p{N}]`}, {`[a-c\p{Lo}]`, `[a-c\p{Lo}]`},
		{`.`, `.`}, {`\n`, `\n`}, {"^", "(?m:^)"}, {"$", "(?m:$)"}, {`\A`, `\A`}, {`\z`, `\z`},
	}
	if depth > 2 || r.IntN(3) > 0 {
		a := atoms[r.IntN(len(atoms))]
		ours, goSyntax = a[0], a[1]
	} else {
		n := 1 + r.IntN(3)
		var o, g []string
		for i := 0; i < n; i++ {
			x, y := genPattern(r, depth+1)
			sx, sy := x, y
			for j := r.IntN(3); j > 0; j-- {
				x2, y2 := genPattern(r, depth+1)
				sx += x2
				sy += y2
			}
			o = append(o, sx)
			g = append(g, sy)
		}
		ours = "(?:" + strings.Join(o, "|") + ")"
		goSyntax = "(?:" + strings.Join(g, "|") + ")"
		if r.IntN(4) == 0 {
			ours = "(?i" + ours[2:]
			goSyntax = "(?i" + goSyntax[2:]
		}
	}
	// A quantifier on a group that can match the empty string is left out:
	// Oniguruma leaves the loop after an empty iteration and goes on, Go's
	// regexp drops that path, so the two legitimately differ there.
	if a, err := parse(ours); err == nil && !firstSet(a).nullable && r.IntN(2) == 0 {
		q := []string{"*", "+", "?", "{1,2}", "{2}", "*?", "+?", "??", "{0,2}?"}[r.IntN(9)]
		if !strings.HasPrefix(goSyntax, "(?m:") && goSyntax != `\A` && goSyntax != `\z` {
			ours += q
			goSyntax += q
		}
	}
	return ours, goSyntax
}

func genInput(r *rand.Rand) string {
	alphabet := []rune("aabbc .Aé1٣\nX中 ")
	n := r.IntN(12)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// TestDifferentialGoRegexp checks leftmost-first matching against Go's
// regexp on random patterns from the syntax both share.
func TestDifferentialGoRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for i := 0; i < 3000; i++ {
		ours, goSyn := genPattern(r, 0)
		re, err := Compile(ours)
		if err != nil {
			t.Fatalf("Compile(%q): %v", ours, err)
		}
		gre, err := regexp.Compile(goSyn)
		if err != nil {
			continue
		}
		for j := 0; j < 10; j++ {
			in := genInput(r)
			compareWithGo(t, re, gre, in)
			checked++
		}
	}
	if checked < 20000 {
		t.Fatalf("only %d differential cases ran", checked)
	}
}

func compareWithGo(t testing.TB, re *Regexp, gre *regexp.Regexp, in string) {
	t.Helper()
	var got [][2]int
	if err := re.FindAll(in, func(a, b int) { got = append(got, [2]int{a, b}) }); err != nil {
		t.Fatalf("%q on %q: %v", re, in, err)
	}
	var want [][2]int
	for _, m := range gre.FindAllStringIndex(in, -1) {
		want = append(want, [2]int{m[0], m[1]})
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pattern %q (Go %q) on %q:\n got %v\nwant %v", re, gre, in, got, want)
	}
}

func FuzzCompile(f *testing.F) {
	for _, p := range []string{gpt2Pattern, deepseekPattern, o200kPattern, `(?i:a|b)*?c`, `[^\s]+(?!x)`, `a{2,}+`} {
		f.Add(p, "Hello world 123 中文")
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		re, err := Compile(pattern)
		if err != nil {
			return
		}
		prev := 0
		err = re.FindAll(input, func(a, b int) {
			if a < prev || b < a || b > len(input) {
				t.Fatalf("bad match [%d,%d) after %d in %q", a, b, prev, input)
			}
			prev = b
		})
		if err != nil && !errors.Is(err, ErrBacktrackLimit) {
			t.Fatal(err)
		}
	})
}

// FuzzDifferential compares matches with Go's regexp on patterns generated
// from the fuzzer's seed, on the fuzzer's input.
func FuzzDifferential(f *testing.F) {
	f.Add(uint64(1), "aab é1")
	f.Add(uint64(7), "\nX中 .")
	f.Fuzz(func(t *testing.T, seed uint64, input string) {
		if !utf8.ValidString(input) || len(input) > 64 {
			return
		}
		r := rand.New(rand.NewPCG(seed, seed>>7))
		ours, goSyn := genPattern(r, 0)
		re, err := Compile(ours)
		if err != nil {
			t.Fatalf("Compile(%q): %v", ours, err)
		}
		gre, err := regexp.Compile(goSyn)
		if err != nil {
			return
		}
		compareWithGo(t, re, gre, input)
	})
}

func BenchmarkFindAll(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. It's 2024, isn't it?\n  \tcode := x[i] + 42; // 中文 テスト 😀\n", 200)
	for _, p := range []struct{ name, pattern string }{{"gpt2", gpt2Pattern}, {"deepseek", deepseekPattern}, {"o200k", o200kPattern}} {
		re, err := Compile(p.pattern)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				_ = re.FindAll(text, func(int, int) {})
			}
		})
	}
}
