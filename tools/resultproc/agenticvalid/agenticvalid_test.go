package agenticvalid

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The expected strings are what Python 3.12 prints for the same values
// (format(x, "g"), format(x / 3, ".3%"), str(pathlib.Path(p))).
func TestPythonFormats(t *testing.T) {
	for _, c := range []struct {
		x        float64
		g, third string
	}{
		{0, "0", "0.000%"},
		{1, "1", "33.333%"},
		{65, "65", "2166.667%"},
		{1234567.5, "1.23457e+06", "41152250.000%"},
		{1e-5, "1e-05", "0.000%"},
		{0.0001, "0.0001", "0.003%"},
		{1e16, "1e+16", "333333333333333376.000%"},
		{123456, "123456", "4115200.000%"},
		{1234565, "1.23456e+06", "41152166.667%"},
		{2.5e-7, "2.5e-07", "0.000%"},
	} {
		if got := FormatG(c.x); got != c.g {
			t.Errorf("FormatG(%v) = %q, Python %q", c.x, got, c.g)
		}
		if got := FormatPercent(c.x / 3); got != c.third {
			t.Errorf("FormatPercent(%v/3) = %q, Python %q", c.x, got, c.third)
		}
	}
	for p, want := range map[string]string{"a//b/": "a/b", "./x": "x", "x/./y": "x/y", "../a": "../a",
		"//a": "//a", "///a": "/a", "": ".", ".": ".", "/": "/"} {
		if got := PyPath(p); got != want {
			t.Errorf("PyPath(%q) = %q, Python %q", p, got, want)
		}
	}
}

// TestCategory checks upstream's _error_category on each kind of error
// value profile_export.jsonl holds.
func TestCategory(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{`{"error": {"type": "ServerError", "code": 500}}`, "ServerError"},
		{`{"error": {"type": "", "error_type": "Timeout"}}`, "Timeout"},
		{`{"error": {"code": 429}}`, "429"},
		{`{"error": {"code": null, "status": true}}`, "True"},
		{`{"error": {"message": "HTTP 400: too long\nmore"}}`, "HTTP 400"},
		{`{"error": {"message": "", "error": "x: y"}}`, "x"},
		{`{"error": {"message": ": leading colon"}}`, "unknown"},
		{`{"error": {"other": 1}}`, "unknown"},
		{`{"error": "  plain: text  "}`, "plain"},
		{`{"error": "` + strings.Repeat("a", 130) + `"}`, strings.Repeat("a", 120)},
	} {
		path := filepath.Join(t.TempDir(), RecordsName)
		if err := os.WriteFile(path, []byte(c.line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		kinds, err := Breakdown(path)
		if err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		if len(kinds) != 1 || kinds[0].Name != c.want || kinds[0].Count != 1 || kinds[0].Line != 1 {
			t.Errorf("%s: %+v, want one kind %q", c.line, kinds, c.want)
		}
	}
}

// TestBreakdownErrors: a broken records file is an error naming the line.
func TestBreakdownErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, RecordsName)
	for _, c := range []struct{ body, want string }{
		{"{\"error\": null}\n\n{oops\n", RecordsName + ":3: "},
		{"{\"error\": null}\n[1]\n", RecordsName + ":2: a record must be a JSON object, got list"},
		{"{} {}\n", RecordsName + ":1: extra data"},
	} {
		if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Breakdown(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.body, err, c.want)
		}
	}
	if _, err := Breakdown(filepath.Join(dir, "absent")); err == nil {
		t.Error("a missing file gave no error")
	}
}
