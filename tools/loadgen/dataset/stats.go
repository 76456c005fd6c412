package dataset

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Stats summarises a generated dataset.
type Stats struct {
	NumPrompts int
	InputLens  []int // final prompt token counts, in prompt order
	OutputLens []int
	// Mismatches holds, per prompt, the final token count minus the
	// target (0 for every prompt of a good dataset).
	Mismatches []int
}

func (s *Stats) add(in, out, mismatch int) {
	s.InputLens = append(s.InputLens, in)
	s.OutputLens = append(s.OutputLens, out)
	s.Mismatches = append(s.Mismatches, mismatch)
}

// Mismatched counts the prompts whose token count is not the target.
func (s Stats) Mismatched() int {
	n := 0
	for _, m := range s.Mismatches {
		if m != 0 {
			n++
		}
	}
	return n
}

// Histogram maps each mismatch (tokens) to how many prompts have it.
func (s Stats) Histogram() map[int]int {
	h := map[int]int{}
	for _, m := range s.Mismatches {
		h[m]++
	}
	return h
}

// HistogramString renders the histogram as "-2: 1, 0: 998, 1: 1".
func (s Stats) HistogramString() string {
	h := s.Histogram()
	keys := make([]int, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%+d: %d", k, h[k])
	}
	return strings.Join(parts, ", ")
}

func minMaxMean(v []int) (int, int, float64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	lo, hi, sum := v[0], v[0], 0
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
		sum += x
	}
	return lo, hi, float64(sum) / float64(len(v))
}

// WriteTo prints the original's "Input/Output Length Statistics" block,
// with the same layout; avg_token_mismatch is measured against each
// prompt's full target (template tokens included), so it is 0 for a good
// dataset. A histogram line follows when any prompt is off.
func (s Stats) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	header := fmt.Sprintf("%s  Input/Output Length Statistics  %s", strings.Repeat("-", 19), strings.Repeat("-", 19))
	b.WriteString(header + "\n")
	inMin, inMax, inMean := minMaxMean(s.InputLens)
	outMin, outMax, outMean := minMaxMean(s.OutputLens)
	_, _, mm := minMaxMean(s.Mismatches)
	fmt.Fprintf(&b, " input_lens : min=%-4d  max=%-4d  mean=%-7.2f  avg_token_mismatch=%-5.2f \n", inMin, inMax, inMean, mm)
	fmt.Fprintf(&b, " output_lens: min=%-4d  max=%-4d  mean=%-7.2f \n", outMin, outMax, outMean)
	if s.Mismatched() > 0 {
		fmt.Fprintf(&b, " token_mismatch histogram (tokens: prompts): %s\n", s.HistogramString())
	}
	b.WriteString(strings.Repeat("-", len(header)) + " \n\n")
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
