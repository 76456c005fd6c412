// Package report renders a sweep's processed results for people: the
// Markdown tables of the original utils/summarize.py (for the job summary)
// and a self-contained HTML report with throughput-versus-interactivity
// charts.
package report

import (
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/mdtable"
	"github.com/inferencex/inferencex-go/pkg/results"
)

// Disclaimer is the original's notice, which forks must keep.
const Disclaimer = "Only [InferenceMAX/InferenceMAX](https://github.com/InferenceMAX/InferenceMAX) repo contains the Official InferenceMAX™ result, all other forks & repos are Unofficial. The benchmark setup & quality of machines/clouds in unofficial repos may be differ leading to subpar benchmarking. Unofficial must be explicitly labelled as Unofficial. Forks may not remove this disclaimer."

// Split separates single-node from multi-node results and sorts each as
// the original did: model, hardware, framework, precision, ISL, OSL,
// parallelism, concurrency (stable, so equal keys keep path order).
func Split(rs []*results.Processed) (single, multi []*results.Processed) {
	for _, r := range rs {
		if r.MultiNode() {
			multi = append(multi, r)
		} else {
			single = append(single, r)
		}
	}
	sort.SliceStable(single, func(i, j int) bool {
		return less(single[i], single[j], []string{"infmax_model_prefix", "hw", "framework", "precision"}, []string{"isl", "osl", "tp", "pp", "pcp_size", "ep", "conc"})
	})
	sort.SliceStable(multi, func(i, j int) bool {
		return less(multi[i], multi[j], []string{"infmax_model_prefix", "hw", "framework", "precision"},
			[]string{"isl", "osl", "prefill_tp", "prefill_ep", "decode_tp", "decode_ep", "conc"})
	})
	return single, multi
}

func less(a, b *results.Processed, strs, ints []string) bool {
	for _, k := range strs {
		if x, y := a.Str(k), b.Str(k); x != y {
			return x < y
		}
	}
	for _, k := range ints {
		if x, y := a.Int(k), b.Int(k); x != y {
			return x < y
		}
	}
	return false
}

// scaled returns a metric times f, or nil when it is null (no
// interactivity for a tpot of 0): an empty cell.
func scaled(r *results.Processed, key string, f float64) any {
	v, ok := r.Float(key)
	if !ok {
		return nil
	}
	return v * f
}

// rows renders rs in cols as Markdown cells.
func rows(cols []Col, rs []*results.Processed) [][]any {
	out := make([][]any, len(rs))
	for i, r := range rs {
		row := make([]any, len(cols))
		for j, c := range cols {
			row[j] = c.Cell(r)
		}
		out[i] = row
	}
	return out
}

// Markdown is the original's summary: a single-node and a multi-node
// section (each only when it has results), each with the disclaimer and a
// table. Numbers keep four decimals (see docs/summarize.md: the original's
// tabulate call re-rounded them to six significant digits). Results of
// today carry more columns (TableColumns), and runs that lost requests are
// listed after the tables with their failures by kind.
func Markdown(rs []*results.Processed) string {
	single, multi := Split(rs)
	var b strings.Builder
	if len(single) > 0 {
		cols := TableColumns(single, false)
		b.WriteString("## Single-Node Results\n\n" + Disclaimer + "\n\n")
		hs, rws := withEnergyCells(Headers(cols), rows(cols, single), single, rs)
		b.WriteString(mdtable.Table{Headers: hs, Rows: rws, FloatFormat: ".4f"}.String())
		b.WriteString("\n\n\n")
	}
	if len(multi) > 0 {
		cols := TableColumns(multi, true)
		b.WriteString("## Multi-Node Results\n\n" + Disclaimer + "\n\n")
		hs, rws := withEnergyCells(Headers(cols), rows(cols, multi), multi, rs)
		b.WriteString(mdtable.Table{Headers: hs, Rows: rws, FloatFormat: ".4f"}.String())
		b.WriteString("\n")
	}
	if fs := Failures(rs); len(fs) > 0 {
		b.WriteString("\n## Failed Requests\n\n")
		b.WriteString("Runs that lost requests (loadgen's accounting): failed, or cut off by the run stopping early (canceled).\n\n")
		rowsF := make([][]any, len(fs))
		for i, f := range fs {
			rowsF[i] = []any{f.Result.Label(), f.Prompts, f.Completed, f.Failed, f.Canceled, escapePipes(strings.Join(f.Kinds, "; "))}
		}
		b.WriteString(mdtable.Table{Headers: []string{"Configuration", "Prompts", "Completed", "Failed", "Canceled", "Failures by kind (first error)"},
			Rows: rowsF}.String())
		b.WriteString("\n")
	}
	return b.String()
}

// escapePipes keeps a cell's text from ending the cell early.
func escapePipes(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
