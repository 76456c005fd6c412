package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/results"
)

// The energy of a result is upstream main's joules_per_output_token: the
// GPUs' energy over the benchmark window per output token, present when
// power_valid is 1.
const energyKey = "joules_per_output_token"

// EnergyHeader is the tables' column for it.
const EnergyHeader = "J per Output Token"

func measured(r *results.Processed) bool {
	_, ok := r.Float(energyKey)
	return ok
}

func anyMeasured(rs []*results.Processed) bool {
	for _, r := range rs {
		if measured(r) {
			return true
		}
	}
	return false
}

var energyChart = chartKind{idPrefix: "energy-", yKey: energyKey, yLabel: "Energy per output token (J/token)",
	yUnit: "J/token", what: "energy per output token", lowerBetter: true,
	skip: func(r *results.Processed) bool { return !measured(r) }}

// EnergyCharts are the charts of joules per output token against
// interactivity: one per model and sequence lengths with measured energy,
// one series per hardware × framework × precision, as the throughput
// charts are; lower is better.
func EnergyCharts(rs []*results.Processed) []*Chart { return chartsOf(rs, energyChart) }

// pareto is the frontier of a chart's kind.
func (k chartKind) pareto(pts []*point) []*point {
	if !k.lowerBetter {
		return Pareto(pts)
	}
	// The points nothing beats on both interactivity and a lower value:
	// the same frontier on the negated values.
	neg := make([]*point, len(pts))
	back := map[*point]*point{}
	for i, p := range pts {
		q := &point{x: p.x, y: -p.y, r: p.r}
		neg[i], back[q] = q, p
	}
	var front []*point
	for _, q := range Pareto(neg) {
		front = append(front, back[q])
	}
	return front
}

func (k chartKind) frontierTitle() string {
	if k.lowerBetter {
		return "Pareto frontier: no other configuration is both more interactive and uses less " + html.EscapeString(k.what)
	}
	return "Pareto frontier: no other configuration is both more interactive and faster per GPU"
}

// formatY writes a point's value for its tooltip: energies are small
// numbers, so four significant digits.
func (k chartKind) formatY(y float64) string {
	if k.lowerBetter {
		return strconv.FormatFloat(y, 'g', 4, 64)
	}
	return strconv.FormatFloat(y, 'f', 2, 64)
}

// writeEnergyCharts writes the energy section of the report.
func writeEnergyCharts(b *strings.Builder, charts []*Chart) {
	if len(charts) == 0 {
		return
	}
	b.WriteString(`<section id="energy"><h2>Energy per output token</h2>`)
	b.WriteString(`<p class="hint">The GPUs' energy over the benchmark window (their energy counters where gpumon read them, else integrated board power) per output token, against interactivity: lower is better. Each line joins the configurations of one hardware, framework and precision that nothing else in its series beats; the wide grey line is the frontier of the whole chart. Results whose power was not measured (power_valid 0) are not shown.</p>`)
	for _, c := range charts {
		fmt.Fprintf(b, `<section class="figure"><h3 id="%s-title">%s</h3>`, html.EscapeString(c.ID), html.EscapeString(c.Title))
		b.WriteString(c.SVG())
		b.WriteString(`<ul class="legend">`)
		for _, s := range c.Series {
			fmt.Fprintf(b, `<li><span class="swatch" style="background:%s"></span>%s <small>(%d)</small></li>`, s.color, html.EscapeString(s.label), len(s.points))
		}
		b.WriteString(`</ul></section>`)
	}
	b.WriteString(`</section>`)
}

// withEnergyColumn adds the energy column to a table's columns when any of
// the results has a measured energy.
func withEnergyColumn(cols []column, all []*results.Processed) []column {
	if !anyMeasured(all) {
		return cols
	}
	return append(append([]column(nil), cols...), column{EnergyHeader, energyKey, func(r *results.Processed) (string, string, bool) {
		v, ok := r.Float(energyKey)
		if !ok || math.IsNaN(v) {
			return "", "", true
		}
		return strconv.FormatFloat(v, 'f', 6, 64), strconv.FormatFloat(v, 'g', -1, 64), true
	}})
}

// withEnergyCells adds the energy column to a Markdown table (headers and
// the rows of rs, in order) when any result of all has a measured energy;
// a result without one gets an empty cell. Four decimals, as the other
// numbers of the tables.
func withEnergyCells(headers []string, rows [][]any, rs, all []*results.Processed) ([]string, [][]any) {
	if !anyMeasured(all) {
		return headers, rows
	}
	headers = append(append([]string(nil), headers...), EnergyHeader)
	for i, r := range rs {
		var cell any
		if v, ok := r.Float(energyKey); ok {
			cell = v
		}
		rows[i] = append(rows[i], cell)
	}
	return headers, rows
}
