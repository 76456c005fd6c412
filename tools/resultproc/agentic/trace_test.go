package agentic

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The cache directory comes from the environment; glob syntax in its
// name ('[', '*', '?') must not stop the traces from being found.
func TestTraceCacheWithPatternCharacters(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a[1]*?")
	snap := filepath.Join(root, "datasets--semianalysisai--cc-traces-weka-062126", "snapshots", "s[0]")
	if err := os.MkdirAll(snap, 0o755); err != nil {
		t.Fatal(err)
	}
	traces := `{"id": "trace-A", "requests": [{"type": "n", "output_length": 7}, {"type": "s", "out": 9}]}` + "\n"
	if err := os.WriteFile(filepath.Join(snap, "t*.jsonl"), []byte(traces), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(snap, "[b].json"), []byte(`{"id": "trace-B", "requests": [{"type": "n", "out": 4}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HF_HUB_CACHE": root}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tl, err := loadTraceLengths(lookup, paths{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tl.turns["trace-A"]; !slices.Equal(got, []int64{7, 9}) {
		t.Errorf("trace-A turns = %v, want [7 9]", got)
	}
	if got := tl.turns["trace-B"]; !slices.Equal(got, []int64{4}) {
		t.Errorf("trace-B turns = %v, want [4]", got)
	}
}

// A directory that cannot be listed is an error naming it, not an empty
// cache.
func TestMatchNamesNamesTheDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone[1]")
	_, err := matchNames(dir, "*.json")
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("matchNames(%s) = %v, want an error naming the directory", dir, err)
	}
}

// decodeDocument reads exactly what json.loads reads.
func TestDecodeDocumentTakesOneValue(t *testing.T) {
	for text, ok := range map[string]bool{
		`{"id": 1}`: true, " \t\r\n[1] \n": true, `12`: true, `"s"`: true, `null`: true,
		`12abc`: false, `truex`: false, `{} [1]`: false, `1 2`: false, `-`: false, `1.5e`: false, "": false,
		"\x1c{}": false, `"a" "b"`: false, `nullnull`: false,
	} {
		_, err := decodeDocument([]byte(text))
		if (err == nil) != ok {
			t.Errorf("decodeDocument(%q): error %v, want ok=%v", text, err, ok)
		}
	}
}
