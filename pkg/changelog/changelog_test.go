package changelog

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/schemas"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, key string
		want         bool
	}{
		{"dsr1-fp8-*-sglang", "dsr1-fp8-h200-sglang", true},
		{"dsr1-fp8-*-sglang", "dsr1-fp8-mi355x-sglang-disagg", false}, // whole key
		{"dsr1-fp8-*-sglang*", "dsr1-fp8-mi355x-sglang-disagg", true},
		{"dsr1*", "dsr1", true},
		{"*", "anything", true},
		{"*-vllm", "gptoss-fp4-h100-vllm", true},
		{"gptoss-*-*-vllm", "gptoss-fp4-h100-vllm", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"a*a", "a", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{"dsr1.fp8*", "dsr1-fp8-x", false}, // '.' is literal
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.key); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.key, got, c.want)
		}
	}
}

const diffText = `diff --git a/perf-changelog.yaml b/perf-changelog.yaml
index 1111111..2222222 100644
--- a/perf-changelog.yaml
+++ b/perf-changelog.yaml
@@ -3 +3 @@ x
-    - "old"
+    - "new"
@@ -5,0 +6,2 @@ y
+- config-keys:
+    - a
@@ -9,2 +11,0 @@ z
-
-  
\ No newline at end of file
`

func TestParseDiff(t *testing.T) {
	d, err := ParseDiff(diffText)
	if err != nil {
		t.Fatal(err)
	}
	added := map[int]bool{3: true, 6: true, 7: true}
	if !reflect.DeepEqual(d.Added, added) {
		t.Errorf("added %v, want %v", d.Added, added)
	}
	deleted := []Line{{3, 3, `    - "old"`}, {9, 12, ""}, {10, 12, "  "}}
	if !reflect.DeepEqual(d.Deleted, deleted) {
		t.Errorf("deleted %v, want %v", d.Deleted, deleted)
	}
	if d, err := ParseDiff(""); err != nil || len(d.Added)+len(d.Deleted) != 0 {
		t.Errorf("empty diff: %v %v", d, err)
	}
	for _, bad := range []string{
		"diff --git a/x b/x\ndiff --git a/y b/y\n",
		"Binary files a/x and b/x differ\n",
		"@@ -a +1 @@\n",
		"@@ -1 +1\n",
		"@@ -1 +1 @@\n?what\n",
	} {
		if _, err := ParseDiff(bad); err == nil {
			t.Errorf("want an error for %q", bad)
		}
	}
}

const head = `- config-keys:
    - a
  description:
    - "one"
  pr-link: p1

# a comment added with the next entry
- config-keys: [b, "c*"]
  description: ["two"]
  pr-link: p2
  evals-only: true
-
  config-keys: [d]
  description: ["three"]
  pr-link: p3
`

func TestAdded(t *testing.T) {
	f, err := Parse("c.yaml", []byte(head))
	if err != nil {
		t.Fatal(err)
	}
	lines := func(ls ...int) map[int]bool {
		m := map[int]bool{}
		for _, l := range ls {
			m[l] = true
		}
		return m
	}
	cases := []struct {
		name string
		d    Diff
		want []int
		err  string
	}{
		{"append two", Diff{Added: lines(7, 8, 9, 10, 11, 12, 13, 14, 15)}, []int{1, 2}, ""},
		{"append last, lone dash", Diff{Added: lines(12, 13, 14, 15)}, []int{2}, ""},
		{"blank and comment lines only", Diff{Added: lines(6, 7)}, nil, ""},
		{"edit", Diff{Added: lines(2)}, nil, "c.yaml:1:3: [0]: entry 0 was changed"},
		{"partial", Diff{Added: lines(10, 11)}, nil, "entry 1 was changed"},
		{"deleted", Diff{Added: lines(12, 13, 14, 15), Deleted: []Line{{Number: 4, NewPos: 4, Text: "x"}, {Number: 5, NewPos: 4, Text: "  "}}}, nil,
			`c.yaml:4: line 4 of c.yaml at base was deleted ("x")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.Added(&c.d, "base")
			if c.err != "" {
				var l diag.List
				if !errors.As(err, &l) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v %v, want %v", got, err, c.want)
			}
		})
	}
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := f.Entries(v, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if e := entries[0]; e.Index != 1 || e.Line != 8 || !e.EvalsOnly || !reflect.DeepEqual(e.ConfigKeys, []string{"b", "c*"}) || e.PRLink != "p2" {
		t.Errorf("entry %+v", e)
	}
	if e := entries[1]; e.Index != 2 || e.EvalsOnly || e.Line != 13 {
		t.Errorf("entry %+v", e)
	}
}

func TestParseRejectsNonList(t *testing.T) {
	if _, err := Parse("c.yaml", []byte("config-keys: [a]\n")); err == nil || !strings.Contains(err.Error(), "must be a list") {
		t.Errorf("got %v", err)
	}
	f, err := Parse("c.yaml", nil)
	if err != nil || f.Len() != 0 {
		t.Errorf("an empty changelog has no entries: %v", err)
	}
}

// FuzzParseDiff feeds arbitrary text to the diff reader: errors, never a
// panic, and added lines only at positive line numbers.
func FuzzParseDiff(f *testing.F) {
	f.Add(diffText)
	f.Add("@@ -0,0 +1,3 @@\n+a\n+b\n+c\n")
	f.Add("@@ -1,2 +1 @@\n-a\n b\n")
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseDiff(text)
		if err != nil {
			return
		}
		for l := range d.Added {
			if l < 1 {
				t.Fatalf("added line %d", l)
			}
		}
	})
}

// FuzzEntries feeds arbitrary changelogs and diffs to the entry reader.
func FuzzEntries(f *testing.F) {
	f.Add(head, "@@ -5,0 +6,10 @@\n+\n+\n+\n+\n+\n+\n+\n+\n+\n+\n")
	f.Add("- {config-keys: [a], description: [b], pr-link: c}\n", "@@ -0,0 +1 @@\n+x\n")
	f.Add("[]\n", "")
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text, diff string) {
		file, err := Parse("c.yaml", []byte(text))
		if err != nil {
			var l diag.List
			if !errors.As(err, &l) {
				t.Fatalf("parse error is not a diag.List: %T", err)
			}
			return
		}
		d, err := ParseDiff(diff)
		if err != nil {
			return
		}
		idx, err := file.Added(d, "base")
		if err != nil {
			return
		}
		for _, i := range idx {
			if i < 0 || i >= file.Len() {
				t.Fatalf("index %d out of %d entries", i, file.Len())
			}
		}
		if _, err := file.Entries(v, idx); err != nil {
			var l diag.List
			if !errors.As(err, &l) {
				t.Fatalf("entries error is not a diag.List: %T %v", err, err)
			}
		}
	})
}
