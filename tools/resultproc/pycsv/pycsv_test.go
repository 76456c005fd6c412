package pycsv

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestAgainstPython compares every record and error with what Python's csv
// module made of the same text (scripts/gen-power-golden.py).
func TestAgainstPython(t *testing.T) {
	data, err := os.ReadFile("testdata/python.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Input string     `json:"input"`
		Skip  bool       `json:"skipinitialspace"`
		Rows  [][]string `json:"rows"`
		Error string     `json:"error"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		r := NewReader(c.Input, c.Skip)
		var rows [][]string
		for {
			rec, ok := r.Next()
			if !ok {
				break
			}
			rows = append(rows, rec.Fields)
		}
		if rows == nil {
			rows = [][]string{}
		}
		want := c.Rows
		if want == nil {
			want = [][]string{}
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("%.60q (skip %v): got %q, Python %q", c.Input, c.Skip, rows, want)
		}
		gotErr := ""
		if r.Err() != nil {
			gotErr = r.Err().Msg
		}
		// Python names universal-newline mode in its message; the wording
		// is not the point, that there is an error is.
		if (gotErr == "") != (c.Error == "") || (c.Error != "" && !strings.HasPrefix(c.Error, strings.SplitN(gotErr, " - ", 2)[0])) {
			t.Errorf("%.60q: error %q, Python %q", c.Input, gotErr, c.Error)
		}
	}
}

func TestDecodeReplacesLikePython(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ok", "ok"},
		{"a\xffb", "a\ufffdb"},
		{"a\xe2\x82b", "a\ufffdb"},             // a truncated three-byte sequence: one replacement
		{"a\xe0\x80b", "a\ufffd\ufffdb"},       // E0 80 cannot start a valid sequence: two
		{"\xf0\x9f\x98", "\ufffd"},             // a truncated four-byte sequence at the end
		{"\xed\xa0\x80", "\ufffd\ufffd\ufffd"}, // a surrogate: each byte
	} {
		if got := Decode([]byte(c.in)); got != c.want {
			t.Errorf("Decode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDictReaderLikePython(t *testing.T) {
	r := NewDictReader(NewReader(" a , b ,a\n1,2,3\n\n4\n", true), strings.TrimSpace)
	if !reflect.DeepEqual(r.Header, []string{"a", "b", "a"}) {
		t.Fatalf("header %q", r.Header)
	}
	row, ok := r.Next()
	if !ok || row.Get("a") != "3" || row.Get("b") != "2" {
		t.Errorf("a repeated column keeps its last value: %+v", row)
	}
	row, ok = r.Next()
	// The blank line is skipped; a short row leaves later columns None, the
	// repeated "a" included.
	if !ok || row.Has("a") || row.Has("b") || row.Get("a") != "" {
		t.Errorf("short row: %+v", row)
	}
	if _, ok := r.Next(); ok {
		t.Error("rows after the end")
	}
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a,\"b\nc\",d", "x,\"y\"z\r\n\r\n", "\"", "a,b\rc\n"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, skip bool) {
		r := NewReader(s, skip)
		n := 0
		for {
			rec, ok := r.Next()
			if !ok {
				break
			}
			n++
			if rec.Line < 1 || rec.Line > len(Lines(s)) {
				t.Fatalf("record %d ends on line %d of %d", n, rec.Line, len(Lines(s)))
			}
			if n > len(s)+1 {
				t.Fatal("more records than characters")
			}
		}
		if strings.Join(Lines(s), "") != s {
			t.Fatal("Lines loses text")
		}
	})
}
