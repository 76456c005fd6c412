package diag

import (
	"errors"
	"testing"
)

func TestString(t *testing.T) {
	cases := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "a.yaml", Line: 3, Col: 5, Path: "k.tp", Message: "bad"}, "a.yaml:3:5: k.tp: bad"},
		{Diagnostic{File: "a.yaml", Line: 3, Message: "bad"}, "a.yaml:3: bad"},
		{Diagnostic{File: "a.yaml", Message: "bad"}, "a.yaml: bad"},
		{Diagnostic{Path: "x", Message: "bad"}, "x: bad"},
		{Diagnostic{Message: "bad"}, "bad"},
	}
	for _, c := range cases {
		if got := c.d.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestPathFromPointer(t *testing.T) {
	cases := map[string]string{
		"": "",
		"/dsr1-fp8-h200-sglang/seq-len-configs/0/search-space/2/conc-end": "dsr1-fp8-h200-sglang.seq-len-configs[0].search-space[2].conc-end",
		"/0/decode": "[0].decode",
		"/a~1b/c":   `["a/b"].c`,
		"/a/x.y":    `a["x.y"]`,
		"/a/":       `a[""]`,
	}
	for in, want := range cases {
		if got := PathFromPointer(in); got != want {
			t.Errorf("PathFromPointer(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestListErrorAndSort(t *testing.T) {
	l := List{
		{File: "b.yaml", Line: 1, Message: "z"},
		{File: "a.yaml", Line: 9, Col: 2, Message: "y"},
		{File: "a.yaml", Line: 9, Col: 1, Message: "x"},
	}
	l.Sort()
	want := "a.yaml:9:1: x\na.yaml:9:2: y\nb.yaml:1: z"
	var err error = l
	if err.Error() != want {
		t.Fatalf("got\n%s\nwant\n%s", err.Error(), want)
	}
	var target List
	if !errors.As(err, &target) || len(target) != 3 {
		t.Fatal("errors.As must find the List")
	}
}

func TestJSONKind(t *testing.T) {
	for raw, want := range map[string]string{
		"":         "nothing",
		" \n\t":    "nothing",
		`{"a": 1}`: "an object",
		" [1, 2]":  "a list",
		`"text"`:   "a string",
		"true":     "a boolean",
		"false\n":  "a boolean",
		"null":     "null",
		"-1.5e3":   "a number",
		"12":       "a number",
	} {
		if got := JSONKind([]byte(raw)); got != want {
			t.Errorf("JSONKind(%q) = %q, want %q", raw, got, want)
		}
	}
}
