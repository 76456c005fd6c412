package yamldoc

import (
	"os"
	"path/filepath"
	"testing"
)

// checkFast holds the fast reader to the library on one input: when it
// reads the input, the library must too, with the same values, key order
// and positions.
func checkFast(t *testing.T, src []byte) bool {
	t.Helper()
	root, pos, ok := fastParse("f.yaml", src)
	if !ok {
		return false
	}
	whole, err := parseWhole("f.yaml", src)
	if err != nil {
		t.Fatalf("the fast reader read a file the library rejects (%v):\n%s", err, src)
	}
	sameDoc(t, &Doc{File: "f.yaml", Root: root, pos: pos, data: src}, whole)
	return true
}

// TestFastReadsTheConfigs: the configs this project and upstream keep are
// all read by the fast reader, as the library reads them.
func TestFastReadsTheConfigs(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../../configs/*.yaml", "../../demo/*.yaml", "../../tools/matrixgen/testdata/*/*.yaml", "../../perf-changelog.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	read := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if checkFast(t, data) {
			read++
		} else if filepath.Base(filepath.Dir(f)) != "configs" && filepath.Base(filepath.Dir(f)) != "configs-main" {
			t.Errorf("%s: the fast reader gave up", f)
		}
	}
	if read < 15 {
		t.Errorf("the fast reader read only %d of %d files", read, len(files))
	}
}

func TestFastGivesUp(t *testing.T) {
	for _, src := range []string{
		"a: &x 1\nb: *x\n",
		"a: |\n  text\n",
		"a: b\n  c\n",
		"a: 'x\n  y'\n",
		"a: \"x\\ty\"\n",
		"a:\nb: 1\n",
		"- a\nb: 1\n",
		"a: 1\na: 2\n",
		"1: a\n",
		"a: {b: c:d}\n",
		"a: [1, 2\n",
		"---\na: 1\n",
		"a: b: c\n",
		"<<: {a: 1}\n",
		"a:\n\tb: 1\n",
		"",
	} {
		if _, _, ok := fastParse("f.yaml", []byte(src)); ok {
			t.Errorf("read %q", src)
		}
	}
}

func TestFastPositions(t *testing.T) {
	src := "# head\nk:\n  image: \"img:1\"\n  list:\n  - {tp: 8, conc-list: [1,\n      2]}\n  - tp: 4\n    ep: 2\n  - - nested\n    - 'it''s'\n  n: -1.5\n"
	if !checkFast(t, []byte(src)) {
		t.Fatal("the fast reader gave up")
	}
}

// FuzzFastMatchesLibrary: on any input, whatever the fast reader reads it
// reads as the library does.
func FuzzFastMatchesLibrary(f *testing.F) {
	f.Add("a: 1\nb: [1, 2]\nc:\n  d: x\ne: {f: g}\n")
	f.Add("k:\n  s:\n  - {tp: 8, conc-start: 1, conc-end: 4}\n  - tp: 4\n    x: 'q'\n")
	f.Add("a: \"x # y\" # c\nb: x#y\nc: 2_000\nd: 0x1F\ne: ~\nf: yes\ng: -1\n")
	f.Add("- - a\n  - b\n- c: [d, {e: f}]\n")
	f.Add("a: [\n  1,\n  2 ]\nb: {c: d,\n  e: f}\n")
	for _, name := range []string{"amd-master.yaml", "runners.yaml"} {
		if data, err := os.ReadFile("../../configs/" + name); err == nil {
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkFast(t, []byte(src))
	})
}
