package successrate

import (
	"reflect"
	"strings"
	"testing"
)

func TestSKUs(t *testing.T) {
	got := SKUs([]string{"h100", "h200", "b200-trt", "b200", "mi355x-disagg", "gb200", "h200-multinode"})
	want := []string{"h100", "h200", "b200", "mi355x", "gb200"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestMatcher(t *testing.T) {
	m := NewMatcher([]string{"h100", "h200", "b200", "gb200", "mi300x", "mi325x", "b300", "gb300"})
	cases := map[string]string{
		"single-node 1k1k / dsr1_1k1k h200 sglang fp8 tp=8": "h200",
		"single-node 1k1k / dsr1_1k1k b200-trt trt fp4":     "b200",
		"multi-node 1k1k / dsr1_1k1k gb200 dynamo-trt fp4":  "gb200",
		"single-node 8k1k / gptoss MI300X vllm":             "mi300x",
		"single-node / x b200_nv_0":                         "", // '_' is a word character: no boundary
		"setup":                                             "",
		"collect-results / collect-results":                 "",
		"compare h100 vs h200":                              "h100", // the first named wins
		"dsr1-b300 then gb300":                              "b300",
		"dsr1_b300":                                         "",
		"mi325x-amd":                                        "mi325x",
		"(h200)":                                            "h200",
	}
	for name, want := range cases {
		if got := m.SKU(name); got != want {
			t.Errorf("SKU(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestMatcherLongerWinsAtSamePlace(t *testing.T) {
	m := NewMatcher([]string{"mi300", "mi300x"})
	if got := m.SKU("run on mi300x now"); got != "mi300x" {
		t.Errorf("got %q", got)
	}
	if got := m.SKU("run on mi300-x now"); got != "mi300" {
		t.Errorf("got %q", got)
	}
}

func TestCount(t *testing.T) {
	st := Count([]string{"h200", "b200", "h100"}, []Job{
		{"a h200", "success"}, {"b h200", "failure"}, {"c h200", "skipped"}, {"d h200", "cancelled"},
		{"e b200-trt", "success"}, {"f", "success"}, {"g b200", ""},
	})
	want := Stats{"h200": {1, 3}, "b200": {1, 2}, "h100": {0, 0}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("got %v, want %v", st, want)
	}
	tbl := st.Table()
	if strings.Contains(tbl, "h100") || !strings.Contains(tbl, "h200       1          3          33.33     %") {
		t.Errorf("table:\n%s", tbl)
	}
	if md := (Stats{"h100": {0, 0}}).Markdown(); !strings.Contains(md, "No job of this run ran on a known GPU SKU") {
		t.Errorf("empty markdown: %s", md)
	}
}
