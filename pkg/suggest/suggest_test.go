package suggest

import "testing"

func TestDistance(t *testing.T) {
	cases := []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"--step", "--step-size", 5}, {"same", "same", 0},
	}
	for _, c := range cases {
		if got := Distance(c.a, c.b); got != c.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
		if got := Distance(c.b, c.a); got != c.d {
			t.Errorf("Distance is not symmetric for %q, %q", c.a, c.b)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"dsr1-fp8-h200-sglang", "dsr1-fp8-b200-sglang", "gptoss-fp4-h200-vllm"}
	if got := Closest("dsr1-fp8-h200-sglng", keys, 2); got != "dsr1-fp8-h200-sglang" {
		t.Errorf("got %q", got)
	}
	if got := Closest("llama", keys, 2); got != "" {
		t.Errorf("got %q, want none", got)
	}
}
