package yamldoc

import (
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

// sameDoc requires two parses of one file to agree on the value and on
// every position and key order.
func sameDoc(t *testing.T, split, whole *Doc) {
	t.Helper()
	if !reflect.DeepEqual(split.Root, whole.Root) {
		t.Fatalf("values differ:\nsplit %#v\nwhole %#v", split.Root, whole.Root)
	}
	var walk func(ptr string, v any)
	walk = func(ptr string, v any) {
		if a, b := split.Pos(ptr), whole.Pos(ptr); a != b {
			t.Fatalf("%s: position %v, whole-file %v", ptr, a, b)
		}
		if a, b := split.KeyPos(ptr), whole.KeyPos(ptr); a != b {
			t.Fatalf("%s: key position %v, whole-file %v", ptr, a, b)
		}
		switch x := v.(type) {
		case map[string]any:
			if a, b := split.Keys(ptr), whole.Keys(ptr); !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: keys %v, whole-file %v", ptr, a, b)
			}
			for k, item := range x {
				walk(diag.AppendToken(ptr, k), item)
			}
		case []any:
			for i, item := range x {
				walk(ptr+"/"+strconv.Itoa(i), item)
			}
		}
	}
	walk("", whole.Root)
	if a, b := split.Pos("/no/such"), whole.Pos("/no/such"); a != b {
		t.Fatalf("missing pointer: %v vs %v", a, b)
	}
}

func TestSplitMatchesWholeOnRealConfigs(t *testing.T) {
	for _, name := range []string{"nvidia-master.yaml", "amd-master.yaml"} {
		data, err := os.ReadFile("../../configs/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, workers := range []int{2, 3, 5} {
			split, ok := parseSplit(name, data, 0, workers)
			if !ok {
				t.Fatalf("%s: not split with %d workers", name, workers)
			}
			whole, err := parseWhole(name, data)
			if err != nil {
				t.Fatal(err)
			}
			sameDoc(t, split, whole)
		}
	}
}

func TestSplitGivesUp(t *testing.T) {
	cases := map[string]string{
		"alias":         "a: &x 1\nb: *x\nc: 3\nd: 4\n",
		"multi-line":    "a: 'x\nb: y'\nc: 1\nd: 2\n",
		"flow":          "a: [1,\nb: 2]\nc: 1\nd: 2\n",
		"duplicate":     "a: 1\nb: 2\nc: 3\na: 4\n",
		"not a mapping": "- a\n- b\n- c\n- d\n",
		"quoted key":    "a: 1\n\"b\": 2\nc: 3\nd: 4\n",
		"two documents": "a: 1\nb: 2\n---\nc: 3\nd: 4\n",
	}
	for name, src := range cases {
		if _, ok := parseSplit("t.yaml", []byte(src), 0, 2); ok {
			t.Errorf("%s: split, but it must read the file whole", name)
		}
	}
	if _, ok := parseSplit("t.yaml", []byte("# c\na: 1\nb: 2\nc: 3\nd: 4\n"), 0, 2); !ok {
		t.Error("a plain mapping with a leading comment must split")
	}
	// "*" and "&" in comment lines cannot be aliases or anchors.
	if _, ok := parseSplit("t.yaml", []byte("a: 1\n  # TP & EP, 5*4 GPUs\nb: 2\nc: 3\nd: 4\n"), 0, 2); !ok {
		t.Error("a mapping with & and * in comments must split")
	}
	if _, ok := parseSplit("t.yaml", []byte("a: &x 1\nb: *x\nc: 3\nd: 4\n"), 0, 2); ok {
		t.Error("an anchor must not be split")
	}
}

// FuzzSplitMatchesWhole: whenever the file is split, the result must be the
// whole-file parse's, positions included.
func FuzzSplitMatchesWhole(f *testing.F) {
	f.Add("a: 1\nb: [1, 2]\nc:\n  d: x\ne: {f: g}\n")
	f.Add("# head\nk1:\n  image: x\n  list:\n  - 1\n  - 2\nk2: 'q'\nk3: |\n  block\nk4: 4\n")
	f.Add("a: 'x\nb: y'\nc: 1\nd: 2\n")
	f.Add("a: \"x\n  # & *y\"\nb: 1\n# c & d *\nc: [1,\n  # *\n  2]\nd: 2\n")
	f.Add("a: |\n  # *a &b\nb: 1\nc: 2\nd: 3\n")
	f.Fuzz(func(t *testing.T, src string) {
		for _, workers := range []int{2, 3} {
			split, ok := parseSplit("f.yaml", []byte(src), 0, workers)
			if !ok {
				continue
			}
			whole, err := parseWhole("f.yaml", []byte(src))
			if err != nil {
				t.Fatalf("split parsed a file the whole-file parse rejects (%v)", err)
			}
			sameDoc(t, split, whole)
		}
	})
}
