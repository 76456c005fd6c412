package pyout

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
)

func TestRoundFloats(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{2.5e-6, "0.0"},
		{-0.000001, "-0.0"},
		{1.000004, "1"},
		{123456.789995, "123456.78999"},
		{0.000015, "2e-05"},
		{0.0, "0.0"},
		{-3.0, "-3"},
		{1e20, "100000000000000000000"},
		{1.2345678901234567e25, "12345678901234566097272832"},
		{json.Number("7"), "7"},
		{math.Inf(1), "Infinity"},
		{math.NaN(), "NaN"},
		{"text", `"text"`},
	} {
		b, err := MarshalIndent(RoundFloats(c.in))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("round_floats(%v) writes %s, want %s", c.in, b, c.want)
		}
	}
}

func TestMarshalIndentLikePython(t *testing.T) {
	o := &pyjson.Object{}
	o.Set("a", []any{int64(1), &pyjson.Object{}, []any{}})
	inner := &pyjson.Object{}
	inner.Set("é", nil)
	o.Set("b", inner)
	got, err := MarshalIndent(o)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": [\n    1,\n    {},\n    []\n  ],\n  \"b\": {\n    \"\\u00e9\": null\n  }\n}"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// The wants are Python 3.12's json.dumps of the same str: a lone
// surrogate (here in its generalized UTF-8 form, as the agentic reader
// keeps it) is written as its escape; a pair stays one character.
func TestLoneSurrogatesWrittenAsEscapes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"\xed\xa0\x80", `"\ud800"`},
		{"a\xed\xb0\x80b: \"x\"", `"a\udc00b: \"x\""`},
		{"\xed\xa0\x80\xed\xb0\x80", `"\ud800\udc00"`},
		{"😀\xed\xbf\xbf", `"\ud83d\ude00\udfff"`},
		{"\xed\x9f\xbf", `"\ud7ff"`},
		{"é\xed\xa0", `"\u00e9\ufffd\ufffd"`},
	} {
		got, err := MarshalIndent(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("MarshalIndent(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// Python's json.loads("-0") is the int 0, written back as 0.
func TestNegativeZeroIntWrittenAsZero(t *testing.T) {
	got, err := MarshalIndent([]any{json.Number("-0"), json.Number("-0.0")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[\n  0,\n  -0.0\n]"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSurrogateForm(t *testing.T) {
	for _, r := range []rune{0xd800, 0xdbff, 0xdc00, 0xdfff} {
		b := AppendSurrogate(nil, r)
		if len(b) != 3 {
			t.Fatalf("AppendSurrogate(%U) = % x, want three bytes", r, b)
		}
		if got, ok := SurrogateAt("x"+string(b)+"y", 1); !ok || got != r {
			t.Errorf("SurrogateAt of AppendSurrogate(%U) = %U, %v", r, got, ok)
		}
	}
	// Outside the surrogates it is plain UTF-8, which SurrogateAt never reads
	// as one.
	for _, r := range []rune{'a', 0xd7ff, 0xe000, 0xfffd, 0x1f600} {
		b := AppendSurrogate(nil, r)
		if string(b) != string(r) {
			t.Errorf("AppendSurrogate(%U) = % x, want UTF-8", r, b)
		}
		for i := range b {
			if _, ok := SurrogateAt(string(b), i); ok {
				t.Errorf("SurrogateAt(%q, %d) found a surrogate", b, i)
			}
		}
	}
	if _, ok := SurrogateAt("\xed\xa0", 0); ok {
		t.Error("SurrogateAt read past the end of a cut-off form")
	}
}
