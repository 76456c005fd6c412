package report

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/tools/summarize/baseline"
)

// HTMLOptions configures the HTML report.
type HTMLOptions struct {
	Title        string
	Source       string               // where the results came from, for the header
	Comparison   *baseline.Comparison // nil: no regression section
	BaselineName string
	// Agentic are the AgentX results (AgenticFrom), shown in charts and a
	// table of their own.
	Agentic []*results.Processed
}

// palette has colours that stay apart for the usual number of series.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
	"#bcbd22", "#7f7f7f", "#393b79", "#ad494a"}

type point struct {
	x, y  float64
	r     *results.Processed
	front bool // on the chart's Pareto frontier
}

type series struct {
	key, label, color string
	points            []*point
	front             []*point // the series' own frontier, by x
}

// Chart is one chart against interactivity (throughput per GPU, or energy
// per output token): one model at one pair of sequence lengths.
type Chart struct {
	ID, Title string
	Series    []*series
	front     []*point
	Unplotted []*results.Processed // no interactivity (a tpot of 0)
	kind      chartKind
}

// chartKind is what a chart plots against interactivity.
type chartKind struct {
	idPrefix string
	yKey     string // the processed result's field
	yLabel   string // the axis
	yUnit    string // in the points' tooltips
	what     string // for the aria label
	// lowerBetter: the frontier is the configurations no other beats on
	// both interactivity and a lower value (energy).
	lowerBetter bool
	// skip leaves a result out of the chart altogether (not "unplotted").
	skip func(r *results.Processed) bool
	// xKey and xLabel: the x axis when it is not the median
	// interactivity; label names a point in its tooltip (default: Label).
	xKey, xLabel string
	label        func(r *results.Processed) string
}

var throughputChart = chartKind{idPrefix: "chart-", yKey: "tput_per_gpu", yLabel: "Throughput per GPU (tok/s/GPU)",
	yUnit: "tok/s/GPU", what: "throughput per GPU"}

// SeriesCount is how many curves the chart draws.
func (c *Chart) SeriesCount() int { return len(c.Series) }

// seriesKey names a curve: hardware × framework × precision, with the
// speculative decoding method and disaggregation when they apply.
func seriesKey(r *results.Processed) (key, label string) {
	label = strings.ToUpper(r.Str("hw")) + " " + r.Str("framework") + " " + r.Str("precision")
	if s := r.Str("spec_decoding"); s != "" && s != "none" {
		label += " " + s
	}
	if r.MultiNode() {
		label += " (disagg)"
	}
	return label, label
}

// Charts groups results by model and sequence lengths, each group a chart
// with one series per hardware × framework × precision.
func Charts(rs []*results.Processed) []*Chart { return chartsOf(rs, throughputChart) }

func chartsOf(rs []*results.Processed, kind chartKind) []*Chart {
	type gk struct {
		prefix   string
		isl, osl int64
	}
	groups := map[gk][]*results.Processed{}
	var keys []gk
	labels := map[string]bool{}
	for _, r := range rs {
		if kind.skip != nil && kind.skip(r) {
			continue
		}
		k := gk{r.Str("infmax_model_prefix"), r.Int("isl"), r.Int("osl")}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
		_, l := seriesKey(r)
		labels[l] = true
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].prefix != keys[j].prefix {
			return keys[i].prefix < keys[j].prefix
		}
		if keys[i].isl != keys[j].isl {
			return keys[i].isl < keys[j].isl
		}
		return keys[i].osl < keys[j].osl
	})
	// One colour per series across the whole report.
	var all []string
	for l := range labels {
		all = append(all, l)
	}
	sort.Strings(all)
	color := map[string]string{}
	for i, l := range all {
		color[l] = palette[i%len(palette)]
	}

	var charts []*Chart
	for _, k := range keys {
		seq := results.SeqName(k.isl, k.osl)
		c := &Chart{ID: kind.idPrefix + k.prefix + "-" + seq, kind: kind,
			Title: fmt.Sprintf("%s %s (ISL %d, OSL %d)", k.prefix, seq, k.isl, k.osl)}
		byKey := map[string]*series{}
		var pts []*point
		for _, r := range groups[k] {
			x, okX := r.Float("median_intvty")
			y, okY := r.Float(kind.yKey)
			if !okX || !okY {
				c.Unplotted = append(c.Unplotted, r)
				continue
			}
			key, label := seriesKey(r)
			s, ok := byKey[key]
			if !ok {
				s = &series{key: key, label: label, color: color[label]}
				byKey[key] = s
				c.Series = append(c.Series, s)
			}
			p := &point{x: x, y: y, r: r}
			s.points = append(s.points, p)
			pts = append(pts, p)
		}
		sort.Slice(c.Series, func(i, j int) bool { return c.Series[i].label < c.Series[j].label })
		for _, s := range c.Series {
			s.front = kind.pareto(s.points)
		}
		c.front = kind.pareto(pts)
		for _, p := range c.front {
			p.front = true
		}
		charts = append(charts, c)
	}
	return charts
}

// Pareto returns the points no other point beats on both interactivity and
// throughput per GPU, ordered by interactivity.
func Pareto(pts []*point) []*point {
	s := append([]*point(nil), pts...)
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].x != s[j].x {
			return s[i].x > s[j].x
		}
		return s[i].y > s[j].y
	})
	var front []*point
	best := math.Inf(-1)
	for _, p := range s {
		if p.y > best {
			front = append(front, p)
			best = p.y
		}
	}
	for i, j := 0, len(front)-1; i < j; i, j = i+1, j-1 {
		front[i], front[j] = front[j], front[i]
	}
	return front
}

// niceStep is a round tick step (1, 2 or 5 times a power of ten) giving
// about n ticks up to max.
func niceStep(max float64, n int) float64 {
	if max <= 0 {
		return 1
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

const (
	chartW, chartH                 = 880, 460
	padL, padR, padT, padB float64 = 78, 20, 16, 52
)

// SVG draws the chart.
func (c *Chart) SVG() string {
	var maxX, maxY float64
	for _, s := range c.Series {
		for _, p := range s.points {
			maxX, maxY = math.Max(maxX, p.x), math.Max(maxY, p.y)
		}
	}
	xStep, yStep := niceStep(maxX*1.05, 6), niceStep(maxY*1.08, 6)
	xMax, yMax := math.Ceil(maxX*1.05/xStep)*xStep, math.Ceil(maxY*1.08/yStep)*yStep
	if xMax == 0 {
		xMax = 1
	}
	if yMax == 0 {
		yMax = 1
	}
	sx := func(x float64) float64 { return padL + x/xMax*(chartW-padL-padR) }
	sy := func(y float64) float64 { return chartH - padB - y/yMax*(chartH-padT-padB) }

	var b strings.Builder
	k := c.kind
	if k.yKey == "" {
		k = throughputChart
	}
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" role="img" aria-label="%s: %s against interactivity" data-series-count="%d">`,
		html.EscapeString(c.ID), chartW, chartH, html.EscapeString(c.Title), k.what, len(c.Series))
	b.WriteString(`<g class="axes">`)
	for v := 0.0; v <= xMax+xStep/2; v += xStep {
		x := sx(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/><text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`,
			f1(x), f1(padT), f1(x), f1(chartH-padB), f1(x), f1(chartH-padB+18), fmtTick(v))
	}
	for v := 0.0; v <= yMax+yStep/2; v += yStep {
		y := sy(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/><text class="tick" x="%s" y="%s" text-anchor="end">%s</text>`,
			f1(padL), f1(y), f1(chartW-padR), f1(y), f1(padL-8), f1(y+4), fmtTick(v))
	}
	xLabel := k.xLabel
	if xLabel == "" {
		xLabel = "Interactivity (tok/s/user)"
	}
	pointLabel := k.label
	if pointLabel == nil {
		pointLabel = (*results.Processed).Label
	}
	fmt.Fprintf(&b, `<text class="label" x="%s" y="%d" text-anchor="middle">%s</text>`, f1((padL+chartW-padR)/2), chartH-10, html.EscapeString(xLabel))
	fmt.Fprintf(&b, `<text class="label" transform="translate(18 %s) rotate(-90)" text-anchor="middle">%s</text>`, f1((padT+chartH-padB)/2), k.yLabel)
	b.WriteString(`</g>`)

	if len(c.front) > 1 {
		b.WriteString(`<polyline class="pareto" points="`)
		for i, p := range c.front {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(f1(sx(p.x)) + "," + f1(sy(p.y)))
		}
		b.WriteString(`"><title>` + k.frontierTitle() + `</title></polyline>`)
	}
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<g class="series" data-series="%s" style="color:%s">`, html.EscapeString(s.label), s.color)
		if len(s.front) > 1 {
			b.WriteString(`<polyline class="curve" points="`)
			for i, p := range s.front {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(f1(sx(p.x)) + "," + f1(sy(p.y)))
			}
			b.WriteString(`"/>`)
		}
		for _, p := range s.points {
			cls := "pt"
			if p.front {
				cls += " on-front"
			}
			fmt.Fprintf(&b, `<circle class="%s" cx="%s" cy="%s" r="4.5"><title>%s&#10;%s tok/s/user, %s %s&#10;image %s</title></circle>`,
				cls, f1(sx(p.x)), f1(sy(p.y)), html.EscapeString(pointLabel(p.r)),
				strconv.FormatFloat(p.x, 'f', 2, 64), k.formatY(p.y), k.yUnit, html.EscapeString(p.r.Str("image")))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

type column struct {
	head  string
	key   string
	value func(r *results.Processed) (text string, sortValue string, numeric bool)
}

// htmlColumns are the HTML table's columns of rs: the Markdown table's,
// with the speculative decoding method after the precision.
func htmlColumns(rs []*results.Processed, multi bool) []column {
	cols := insertAfter(TableColumns(rs, multi), "Precision", strC("Spec Decode", "spec_decoding", false))
	out := make([]column, len(cols))
	for i, c := range cols {
		out[i] = htmlColumn(c)
	}
	return out
}

// htmlColumn renders a Markdown column's cells as the HTML table's: numbers
// with four decimals (integers as they are), sorted as numbers.
func htmlColumn(c Col) column {
	return column{c.Head, c.Key, func(r *results.Processed) (string, string, bool) {
		switch v := c.Cell(r).(type) {
		case nil:
			return "", "", true
		case int64:
			s := strconv.FormatInt(v, 10)
			return s, s, true
		case float64:
			return strconv.FormatFloat(v, 'f', 4, 64), strconv.FormatFloat(v, 'g', -1, 64), true
		case string:
			return v, v, false
		default:
			s := fmt.Sprint(v)
			return s, s, false
		}
	}}
}

func writeTable(b *strings.Builder, id string, cols []column, rs []*results.Processed) {
	fmt.Fprintf(b, `<div class="scroll"><table class="sortable" id="%s"><thead><tr>`, id)
	for _, c := range cols {
		fmt.Fprintf(b, `<th data-key="%s" tabindex="0">%s</th>`, c.key, html.EscapeString(c.head))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, r := range rs {
		b.WriteString(`<tr>`)
		for _, c := range cols {
			text, sv, numeric := c.value(r)
			cls := ""
			if numeric {
				cls = ` class="num"`
			}
			fmt.Fprintf(b, `<td%s data-v="%s">%s</td>`, cls, html.EscapeString(sv), html.EscapeString(text))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table></div>`)
}

// HTML renders the whole report as one self-contained page: styles,
// script and charts inline, nothing fetched from anywhere.
func HTML(rs []*results.Processed, opts HTMLOptions) []byte {
	title := opts.Title
	if title == "" {
		title = "InferenceX benchmark results"
	}
	single, multi := Split(rs)
	charts := Charts(append(append([]*results.Processed{}, single...), multi...))
	energy := EnergyCharts(append(append([]*results.Processed{}, single...), multi...))
	agentic := AgenticCharts(opts.Agentic)

	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">`)
	fmt.Fprintf(&b, "<title>%s</title><style>%s</style></head><body>", html.EscapeString(title), css)
	fmt.Fprintf(&b, "<header><h1>%s</h1><p>%d results", html.EscapeString(title), len(rs)+len(opts.Agentic))
	if opts.Source != "" {
		fmt.Fprintf(&b, " from <code>%s</code>", html.EscapeString(opts.Source))
	}
	b.WriteString(". Unofficial unless published by InferenceMAX/InferenceMAX (github.com/InferenceMAX/InferenceMAX): " +
		"all other forks &amp; repos are unofficial, and their machines and setup may differ.</p></header>")

	b.WriteString(`<nav><ul>`)
	for _, c := range charts {
		fmt.Fprintf(&b, `<li><a href="#%s">%s</a></li>`, html.EscapeString(c.ID), html.EscapeString(c.Title))
	}
	for _, c := range energy {
		fmt.Fprintf(&b, `<li><a href="#%s">%s: energy</a></li>`, html.EscapeString(c.ID), html.EscapeString(c.Title))
	}
	for _, c := range agentic {
		fmt.Fprintf(&b, `<li><a href="#%s">%s</a></li>`, html.EscapeString(c.ID), html.EscapeString(c.Title))
	}
	if opts.Comparison != nil {
		b.WriteString(`<li><a href="#regressions">Regression check</a></li>`)
	}
	b.WriteString(`<li><a href="#tables">Tables</a></li></ul></nav>`)

	for _, c := range charts {
		fmt.Fprintf(&b, `<section class="figure"><h2>%s</h2>`, html.EscapeString(c.Title))
		b.WriteString(`<p class="hint">Each point is one configuration (hover for details); each line joins the configurations of one hardware, framework and precision that nothing else in its series beats; the wide grey line is the Pareto frontier of the whole chart, its points ringed.</p>`)
		b.WriteString(c.SVG())
		b.WriteString(`<ul class="legend">`)
		for _, s := range c.Series {
			fmt.Fprintf(&b, `<li><span class="swatch" style="background:%s"></span>%s <small>(%d)</small></li>`, s.color, html.EscapeString(s.label), len(s.points))
		}
		b.WriteString(`</ul>`)
		if len(c.Unplotted) > 0 {
			fmt.Fprintf(&b, `<p class="note">Not plotted, no interactivity (a median TPOT of 0): `)
			for i, r := range c.Unplotted {
				if i > 0 {
					b.WriteString("; ")
				}
				b.WriteString(html.EscapeString(r.Label()))
			}
			b.WriteString(`</p>`)
		}
		b.WriteString(`</section>`)
	}

	writeEnergyCharts(&b, energy)
	writeAgenticCharts(&b, agentic)

	if cmp := opts.Comparison; cmp != nil {
		fmt.Fprintf(&b, `<section id="regressions"><h2>Regression check against %s</h2>`, html.EscapeString(opts.BaselineName))
		fmt.Fprintf(&b, `<p>Threshold %s. <strong>%d regressed</strong> of %d configurations in both runs; %d only in the baseline, %d only in this run.</p>`,
			baseline.ThresholdText(cmp.Threshold), cmp.Regressions(), len(cmp.Matches), len(cmp.OnlyBaseline), len(cmp.OnlyCurrent))
		b.WriteString(`<div class="scroll"><table class="sortable" id="comparison"><thead><tr>`)
		for _, h := range []string{"Configuration", "TPUT per GPU (baseline)", "TPUT per GPU", "Δ TPUT per GPU", "TPOT (ms, baseline)", "TPOT (ms)", "Δ TPOT", "Verdict"} {
			fmt.Fprintf(&b, `<th tabindex="0">%s</th>`, html.EscapeString(h))
		}
		b.WriteString(`</tr></thead><tbody>`)
		cell := func(v float64, ok bool, digits int) string {
			if !ok || math.IsNaN(v) {
				return `<td class="num" data-v=""></td>`
			}
			return fmt.Sprintf(`<td class="num" data-v="%s">%s</td>`, strconv.FormatFloat(v, 'g', -1, 64), strconv.FormatFloat(v, 'f', digits, 64))
		}
		for _, m := range cmp.Matches {
			fmt.Fprintf(&b, `<tr class="%s"><td data-v="%s">%s</td>`, strings.ToLower(m.Verdict()), html.EscapeString(m.Cur.Label()), html.EscapeString(m.Cur.Label()))
			tb, okb := m.Base.Float("tput_per_gpu")
			tc, okc := m.Cur.Float("tput_per_gpu")
			pb, okpb := m.Base.Float("median_tpot")
			pc, okpc := m.Cur.Float("median_tpot")
			b.WriteString(cell(tb, okb, 2) + cell(tc, okc, 2) + cell(m.TputDelta*100, true, 2) + cell(pb*1000, okpb, 4) + cell(pc*1000, okpc, 4) + cell(m.TpotDelta*100, true, 2))
			fmt.Fprintf(&b, `<td data-v="%s">%s</td></tr>`, m.Verdict(), m.Verdict())
		}
		b.WriteString(`</tbody></table></div>`)
		for _, part := range []struct {
			title string
			rs    []*results.Processed
		}{{"Only in the baseline", cmp.OnlyBaseline}, {"Only in this run", cmp.OnlyCurrent}} {
			if len(part.rs) == 0 {
				continue
			}
			fmt.Fprintf(&b, `<h3>%s (%d)</h3><ul class="unmatched">`, part.title, len(part.rs))
			for _, r := range part.rs {
				fmt.Fprintf(&b, `<li>%s</li>`, html.EscapeString(r.Label()))
			}
			b.WriteString(`</ul>`)
		}
		b.WriteString(`</section>`)
	}

	b.WriteString(`<section id="tables"><h2>Tables</h2><p class="hint">Click a column to sort by it; a link such as <code>#sort=single-node:tput_per_gpu:desc</code> opens the page sorted.</p>`)
	if len(single) > 0 {
		b.WriteString(`<h3>Single-node</h3>`)
		writeTable(&b, "single-node", withEnergyColumn(htmlColumns(single, false), rs), single)
	}
	if len(multi) > 0 {
		b.WriteString(`<h3>Multi-node (disaggregated)</h3>`)
		writeTable(&b, "multi-node", withEnergyColumn(htmlColumns(multi, true), rs), multi)
	}
	writeAgenticTable(&b, opts.Agentic)
	if fs := Failures(rs); len(fs) > 0 {
		b.WriteString(`<h3 id="failures">Failed requests</h3><p class="hint">Runs that lost requests (loadgen's accounting): failed, or cut off by the run stopping early (canceled).</p>`)
		b.WriteString(`<div class="scroll"><table class="sortable" id="failed-requests"><thead><tr>`)
		for _, h := range []string{"Configuration", "Prompts", "Completed", "Failed", "Canceled", "Failures by kind (first error)"} {
			fmt.Fprintf(&b, `<th tabindex="0">%s</th>`, html.EscapeString(h))
		}
		b.WriteString(`</tr></thead><tbody>`)
		for _, f := range fs {
			fmt.Fprintf(&b, `<tr><td data-v="%[1]s">%[1]s</td>`, html.EscapeString(f.Result.Label()))
			for _, n := range []int64{f.Prompts, f.Completed, f.Failed, f.Canceled} {
				fmt.Fprintf(&b, `<td class="num" data-v="%[1]d">%[1]d</td>`, n)
			}
			kinds := strings.Join(f.Kinds, "; ")
			fmt.Fprintf(&b, `<td data-v="%[1]s">%[1]s</td></tr>`, html.EscapeString(kinds))
		}
		b.WriteString(`</tbody></table></div>`)
	}
	b.WriteString(`</section><script>` + script + `</script></body></html>` + "\n")
	return []byte(b.String())
}

const css = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;margin:0 auto;max-width:1200px;padding:0 20px 40px;color:#1b1f24;background:#fff}
h1{font-size:24px;margin:24px 0 4px}h2{font-size:19px;margin:28px 0 6px}h3{font-size:15px}
header p,.hint,.note{color:#57606a}nav ul{display:flex;flex-wrap:wrap;gap:6px 16px;padding:0;list-style:none}
a{color:#0969da}code{background:#f6f8fa;padding:1px 4px;border-radius:4px}
svg.chart{width:100%;height:auto;max-width:880px;display:block;border:1px solid #d0d7de;border-radius:6px;background:#fff}
.grid{stroke:#eaeef2;stroke-width:1}.tick{font-size:11px;fill:#57606a}.label{font-size:12px;fill:#24292f}
.pareto{fill:none;stroke:#8c959f;stroke-opacity:.35;stroke-width:10;stroke-linejoin:round;stroke-linecap:round}
.series .curve{fill:none;stroke:currentColor;stroke-width:2}.series .pt{fill:currentColor;stroke:#fff;stroke-width:1}
.series .pt.on-front{stroke:#24292f;stroke-width:2}.series .pt:hover{r:7}
.legend{display:flex;flex-wrap:wrap;gap:4px 18px;padding:0;list-style:none;margin:8px 0}.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:12px;white-space:nowrap}
th,td{border:1px solid #d0d7de;padding:3px 7px}th{background:#f6f8fa;cursor:pointer;user-select:none;position:sticky;top:0}
th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.regressed td{background:#ffebe9}tr.improved td{background:#dafbe1}
`

// script sorts tables on a click on a header (numbers as numbers, empty
// cells last), applies a #sort=TABLE:COLUMN:asc|desc link, and records
// on <body> that it ran (data-ready) and any error (data-js-errors), which
// the browser test reads.
const script = `
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (e) {
    errors.push(String(e.message));
    document.body.setAttribute("data-js-errors", errors.join("\n"));
  });
  function cellValue(row, i) {
    var td = row.cells[i];
    return td ? td.getAttribute("data-v") : "";
  }
  function sortTable(table, col, dir) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.every(function (r) { var v = cellValue(r, col); return v === "" || !isNaN(Number(v)); });
    var sign = dir === "descending" ? -1 : 1;
    rows.sort(function (a, b) {
      var x = cellValue(a, col), y = cellValue(b, col);
      if (x === "" || y === "") { return x === y ? 0 : (x === "" ? 1 : -1); }
      if (numeric) { return sign * (Number(x) - Number(y)); }
      return sign * (x < y ? -1 : x > y ? 1 : 0);
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      if (i === col) { th.setAttribute("aria-sort", dir); } else { th.removeAttribute("aria-sort"); }
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      function go() { sortTable(table, i, th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending"); }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
    });
  });
  function applyHash() {
    var m = /^#sort=([\w-]+):([\w.-]+)(?::(asc|desc))?$/.exec(location.hash);
    if (!m) { return; }
    var table = document.getElementById(m[1]);
    if (!table || !table.tHead) { return; }
    var cells = table.tHead.rows[0].cells;
    for (var i = 0; i < cells.length; i++) {
      if (cells[i].getAttribute("data-key") === m[2]) {
        sortTable(table, i, m[3] === "desc" ? "descending" : "ascending");
      }
    }
  }
  window.addEventListener("hashchange", applyHash);
  applyHash();
  Array.prototype.forEach.call(document.querySelectorAll("svg.chart"), function (svg) {
    var drawn = 0;
    Array.prototype.forEach.call(svg.querySelectorAll("g.series"), function (g) {
      var box = g.getBBox();
      if (box.width > 0 || box.height > 0) { drawn++; }
    });
    svg.setAttribute("data-drawn-series", String(drawn));
  });
  document.body.setAttribute("data-ready", "1");
})();
`
