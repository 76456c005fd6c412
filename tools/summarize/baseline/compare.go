package baseline

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/mdtable"
	"github.com/inferencex/inferencex-go/pkg/results"
)

// The comparison of a pull request's sweep with main, laid out as upstream
// main's utils/compare_results.py lays it out: per result its configuration,
// then for each metric its value and the change from the baseline, green
// where it got better and red where it got worse (LaTeX colour, which
// GitHub renders in Markdown), N/A without a baseline.

// metric is one compared metric: its result key, column, direction and
// decimals.
type metric struct {
	key, label string
	higher     bool // higher is better
	prec       int
	ms         bool // stored in seconds, shown in milliseconds
}

var compareMetrics = []metric{
	{"tput_per_gpu", "TPUT/GPU", true, 2, false},
	{"median_ttft", "TTFT Median (ms)", false, 4, true},
	{"p90_ttft", "TTFT P90 (ms)", false, 4, true},
	{"p99_ttft", "TTFT P99 (ms)", false, 4, true},
	{"p99.9_ttft", "TTFT P99.9 (ms)", false, 4, true},
	{"median_intvty", "Intvty Median", true, 4, false},
	{"p90_intvty", "Intvty@P90 TPOT", true, 4, false},
	{"p99_intvty", "Intvty@P99 TPOT", true, 4, false},
	{"p99.9_intvty", "Intvty@P99.9 TPOT", true, 4, false},
	{"median_e2el", "E2EL Median (s)", false, 4, false},
	{"p90_e2el", "E2EL P90 (s)", false, 4, false},
	{"p99_e2el", "E2EL P99 (s)", false, 4, false},
	{"p99.9_e2el", "E2EL P99.9 (s)", false, 4, false},
}

func (m metric) value(r *results.Processed) (float64, bool) {
	if r == nil {
		return 0, false
	}
	v, ok := r.Float(m.key)
	if !ok {
		return 0, false
	}
	if m.ms {
		v *= 1000
	}
	return v, true
}

func (m metric) format(v float64) string {
	return strconv.FormatFloat(v, 'f', m.prec, 64)
}

// delta is the change from the baseline, coloured by direction.
func (m metric) delta(cur, base *results.Processed) string {
	c, okC := m.value(cur)
	b, okB := m.value(base)
	if !okC || !okB || b == 0 {
		return "N/A"
	}
	d := c - b
	pct := d / b * 100
	text := fmt.Sprintf("%+.*f", m.prec, d)
	pctText := fmt.Sprintf("(%+.1f%%)", pct)
	better, worse := d > 0, d < 0
	if !m.higher {
		better, worse = worse, better
	}
	switch {
	case better:
		return fmt.Sprintf(`$\color{green}\text{%s}$ %s`, text, pctText)
	case worse:
		return fmt.Sprintf(`$\color{red}\text{%s}$ %s`, text, pctText)
	}
	return text + " " + pctText
}

// CompareTables renders the pairs as upstream's single-node and
// multi-node comparison tables.
func CompareTables(pairs []results.Pair) string {
	if len(pairs) == 0 {
		return "No benchmark results found to compare.\n"
	}
	sorted := append([]results.Pair(nil), pairs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Cur, sorted[j].Cur
		ka := []string{a.Str("infmax_model_prefix"), strings.ToUpper(results.Hardware(a.Str("hw"))), strings.ToUpper(a.Str("framework"))}
		kb := []string{b.Str("infmax_model_prefix"), strings.ToUpper(results.Hardware(b.Str("hw"))), strings.ToUpper(b.Str("framework"))}
		for x := range ka {
			if ka[x] != kb[x] {
				return ka[x] < kb[x]
			}
		}
		for _, k := range []string{"isl", "osl", "conc"} {
			if a.Int(k) != b.Int(k) {
				return a.Int(k) < b.Int(k)
			}
		}
		return false
	})
	var single, multi []results.Pair
	for _, p := range sorted {
		if p.Cur.MultiNode() {
			multi = append(multi, p)
		} else {
			single = append(single, p)
		}
	}
	var metricHeaders []string
	for _, m := range compareMetrics {
		metricHeaders = append(metricHeaders, m.label, m.label+" Delta")
	}
	metricCells := func(p results.Pair) []any {
		var out []any
		for _, m := range compareMetrics {
			if v, ok := m.value(p.Cur); ok {
				out = append(out, m.format(v))
			} else {
				out = append(out, "N/A")
			}
			out = append(out, m.delta(p.Cur, p.Base))
		}
		return out
	}
	formats := func(lead int) []string {
		f := make([]string, lead)
		for _, m := range compareMetrics {
			f = append(f, ".4f", "")
			if m.prec == 2 {
				f[len(f)-2] = ".2f"
			}
		}
		return f
	}
	ident := func(r *results.Processed) []any {
		return []any{r.Str("infmax_model_prefix"), r.Str("model"), strings.ToUpper(results.Hardware(r.Str("hw"))),
			strings.ToUpper(r.Str("framework")), strings.ToUpper(r.Str("precision")), r.Int("isl"), r.Int("osl")}
	}
	var b strings.Builder
	if len(single) > 0 {
		headers := append([]string{"Model", "Served Model", "Hardware", "Framework", "Precision", "ISL", "OSL", "TP", "EP", "DP Attention", "Conc"}, metricHeaders...)
		var rows [][]any
		for _, p := range single {
			r := p.Cur
			dpa, ok := r.Fields["dp_attention"]
			if !ok {
				dpa = false
			}
			row := append(ident(r), intText(r, "tp"), intText(r, "ep"), cellText(dpa), r.Int("conc"))
			rows = append(rows, append(row, metricCells(p)...))
		}
		b.WriteString("## Single-Node Comparison vs. Most Recent\n\n")
		b.WriteString(mdtable.Table{Headers: headers, Rows: rows, FloatFormats: formats(11)}.String())
		b.WriteString("\n\n")
	}
	if len(multi) > 0 {
		headers := append([]string{"Model", "Served Model", "Hardware", "Framework", "Precision", "ISL", "OSL",
			"Prefill TP", "Prefill EP", "Decode TP", "Decode EP", "Conc"}, metricHeaders...)
		var rows [][]any
		for _, p := range multi {
			r := p.Cur
			row := append(ident(r), intText(r, "prefill_tp"), intText(r, "prefill_ep"), intText(r, "decode_tp"), intText(r, "decode_ep"), r.Int("conc"))
			rows = append(rows, append(row, metricCells(p)...))
		}
		b.WriteString("## Multi-Node Comparison vs. Most Recent\n\n")
		b.WriteString(mdtable.Table{Headers: headers, Rows: rows, FloatFormats: formats(12)}.String())
		b.WriteString("\n")
	}
	return b.String()
}

// intText is the parallelism as upstream puts it in its table: text that
// reads as a number.
func intText(r *results.Processed, key string) string {
	return strconv.FormatInt(r.Int(key), 10)
}

// cellText gives a JSON value as a table cell.
func cellText(v any) any {
	switch x := v.(type) {
	case string, bool:
		return x
	case nil:
		return nil
	}
	if f, ok := results.Float(v); ok && !math.IsNaN(f) {
		return f
	}
	return fmt.Sprint(v)
}

// ComparePairs is Compare for results already paired with their baseline
// (results.PairWithBaseline): the regression verdict of each pair, and the
// results on either side without a partner.
func ComparePairs(base []*results.Processed, pairs []results.Pair, threshold float64) *Comparison {
	c := &Comparison{Threshold: threshold}
	used := map[*results.Processed]bool{}
	for _, p := range pairs {
		if p.Base == nil {
			c.OnlyCurrent = append(c.OnlyCurrent, p.Cur)
			continue
		}
		used[p.Base] = true
		c.Matches = append(c.Matches, judge(p.Base, p.Cur, threshold))
	}
	for _, b := range base {
		if !used[b] {
			c.OnlyBaseline = append(c.OnlyBaseline, b)
		}
	}
	return c
}

// RecipeNotes lists the pairs whose recipe changed since the baseline.
func RecipeNotes(pairs []results.Pair) string {
	var changed []string
	for _, p := range pairs {
		if p.Recipe == "changed" {
			changed = append(changed, "- "+p.Cur.Label())
		}
	}
	if len(changed) == 0 {
		return ""
	}
	return fmt.Sprintf("\n### Recipe changed since the baseline (%d)\n\nThe baseline is main's newest result of the configuration; its recipe fingerprint differs from this run's.\n\n%s\n",
		len(changed), strings.Join(changed, "\n"))
}
