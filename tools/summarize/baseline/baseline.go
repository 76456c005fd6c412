// Package baseline compares a sweep's results with an earlier aggregate,
// configuration by configuration, and says which got slower.
package baseline

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/mdtable"
	"github.com/inferencex/inferencex-go/pkg/results"
)

// ParseThreshold reads a threshold given as a percentage: "5%", "5" and
// "2.5%" are 0.05, 0.05 and 0.025.
func ParseThreshold(s string) (float64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f >= 100 {
		return 0, fmt.Errorf("expected a percentage from 0 to 100 such as 5%%, got %q", s)
	}
	return f / 100, nil
}

// Match is one configuration measured in both runs.
type Match struct {
	Base, Cur *results.Processed
	// Relative changes (0.05 is +5%); NaN where a side has no value.
	TputDelta, TpotDelta float64
	Regressed, Improved  bool
	Why                  []string
}

// Comparison is the result of a regression check.
type Comparison struct {
	Threshold    float64
	Matches      []*Match // in the order of the current run's summary
	OnlyBaseline []*results.Processed
	OnlyCurrent  []*results.Processed
}

// Regressions counts the matches that regressed.
func (c *Comparison) Regressions() int {
	n := 0
	for _, m := range c.Matches {
		if m.Regressed {
			n++
		}
	}
	return n
}

// DuplicateError is a run with two results for one configuration: which of
// them to compare is a guess, so the check refuses.
type DuplicateError struct {
	Side   string
	Groups [][]*results.Processed
}

func (e *DuplicateError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the %s has more than one result for %d configuration(s); cannot tell which to compare:", e.Side, len(e.Groups))
	for _, g := range e.Groups {
		var srcs []string
		for _, r := range g {
			srcs = append(srcs, r.Source)
		}
		fmt.Fprintf(&b, "\n  %s: %s", g[0].Label(), strings.Join(srcs, ", "))
	}
	return b.String()
}

// Compare matches current results (already in summary order) with the
// baseline's by configuration identity. A match regresses when throughput
// per GPU fell, or median TPOT rose, by more than threshold.
func Compare(base, cur []*results.Processed, threshold float64) (*Comparison, error) {
	if d := results.Duplicates(base); len(d) > 0 {
		return nil, &DuplicateError{"baseline", d}
	}
	if d := results.Duplicates(cur); len(d) > 0 {
		return nil, &DuplicateError{"current run", d}
	}
	byID := map[results.Identity]*results.Processed{}
	for _, r := range base {
		byID[r.Identity()] = r
	}
	c := &Comparison{Threshold: threshold}
	seen := map[results.Identity]bool{}
	for _, r := range cur {
		id := r.Identity()
		b, ok := byID[id]
		if !ok {
			c.OnlyCurrent = append(c.OnlyCurrent, r)
			continue
		}
		seen[id] = true
		c.Matches = append(c.Matches, judge(b, r, threshold))
	}
	for _, r := range base {
		if !seen[r.Identity()] {
			c.OnlyBaseline = append(c.OnlyBaseline, r)
		}
	}
	return c, nil
}

func delta(b, c float64, okB, okC bool) float64 {
	if !okB || !okC || b == 0 {
		return math.NaN()
	}
	return (c - b) / b
}

func judge(b, c *results.Processed, threshold float64) *Match {
	tb, okTB := b.Float("tput_per_gpu")
	tc, okTC := c.Float("tput_per_gpu")
	pb, okPB := b.Float("median_tpot")
	pc, okPC := c.Float("median_tpot")
	m := &Match{Base: b, Cur: c, TputDelta: delta(tb, tc, okTB, okTC), TpotDelta: delta(pb, pc, okPB, okPC)}
	// A tolerance below float noise keeps "exactly at the threshold" a pass.
	const eps = 1e-12
	if m.TputDelta < -threshold-eps {
		m.Regressed = true
		m.Why = append(m.Why, fmt.Sprintf("throughput per GPU %s", pctText(m.TputDelta)))
	}
	if m.TpotDelta > threshold+eps {
		m.Regressed = true
		m.Why = append(m.Why, fmt.Sprintf("median TPOT %s", pctText(m.TpotDelta)))
	}
	if !m.Regressed && (m.TputDelta > threshold+eps || m.TpotDelta < -threshold-eps) {
		m.Improved = true
	}
	return m
}

// ThresholdText writes a threshold as a percentage: 0.05 -> "5%".
func ThresholdText(t float64) string {
	return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(t*100, 'f', 4, 64), "0"), ".") + "%"
}

func pctText(d float64) string {
	if math.IsNaN(d) {
		return "n/a"
	}
	return fmt.Sprintf("%+.2f%%", d*100)
}

// Verdict is a match's word in the table.
func (m *Match) Verdict() string {
	switch {
	case m.Regressed:
		return "REGRESSED"
	case m.Improved:
		return "improved"
	}
	return "ok"
}

func num(r *results.Processed, key string, scale float64) any {
	v, ok := r.Float(key)
	if !ok {
		return nil
	}
	return v * scale
}

// Markdown renders the comparison for the job summary.
func (c *Comparison) Markdown(baselineName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Regression check against %s\n\n", baselineName)
	fmt.Fprintf(&b, "Threshold %s: a configuration regresses when its throughput per GPU falls, or its median TPOT rises, by more than that. ",
		ThresholdText(c.Threshold))
	improved := 0
	for _, m := range c.Matches {
		if m.Improved {
			improved++
		}
	}
	fmt.Fprintf(&b, "%d configuration(s) in both runs: **%d regressed**, %d improved; %d only in the baseline, %d only in this run.\n\n",
		len(c.Matches), c.Regressions(), improved, len(c.OnlyBaseline), len(c.OnlyCurrent))
	if len(c.Matches) > 0 {
		rows := make([][]any, len(c.Matches))
		for i, m := range c.Matches {
			rows[i] = []any{m.Cur.Label(), num(m.Base, "tput_per_gpu", 1), num(m.Cur, "tput_per_gpu", 1), pctText(m.TputDelta),
				num(m.Base, "median_tpot", 1000), num(m.Cur, "median_tpot", 1000), pctText(m.TpotDelta), m.Verdict()}
		}
		b.WriteString(mdtable.Table{Headers: []string{"Configuration", "TPUT per GPU (baseline)", "TPUT per GPU", "Δ TPUT per GPU",
			"TPOT (ms, baseline)", "TPOT (ms)", "Δ TPOT", "Verdict"}, Rows: rows, FloatFormat: ".2f"}.String())
		b.WriteString("\n")
	}
	list := func(title string, rs []*results.Processed) {
		if len(rs) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n### %s (%d)\n\n", title, len(rs))
		for _, r := range rs {
			fmt.Fprintf(&b, "- %s\n", r.Label())
		}
	}
	list("Only in the baseline: not measured in this run", c.OnlyBaseline)
	list("Only in this run: no baseline to compare with", c.OnlyCurrent)
	return b.String()
}
