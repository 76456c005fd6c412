package yamldoc

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

func TestParseValuesAndPositions(t *testing.T) {
	src := `a:
  b: 1
  c: [x, 2.5, true, null]
  "d/e": 2024-01-02
base: &base
  p: 1
  q: 2
child:
  <<: *base
  q: 3
  r: 0x10
nums: [010, -12, 0o17, +5, True, false, 1_000, 0, -0]
`
	d, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a":     map[string]any{"b": int64(1), "c": []any{"x", 2.5, true, nil}, "d/e": "2024-01-02"},
		"base":  map[string]any{"p": int64(1), "q": int64(2)},
		"child": map[string]any{"p": int64(1), "q": int64(3), "r": int64(16)},
		"nums":  []any{int64(8), int64(-12), int64(15), int64(5), true, false, int64(1000), int64(0), int64(0)},
	}
	if !reflect.DeepEqual(d.Root, want) {
		t.Fatalf("root = %#v", d.Root)
	}
	posCases := []struct {
		ptr       string
		key       bool
		line, col int
	}{
		{"/a/b", false, 2, 6},
		{"/a/b", true, 2, 3},
		{"/a/c/1", false, 3, 10},
		{"/a/d~1e", true, 4, 3},
		{"/a/missing", false, 2, 3}, // falls back to the enclosing mapping
		{"/child/q", false, 10, 6},
		{"/child/p", false, 6, 6}, // merged from the anchor
	}
	for _, c := range posCases {
		var p Pos
		if c.key {
			p = d.KeyPos(c.ptr)
		} else {
			p = d.Pos(c.ptr)
		}
		if p.Line != c.line || p.Col != c.col {
			t.Errorf("%s (key=%v): got %d:%d, want %d:%d", c.ptr, c.key, p.Line, p.Col, c.line, c.col)
		}
	}
	if got := d.Keys("/child"); !reflect.DeepEqual(got, []string{"q", "r", "p"}) {
		t.Errorf("keys of child = %v", got)
	}
	if got := d.Keys(""); !reflect.DeepEqual(got, []string{"a", "base", "child", "nums"}) {
		t.Errorf("top-level keys = %v", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"duplicate key", "a: 1\nb: 2\na: 3\n", "t.yaml:3:1: a: duplicate key (first defined at line 1)"},
		{"syntax", "a: [1, 2\n", "t.yaml:1: invalid YAML: did not find expected ',' or ']'"},
		{"tab indent", "a:\n\tb: 1\n", "t.yaml:2: invalid YAML:"},
		{"int key", "1: a\n", "t.yaml:1:1: mapping keys must be strings, got int \"1\""},
		{"nan", "a: .nan\n", "t.yaml:1:4: a: .nan is not a number JSON can hold"},
		{"two docs", "a: 1\n---\nb: 2\n", "t.yaml:2:1: a second YAML document"},
		{"custom tag", "a: !foo 1\n", "t.yaml:1:4: a: unsupported YAML tag !foo"},
		{"bad merge", "a:\n  <<: 1\n", "a merge key (<<) needs a mapping"},
		{"alias bomb", aliasBomb(), "document too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(c.src))
			if err == nil {
				t.Fatal("want an error")
			}
			var l diag.List
			if !errors.As(err, &l) {
				t.Fatalf("want diag.List, got %T", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %q, want it to contain %q", err.Error(), c.want)
			}
		})
	}
}

func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestEmptyDocument(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "---\n"} {
		d, err := Parse("t.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if d.Root != nil {
			t.Fatalf("%q: root = %#v, want nil", src, d.Root)
		}
	}
}

type worker struct {
	Tp       int      `json:"tp"`
	Settings []string `json:"additional-settings,omitempty"`
}

type entry struct {
	Name    string          `json:"name"`
	Flag    *bool           `json:"flag,omitempty"`
	Workers []worker        `json:"workers"`
	Extra   map[string]int  `json:"extra"`
	Ratio   float64         `json:"ratio"`
	Any     any             `json:"any"`
	Nested  *map[string]int `json:"nested"`
}

func TestDecode(t *testing.T) {
	src := "e:\n  name: x\n  flag: false\n  workers:\n  - tp: 8\n    additional-settings: [A=1]\n  extra: {b: 2, a: 1}\n  ratio: 3\n  any: [1, two]\n"
	d, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var e entry
	if err := d.Decode("/e", &e); err != nil {
		t.Fatal(err)
	}
	if e.Name != "x" || e.Flag == nil || *e.Flag || len(e.Workers) != 1 || e.Workers[0].Tp != 8 ||
		e.Workers[0].Settings[0] != "A=1" || e.Extra["a"] != 1 || e.Ratio != 3 || e.Nested != nil {
		t.Fatalf("decoded %#v", e)
	}
	if !reflect.DeepEqual(e.Any, []any{int64(1), "two"}) {
		t.Fatalf("any = %#v", e.Any)
	}
}

func TestDecodeStrict(t *testing.T) {
	cases := []struct {
		src, want string
	}{
		{"e:\n  workers:\n  - tp: 8.0\n", "t.yaml:3:9: e.workers[0].tp: expected an integer, got number 8"},
		{"e:\n  workers:\n  - tp: \"8\"\n", `t.yaml:3:9: e.workers[0].tp: expected an integer, got "8"`},
		{"e:\n  flag: 1\n", "t.yaml:2:9: e.flag: expected true or false, got integer 1"},
		{"e:\n  bogus: 1\n", "t.yaml:2:3: e.bogus: unknown key"},
		{"e:\n  workers: {}\n", "t.yaml:2:12: e.workers: expected a list, got a mapping"},
		{"e: 3\n", "t.yaml:1:4: e: expected a mapping, got integer 3"},
		{"e:\n  workers:\n  - tp: 123456789012345678901234567890\n", "t.yaml:3:9: e.workers[0].tp: expected an integer, got number 1.2345678901234568e+29"},
	}
	for _, c := range cases {
		d, err := Parse("t.yaml", []byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		var e entry
		err = d.Decode("/e", &e)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
	d, _ := Parse("t.yaml", []byte("a: 1\n"))
	var e entry
	if err := d.Decode("/nope", &e); err == nil {
		t.Error("decoding a missing value must fail")
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"a: 1\n", "a: [1, 2]\n", "a: &x {b: 1}\nc: *x\n", "a:\n  <<: *x\n", "- 1\n- - 2\n",
		"k:\n  image: x\n  seq-len-configs:\n  - isl: 1024\n    search-space:\n    - {tp: 8, conc-start: 4, conc-end: 64}\n",
		aliasBomb(),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		d, err := Parse("f.yaml", []byte(src))
		if err != nil {
			var l diag.List
			if !errors.As(err, &l) {
				t.Fatalf("error is not a diag.List: %T %v", err, err)
			}
			return
		}
		// Every position must be inside the document.
		lines := strings.Count(strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n"), "\n") + 1
		var check func(ptr string, v any)
		check = func(ptr string, v any) {
			if p := d.Pos(ptr); p.Line < 0 || p.Line > lines+1 {
				t.Fatalf("%s: line %d outside a %d-line document", ptr, p.Line, lines)
			}
			switch x := v.(type) {
			case map[string]any:
				for _, k := range d.Keys(ptr) {
					check(diag.AppendToken(ptr, k), x[k])
				}
			case []any:
				for i, item := range x {
					check(ptr+"/"+strconv.Itoa(i), item)
				}
			}
		}
		check("", d.Root)
	})
}
