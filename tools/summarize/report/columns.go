package report

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/results"
)

// Col is one column of a results table, for both the Markdown summary and
// the HTML report.
type Col struct {
	Head string
	Key  string // the processed result's key (the HTML table sorts by it)
	// Cell is the Markdown cell: a string, an int64, a float64 or nil for
	// an empty cell.
	Cell func(r *results.Processed) any
}

func strC(head, key string, upper bool) Col {
	return Col{head, key, func(r *results.Processed) any {
		if upper {
			return strings.ToUpper(r.Str(key))
		}
		return r.Str(key)
	}}
}

func intC(head, key string) Col {
	return Col{head, key, func(r *results.Processed) any { return r.Int(key) }}
}

// intOr is an integer column whose key a result may lack (a Feb-2026
// result has no pp): the value it stands for then.
func intOr(head, key string, absent int64) Col {
	return Col{head, key, func(r *results.Processed) any {
		if _, ok := r.Fields[key]; !ok {
			return absent
		}
		return r.Int(key)
	}}
}

// optInt is an integer column whose key a result may lack, shown empty
// then (the request accounting of a result from the Python client).
func optInt(head, key string) Col {
	return Col{head, key, func(r *results.Processed) any {
		if _, ok := r.Fields[key]; !ok {
			return nil
		}
		return r.Int(key)
	}}
}

func scaledC(head, key string, f float64) Col {
	return Col{head, key, func(r *results.Processed) any { return scaled(r, key, f) }}
}

// The columns of the original's tables.
var (
	commonCols = []Col{strC("Model", "infmax_model_prefix", false), strC("Served Model", "model", false),
		strC("Hardware", "hw", true), strC("Framework", "framework", true), strC("Precision", "precision", true),
		intC("ISL", "isl"), intC("OSL", "osl")}
	metricCols = []Col{intC("Conc", "conc"), scaledC("TTFT (ms)", "median_ttft", 1000), scaledC("TPOT (ms)", "median_tpot", 1000),
		scaledC("Interactivity (tok/s/user)", "median_intvty", 1), scaledC("E2EL (s)", "median_e2el", 1),
		scaledC("TPUT per GPU", "tput_per_gpu", 1), scaledC("Output TPUT per GPU", "output_tput_per_gpu", 1),
		scaledC("Input TPUT per GPU", "input_tput_per_gpu", 1)}
	singleParallel = []Col{intC("TP", "tp"), intC("EP", "ep"), strC("DP Attention", "dp_attention", false)}
	multiParallel  = []Col{intC("Prefill TP", "prefill_tp"), intC("Prefill EP", "prefill_ep"),
		strC("Prefill DP Attn", "prefill_dp_attention", false), intC("Prefill Workers", "prefill_num_workers"),
		intC("Prefill GPUs", "num_prefill_gpu"), intC("Decode TP", "decode_tp"), intC("Decode EP", "decode_ep"),
		strC("Decode DP Attn", "decode_dp_attention", false), intC("Decode Workers", "decode_num_workers"),
		intC("Decode GPUs", "num_decode_gpu")}
)

// TableColumns are the columns of the single-node or multi-node table of
// rs: the original's, and where some result of rs has them, today's
// fields and the request accounting, so that a table of Feb-2026 results
// is the original's exactly:
//
//   - PP, DCP, PCP after TP (Prefill/Decode ones after Prefill/Decode TP)
//     when some result's size is not 1;
//   - Prefill HW, Decode HW after Hardware when some result ran its roles
//     on different hardware;
//   - Prompts, Completed, Failed (and Canceled when some run was cut short)
//     at the end when some result carries loadgen's accounting.
func TableColumns(rs []*results.Processed, multi bool) []Col {
	cols := slices.Clone(commonCols)
	if multi {
		if anyHas(rs, "prefill_hw") {
			cols = insertAfter(cols, "Hardware", strC("Prefill HW", "prefill_hw", true), strC("Decode HW", "decode_hw", true))
		}
		cols = append(cols, multiParallel...)
		for _, role := range []string{"prefill", "decode"} {
			title := strings.ToUpper(role[:1]) + role[1:]
			cols = insertAfter(cols, title+" TP", sizeCols(rs, title+" ", role+"_")...)
		}
	} else {
		cols = append(cols, singleParallel...)
		cols = insertAfter(cols, "TP", sizeCols(rs, "", "")...)
	}
	cols = append(cols, metricCols...)
	if anyHas(rs, "failed") {
		cols = append(cols, optInt("Prompts", "num_prompts"), optInt("Completed", "completed"), optInt("Failed", "failed"))
		if anyNonZero(rs, "canceled") {
			cols = append(cols, optInt("Canceled", "canceled"))
		}
	}
	return cols
}

// sizeCols are the pipeline and context parallelism columns that some
// result of rs needs (a size other than 1).
func sizeCols(rs []*results.Processed, headPrefix, keyPrefix string) []Col {
	var out []Col
	for _, s := range []struct{ head, key string }{{"PP", "pp"}, {"DCP", "dcp_size"}, {"PCP", "pcp_size"}} {
		key := keyPrefix + s.key
		for _, r := range rs {
			if n, ok := results.Int(r.Fields[key]); ok && n != 1 {
				out = append(out, intOr(headPrefix+s.head, key, 1))
				break
			}
		}
	}
	return out
}

func insertAfter(cols []Col, head string, add ...Col) []Col {
	for i, c := range cols {
		if c.Head == head {
			return slices.Insert(cols, i+1, add...)
		}
	}
	return append(cols, add...)
}

func anyHas(rs []*results.Processed, key string) bool {
	for _, r := range rs {
		if _, ok := r.Fields[key]; ok {
			return true
		}
	}
	return false
}

func anyNonZero(rs []*results.Processed, key string) bool {
	for _, r := range rs {
		if r.Int(key) != 0 {
			return true
		}
	}
	return false
}

// Headers are the heads of cols.
func Headers(cols []Col) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Head
	}
	return out
}

// Failure is one result whose run lost requests, for the failure table.
type Failure struct {
	Result                               *results.Processed
	Prompts, Completed, Failed, Canceled int64
	// Kinds are loadgen's failure kinds, most frequent first: "kind: count
	// (first error)".
	Kinds []string
}

// maxErrorText bounds a first error message in the failure table.
const maxErrorText = 100

// Failures lists the results of rs (in the tables' order) that carry
// loadgen's accounting and lost a request to a failure or a cut-short
// run.
func Failures(rs []*results.Processed) []Failure {
	single, multi := Split(rs)
	var out []Failure
	for _, r := range append(single, multi...) {
		if _, ok := r.Fields["failed"]; !ok || (r.Int("failed") == 0 && r.Int("canceled") == 0) {
			continue
		}
		f := Failure{Result: r, Prompts: r.Int("num_prompts"), Completed: r.Int("completed"), Failed: r.Int("failed"), Canceled: r.Int("canceled")}
		kinds, _ := r.Fields["errors_by_kind"].(map[string]any)
		type kind struct {
			name  string
			count int64
			first string
		}
		var ks []kind
		for name, v := range kinds {
			m, _ := v.(map[string]any)
			n, _ := results.Int(m["count"])
			first, _ := m["first_error"].(string)
			ks = append(ks, kind{name, n, first})
		}
		sort.Slice(ks, func(i, j int) bool {
			if ks[i].count != ks[j].count {
				return ks[i].count > ks[j].count
			}
			return ks[i].name < ks[j].name
		})
		for _, k := range ks {
			f.Kinds = append(f.Kinds, fmt.Sprintf("%s: %s (%s)", k.name, strconv.FormatInt(k.count, 10), shorten(k.first, maxErrorText)))
		}
		out = append(out, f)
	}
	return out
}

// shorten puts a message on one line of at most n characters.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
