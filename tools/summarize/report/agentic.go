package report

import (
	"fmt"
	"html"
	"os"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/mdtable"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
)

// AgentX results (agentic-coding jobs, docs/agentx.md) are the aggregates
// `resultproc agentic` writes, upstream's process_agentic_result.py output:
// nested request and server metrics rather than the flat keys of a
// fixed-seq-len result. They are read into a results.Processed whose Fields
// hold the configuration's top-level keys and the metrics below, flattened
// under agenticKeys' names, so that the tables and charts of the other
// results draw them too.

// AgenticScenario is the scenario_type that marks an agentic result.
const AgenticScenario = "agentic-coding"

// IsAgentic tells whether a decoded JSON document is an agentic result.
func IsAgentic(doc any) bool {
	obj, ok := doc.(*pyjson.Object)
	if !ok {
		return false
	}
	v, _ := obj.Get("scenario_type")
	return v == AgenticScenario
}

// agenticMetric is one metric of an agentic result: where it is and the
// flat key it gets.
type agenticMetric struct {
	key      string
	path     []string
	required bool
}

// The metrics the summary reads. Throughput per GPU and the p90 of the
// E2E-normalized interactivity are upstream dashboard's AgentX axes, so a
// result without them cannot be shown.
var agenticMetrics = []agenticMetric{
	{"agentic_tput_per_gpu", []string{"request_metrics", "throughput", "per_gpu", "total_tput_tps"}, true},
	{"agentic_output_tput_per_gpu", []string{"request_metrics", "throughput", "per_gpu", "output_tput_tps"}, false},
	{"agentic_p90_e2e_norm_intvty", []string{"request_metrics", "latency", "e2e_norm_intvty", "p90"}, true},
	{"agentic_median_intvty", []string{"request_metrics", "latency", "intvty", "p50"}, false},
	{"agentic_median_ttft", []string{"request_metrics", "latency", "ttft", "p50"}, false},
	{"agentic_p90_ttft", []string{"request_metrics", "latency", "ttft", "p90"}, false},
	{"agentic_median_e2el", []string{"request_metrics", "latency", "e2el", "p50"}, false},
	{"agentic_gpu_cache_hit_rate", []string{"server_metrics", "cache", "gpu_cache_hit_rate"}, false},
	{"agentic_cpu_cache_hit_rate", []string{"server_metrics", "cache", "cpu_cache_hit_rate"}, false},
	{"agentic_theoretical_cache_hit_rate", []string{"request_metrics", "cache", "theoretical_cache_hit_rate"}, false},
}

// agenticTop are the top-level keys the tables and labels read; the
// strings among them must be strings, the integers integers.
var (
	agenticStrings = []string{"hw", "model", "infmax_model_prefix", "framework", "precision", "kv_offloading"}
	agenticInts    = []string{"conc", "tp", "ep", "num_requests_total", "num_requests_successful"}
)

// AgenticFrom turns a decoded agentic result into a results.Processed for
// the report, or says which field is missing or of the wrong type.
func AgenticFrom(path string, doc any) (*results.Processed, error) {
	obj, ok := doc.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("expected a JSON object (an agentic result)")
	}
	gen := results.Generic(obj).(map[string]any)
	var problems diag.List
	bad := func(field, msg string) {
		problems = append(problems, diag.Diagnostic{File: path, Path: field, Message: msg})
	}
	fields := map[string]any{}
	for k, v := range gen {
		switch v.(type) {
		case map[string]any, []any:
		default:
			fields[k] = v
		}
	}
	for _, k := range agenticStrings {
		if _, ok := gen[k].(string); !ok {
			bad(k, fmt.Sprintf("expected a string, got %s", results.Describe(gen[k])))
		}
	}
	for _, k := range agenticInts {
		if _, ok := results.Int(gen[k]); !ok {
			bad(k, fmt.Sprintf("expected an integer, got %s", results.Describe(gen[k])))
		}
	}
	for _, m := range agenticMetrics {
		var v any = gen
		for _, p := range m.path {
			obj, _ := v.(map[string]any)
			v = obj[p]
		}
		if _, ok := results.Float(v); ok {
			fields[m.key] = v
			continue
		}
		if m.required || v != nil {
			bad(strings.Join(m.path, "."), fmt.Sprintf("expected a number, got %s", results.Describe(v)))
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	// An agentic job runs on a fleet label (cluster:b200-dgxc), which its
	// RUNNER_TYPE, and so hw, carries; the table shows the hardware.
	fields["hw"] = strings.TrimPrefix(fields["hw"].(string), "cluster:")
	// The offload as configured: none, or the tier and its backend.
	offload := fields["kv_offloading"].(string)
	if b, ok := gen["kv_offload_backend"].(map[string]any); ok && offload != "none" {
		if name, _ := b["name"].(string); name != "" {
			offload += " (" + name + ")"
		}
	}
	fields["agentic_kv_offload"] = offload
	return &results.Processed{Path: path, Source: path, Doc: obj, Fields: fields}, nil
}

// LoadAgentic reads the agentic results under dir (FindJSON order): files
// whose object has scenario_type agentic-coding. A file that claims to be
// one but cannot be shown is a Problem.
func LoadAgentic(dir string) (found []*results.Processed, problems []results.Problem, err error) {
	paths, err := results.FindJSON(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, results.Problem{Path: p, Err: err})
			continue
		}
		doc, err := results.DecodeOrdered(data)
		if err != nil || !IsAgentic(doc) {
			// LoadDir names files that do not parse.
			continue
		}
		r, err := AgenticFrom(p, doc)
		if err != nil {
			problems = append(problems, results.Problem{Path: p, Err: err})
			continue
		}
		found = append(found, r)
	}
	return found, problems, nil
}

// agenticLabel names an agentic configuration: "toy sim sim fp8 tp1 ep1
// dpa=false kv=none".
func agenticLabel(r *results.Processed) string {
	label := fmt.Sprintf("%s %s %s %s", r.Str("infmax_model_prefix"), r.Str("hw"), r.Str("framework"), r.Str("precision"))
	if s := r.Str("spec_decoding"); s != "" && s != "none" {
		label += " spec=" + s
	}
	return label + fmt.Sprintf(" tp%d ep%d dpa=%s kv=%s", r.Int("tp"), r.Int("ep"), dpaText(r), r.Str("agentic_kv_offload"))
}

func dpaText(r *results.Processed) string {
	switch v := r.Fields["dp_attention"].(type) {
	case string:
		return v
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

// sortAgentic orders agentic results by model, hardware, framework,
// precision, parallelism, offload and concurrency.
func sortAgentic(rs []*results.Processed) []*results.Processed {
	out := append([]*results.Processed(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for _, k := range []string{"infmax_model_prefix", "hw", "framework", "precision", "spec_decoding"} {
			if x, y := a.Str(k), b.Str(k); x != y {
				return x < y
			}
		}
		for _, k := range []string{"tp", "ep"} {
			if x, y := a.Int(k), b.Int(k); x != y {
				return x < y
			}
		}
		if x, y := a.Str("agentic_kv_offload"), b.Str("agentic_kv_offload"); x != y {
			return x < y
		}
		return a.Int("conc") < b.Int("conc")
	})
	return out
}

func optFloat(head, key string, f float64) Col {
	return Col{head, key, func(r *results.Processed) any { return scaled(r, key, f) }}
}

// AgenticColumns are the AgentX table's columns.
var AgenticColumns = []Col{
	strC("Model", "infmax_model_prefix", false), strC("Served Model", "model", false),
	strC("Hardware", "hw", true), strC("Framework", "framework", true), strC("Precision", "precision", true),
	intC("TP", "tp"), intC("EP", "ep"), {"DP Attention", "dp_attention", func(r *results.Processed) any { return dpaText(r) }},
	strC("KV Offload", "agentic_kv_offload", false), intC("Conc", "conc"),
	optFloat("TPUT per GPU", "agentic_tput_per_gpu", 1), optFloat("Output TPUT per GPU", "agentic_output_tput_per_gpu", 1),
	optFloat("P90 E2E-Norm. Interactivity (tok/s/user)", "agentic_p90_e2e_norm_intvty", 1),
	optFloat("Median Interactivity (tok/s/user)", "agentic_median_intvty", 1),
	optFloat("Median TTFT (s)", "agentic_median_ttft", 1), optFloat("P90 TTFT (s)", "agentic_p90_ttft", 1),
	optFloat("Median E2EL (s)", "agentic_median_e2el", 1),
	optFloat("GPU Cache Hit Rate", "agentic_gpu_cache_hit_rate", 1), optFloat("CPU Cache Hit Rate", "agentic_cpu_cache_hit_rate", 1),
	optFloat("Theoretical Cache Hit Rate", "agentic_theoretical_cache_hit_rate", 1),
	intC("Requests", "num_requests_successful"), intC("Requests Total", "num_requests_total"),
}

// AgenticMarkdown is the AgentX section of the summary: one table of every
// agentic result ("" without any).
func AgenticMarkdown(rs []*results.Processed) string {
	if len(rs) == 0 {
		return ""
	}
	sorted := sortAgentic(rs)
	var b strings.Builder
	b.WriteString("## AgentX Results (agentic-coding)\n\n" + Disclaimer + "\n\n")
	b.WriteString("Trace replay of multi-turn agentic-coding sessions (docs/agentx.md). Throughput per GPU counts input " +
		"and output tokens; interactivity is the p90 of each request's output tokens per second of its whole latency " +
		"(E2E-normalized), as upstream's dashboard plots them; latencies in seconds; hit rates as fractions.\n\n")
	b.WriteString(mdtable.Table{Headers: Headers(AgenticColumns), Rows: rows(AgenticColumns, sorted), FloatFormat: ".4f"}.String())
	b.WriteString("\n")
	return b.String()
}

var agenticChart = chartKind{idPrefix: "agentx-", yKey: "agentic_tput_per_gpu", xKey: "agentic_p90_e2e_norm_intvty",
	xLabel: "P90 E2E-normalized interactivity (tok/s/user)", yLabel: "Throughput per GPU (tok/s/GPU)",
	yUnit: "tok/s/GPU", what: "throughput per GPU",
	label: func(r *results.Processed) string { return fmt.Sprintf("%s conc=%d", agenticLabel(r), r.Int("conc")) }}

// AgenticCharts draws upstream dashboard's AgentX chart, one per model:
// throughput per GPU against the p90 of E2E-normalized interactivity, one
// series per configuration (everything but the concurrency).
func AgenticCharts(rs []*results.Processed) []*Chart {
	byModel := map[string][]*results.Processed{}
	var models []string
	for _, r := range sortAgentic(rs) {
		m := r.Str("infmax_model_prefix")
		if _, ok := byModel[m]; !ok {
			models = append(models, m)
		}
		byModel[m] = append(byModel[m], r)
	}
	colors := map[string]string{}
	var charts []*Chart
	for _, m := range models {
		c := &Chart{ID: agenticChart.idPrefix + m, Title: "AgentX: " + m, kind: agenticChart}
		byKey := map[string]*series{}
		var pts []*point
		for _, r := range byModel[m] {
			x, _ := r.Float(agenticChart.xKey)
			y, _ := r.Float(agenticChart.yKey)
			key := seriesLabelAgentic(r)
			s, ok := byKey[key]
			if !ok {
				if colors[key] == "" {
					colors[key] = palette[len(colors)%len(palette)]
				}
				s = &series{key: key, label: key, color: colors[key]}
				byKey[key] = s
				c.Series = append(c.Series, s)
			}
			p := &point{x: x, y: y, r: r}
			s.points = append(s.points, p)
			pts = append(pts, p)
		}
		for _, s := range c.Series {
			s.front = agenticChart.pareto(s.points)
		}
		c.front = agenticChart.pareto(pts)
		for _, p := range c.front {
			p.front = true
		}
		charts = append(charts, c)
	}
	return charts
}

// seriesLabelAgentic is a configuration without its concurrency.
func seriesLabelAgentic(r *results.Processed) string {
	_, rest, _ := strings.Cut(agenticLabel(r), " ")
	return rest
}

// writeAgenticCharts writes the AgentX charts of the HTML report.
func writeAgenticCharts(b *strings.Builder, charts []*Chart) {
	for _, c := range charts {
		fmt.Fprintf(b, `<section class="figure"><h2>%s</h2>`, html.EscapeString(c.Title))
		b.WriteString(`<p class="hint">Agentic-coding trace replay: each point is one concurrency of a configuration (hover for details), ` +
			`throughput per GPU against the p90 of each request's output tokens per second of its whole latency, as upstream's dashboard plots AgentX; ` +
			`each line joins the points of one configuration that nothing else in it beats.</p>`)
		b.WriteString(c.SVG())
		b.WriteString(`<ul class="legend">`)
		for _, s := range c.Series {
			fmt.Fprintf(b, `<li><span class="swatch" style="background:%s"></span>%s <small>(%d)</small></li>`, s.color, html.EscapeString(s.label), len(s.points))
		}
		b.WriteString(`</ul></section>`)
	}
}

// writeAgenticTable writes the AgentX table of the HTML report.
func writeAgenticTable(b *strings.Builder, rs []*results.Processed) {
	if len(rs) == 0 {
		return
	}
	cols := make([]column, len(AgenticColumns))
	for i, c := range AgenticColumns {
		cols[i] = htmlColumn(c)
	}
	b.WriteString(`<h3>AgentX (agentic-coding)</h3>`)
	writeTable(b, "agentic", cols, sortAgentic(rs))
}
