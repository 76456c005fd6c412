package pyjson

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// python.json is written by scripts/gen-pyjson-golden.py from Python's own
// json.dumps.
type golden struct {
	Floats   [][2]string `json:"floats"`
	Strings  [][2]string `json:"strings"`
	Document struct {
		Value map[string]any `json:"value"`
		Dumps string         `json:"dumps"`
	} `json:"document"`
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	data, err := os.ReadFile("testdata/python.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep 1 and 1.0 apart, as Python does
	if err := dec.Decode(&g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestFloatsMatchPython(t *testing.T) {
	g := loadGolden(t)
	if len(g.Floats) < 500 {
		t.Fatalf("only %d float cases", len(g.Floats))
	}
	for _, c := range g.Floats {
		bits, err := strconv.ParseUint(c[0], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		f := math.Float64frombits(bits)
		got, err := Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c[1] {
			t.Errorf("%v (%s): got %s, python %s", f, c[0], got, c[1])
		}
	}
}

func TestStringsMatchPython(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Strings {
		got, err := Marshal(c[0])
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c[1] {
			t.Errorf("%q: got %s, python %s", c[0], got, c[1])
		}
	}
}

func TestDocumentMatchesPython(t *testing.T) {
	g := loadGolden(t)
	got, err := Marshal(g.Document.Value)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != g.Document.Dumps {
		t.Errorf("got %s, python %s", got, g.Document.Dumps)
	}
}

type inner struct {
	A int `json:"a"`
}

type sample struct {
	Name    string      `json:"name"`
	Skip    string      `json:"-"`
	Omitted []int       `json:"omitted,omitempty"`
	List    []int       `json:"list"`
	Nil     []int       `json:"nil"`
	Ptr     *inner      `json:"ptr"`
	NilPtr  *inner      `json:"nil_ptr"`
	Any     any         `json:"any"`
	Num     json.Number `json:"num"`
	private int
}

func TestStructOrder(t *testing.T) {
	got, err := Marshal(sample{Name: "x", List: []int{1, 2}, Ptr: &inner{3}, Any: map[string]any{"z": 1, "a": 2.0}, Num: "7", private: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name": "x", "list": [1, 2], "nil": null, "ptr": {"a": 3}, "nil_ptr": null, "any": {"a": 2.0, "z": 1}, "num": 7}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestObjectKeepsOrder(t *testing.T) {
	var o Object
	o.Set("b", 1)
	o.Set("a", "x")
	o.Set("c", nil)
	o.Set("b", 2) // replacing keeps the place
	o.Delete("c")
	got, err := Marshal(&o)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"b": 2, "a": "x"}` {
		t.Errorf("got %s", got)
	}
	std, err := json.Marshal(o)
	if err != nil || string(std) != `{"b":2,"a":"x"}` {
		t.Errorf("encoding/json: %s %v", std, err)
	}
}

func TestRejectsNonFinite(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := Marshal(map[string]any{"x": f}); err == nil {
			t.Errorf("%v: want an error", f)
		}
	}
}

func FuzzFormatFloat(f *testing.F) {
	for _, s := range []float64{0, 1, 0.1, 1e-5, 1e16, 123.456, 5e-324} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		s, err := FormatFloat(x, 64)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			if err == nil {
				t.Fatal("want an error")
			}
			return
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != x {
			t.Fatalf("%v -> %q -> %v (%v)", x, s, back, err)
		}
	})
}

// normalizeNumbers turns json.Number into int64 or float64 the way Value
// types numbers.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && !strings.ContainsAny(string(x), ".eE") {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalizeNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeNumbers(x[k])
		}
	}
	return v
}

func TestValueMatchesMarshal(t *testing.T) {
	var o Object
	o.Set("z", []float64{1.5, 2})
	o.Set("a", map[string]uint8{"k": 7})
	values := []any{
		sample{Name: "x", List: []int{1, 2}, Ptr: &inner{3}, Any: map[string]any{"z": 1, "a": 2.5}, Num: "7"},
		[]any{nil, true, "s", int8(-3), uint64(1 << 63), 1e300},
		&o,
		map[string]any{},
		[]int(nil),
	}
	for _, v := range values {
		data, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		got, err := Value(v)
		if err != nil {
			t.Fatal(err)
		}
		// Value keeps json.Number fields as they are; compare numbers by value.
		if !reflect.DeepEqual(normalizeNumbers(got), normalizeNumbers(want)) {
			t.Errorf("%T:\n Value   %#v\n decoded %#v", v, got, want)
		}
	}
	if _, err := Value(math.NaN()); err == nil {
		t.Error("NaN must be an error")
	}
}
