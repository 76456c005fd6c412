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

// Column headers, the original's.
var (
	SingleNodeHeaders = []string{"Model", "Served Model", "Hardware", "Framework", "Precision", "ISL", "OSL", "TP", "EP",
		"DP Attention", "Conc", "TTFT (ms)", "TPOT (ms)", "Interactivity (tok/s/user)", "E2EL (s)", "TPUT per GPU",
		"Output TPUT per GPU", "Input TPUT per GPU"}
	MultiNodeHeaders = []string{"Model", "Served Model", "Hardware", "Framework", "Precision", "ISL", "OSL",
		"Prefill TP", "Prefill EP", "Prefill DP Attn", "Prefill Workers", "Prefill GPUs",
		"Decode TP", "Decode EP", "Decode DP Attn", "Decode Workers", "Decode GPUs",
		"Conc", "TTFT (ms)", "TPOT (ms)", "Interactivity (tok/s/user)", "E2EL (s)", "TPUT per GPU",
		"Output TPUT per GPU", "Input TPUT per GPU"}
)

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
		return less(single[i], single[j], []string{"infmax_model_prefix", "hw", "framework", "precision"}, []string{"isl", "osl", "tp", "ep", "conc"})
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

func commonCells(r *results.Processed) []any {
	return []any{r.Str("infmax_model_prefix"), r.Str("model"), strings.ToUpper(r.Str("hw")), strings.ToUpper(r.Str("framework")),
		strings.ToUpper(r.Str("precision")), r.Int("isl"), r.Int("osl")}
}

func metricCells(r *results.Processed) []any {
	return []any{r.Int("conc"), scaled(r, "median_ttft", 1000), scaled(r, "median_tpot", 1000), scaled(r, "median_intvty", 1),
		scaled(r, "median_e2el", 1), scaled(r, "tput_per_gpu", 1), scaled(r, "output_tput_per_gpu", 1), scaled(r, "input_tput_per_gpu", 1)}
}

// Markdown is the original's summary: a single-node and a multi-node
// section (each only when it has results), each with the disclaimer and a
// table. Numbers keep four decimals (see docs/summarize.md: the original's
// tabulate call re-rounded them to six significant digits).
func Markdown(rs []*results.Processed) string {
	single, multi := Split(rs)
	var b strings.Builder
	if len(single) > 0 {
		rows := make([][]any, len(single))
		for i, r := range single {
			row := commonCells(r)
			row = append(row, r.Int("tp"), r.Int("ep"), r.Str("dp_attention"))
			rows[i] = append(row, metricCells(r)...)
		}
		headers, rows := withEnergyCells(SingleNodeHeaders, rows, single, rs)
		b.WriteString("## Single-Node Results\n\n" + Disclaimer + "\n\n")
		b.WriteString(mdtable.Table{Headers: headers, Rows: rows, FloatFormat: ".4f"}.String())
		b.WriteString("\n\n\n")
	}
	if len(multi) > 0 {
		rows := make([][]any, len(multi))
		for i, r := range multi {
			row := commonCells(r)
			row = append(row, r.Int("prefill_tp"), r.Int("prefill_ep"), r.Str("prefill_dp_attention"), r.Int("prefill_num_workers"),
				r.Int("num_prefill_gpu"), r.Int("decode_tp"), r.Int("decode_ep"), r.Str("decode_dp_attention"),
				r.Int("decode_num_workers"), r.Int("num_decode_gpu"))
			rows[i] = append(row, metricCells(r)...)
		}
		headers, rows := withEnergyCells(MultiNodeHeaders, rows, multi, rs)
		b.WriteString("## Multi-Node Results\n\n" + Disclaimer + "\n\n")
		b.WriteString(mdtable.Table{Headers: headers, Rows: rows, FloatFormat: ".4f"}.String())
		b.WriteString("\n")
	}
	return b.String()
}
