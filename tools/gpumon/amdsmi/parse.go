// Package amdsmi is gpumon's AMD backend: it runs amd-smi's watch mode
// (`amd-smi metric -p -w SECONDS --csv`) and turns its output into
// gpumon's rows, and it snapshots the energy accumulators
// (`amd-smi metric -E --csv`) when it starts and when it stops, beside the
// CSV under upstream's names (<stem>_energy_start.csv, _energy_end.csv),
// for the cross-check resultproc does. amd-smi stamps its rows with whole
// seconds of the node's local time; gpumon stamps each row with the
// millisecond it arrived instead, in Unix time.
package amdsmi

import (
	"regexp"
	"strconv"
	"strings"
)

// Row is one GPU's reading from the stream.
type Row struct {
	GPU       int
	PowerW    float64
	EnergyJ   float64
	HasEnergy bool
}

// Parser reads amd-smi's watch output line by line: whatever comes before
// the first header (warnings, a banner) is skipped, the header that watch
// mode repeats is recognised, and each data line becomes a Row.
type Parser struct {
	header  []string
	gpu     int
	power   int
	energy  int // -1: no accumulator column
	skipped int // lines before the first header
}

var (
	powerName   = regexp.MustCompile(`(?i)power`)
	powerNotIt  = regexp.MustCompile(`(?i)limit|cap|max|min|management`)
	numberInRow = regexp.MustCompile(`-?[0-9]+(?:\.[0-9]+)?`)
)

// Header is the first column of a header line.
const headerStart = "timestamp,"

// Line takes one line (without its newline). It returns a row, or ok
// false for a line that is not one (a header, the preamble, a blank line,
// or a GPU that could not be read: reason says which, "" when the line is
// simply not data).
func (p *Parser) Line(line string) (r Row, ok bool, reason string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return Row{}, false, ""
	}
	if strings.HasPrefix(line, headerStart) || strings.HasPrefix(line, "gpu,") {
		p.setHeader(strings.Split(line, ","))
		return Row{}, false, ""
	}
	if p.header == nil {
		p.skipped++
		return Row{}, false, ""
	}
	cells := strings.Split(line, ",")
	if len(cells) != len(p.header) {
		return Row{}, false, "a line with " + strconv.Itoa(len(cells)) + " columns under a header of " + strconv.Itoa(len(p.header))
	}
	if p.gpu < 0 || p.power < 0 {
		return Row{}, false, "the header has no gpu or power column"
	}
	g, err := strconv.Atoi(strings.TrimSpace(cells[p.gpu]))
	if err != nil || g < 0 {
		return Row{}, false, "gpu " + strconv.Quote(cells[p.gpu]) + " is not a GPU index"
	}
	w, ok := number(cells[p.power])
	if !ok || w < 0 {
		return Row{}, false, "GPU " + strconv.Itoa(g) + ": power " + strconv.Quote(cells[p.power]) + " is not a number of watts"
	}
	r = Row{GPU: g, PowerW: w}
	if p.energy >= 0 {
		if e, ok := number(cells[p.energy]); ok && e >= 0 {
			r.EnergyJ, r.HasEnergy = e, true
		}
	}
	return r, true, ""
}

// Skipped is how many lines came before the first header.
func (p *Parser) Skipped() int { return p.skipped }

// number reads the number in a cell ("238", "238 W"); N/A is none.
func number(cell string) (float64, bool) {
	cell = strings.TrimSpace(cell)
	switch strings.ToLower(cell) {
	case "", "n/a", "[n/a]", "na":
		return 0, false
	}
	m := numberInRow.FindString(cell)
	if m == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(m, 64)
	return f, err == nil
}

// setHeader finds the columns: gpu, the socket power (else the first
// power column that is not a limit or a mode), the accumulator if any.
func (p *Parser) setHeader(h []string) {
	p.header = h
	p.gpu, p.power, p.energy = -1, -1, -1
	for i, c := range h {
		c = strings.TrimSpace(c)
		switch {
		case c == "gpu":
			p.gpu = i
		case c == "socket_power":
			p.power = i
		case c == "total_energy_consumption":
			p.energy = i
		}
	}
	if p.power < 0 {
		for i, c := range h {
			if powerName.MatchString(c) && !powerNotIt.MatchString(c) {
				p.power = i
				break
			}
		}
	}
}
