// Package gpumetrics holds the CSV format gpumon writes and resultproc
// reads: one row per GPU per sample,
//
//	timestamp,index,uuid,power_w,energy_j
//	1796404503.108,0,GPU-5d1e...,81.382,2377.699
//
// timestamp in Unix seconds with millisecond precision (so that no time
// zone is ever guessed), index the GPU's index on its node, uuid the GPU's
// identity, power_w the board power in watts, energy_j the GPU's energy
// counter in joules since the driver loaded (empty where the hardware has
// none). Each row is written whole, newline included, so a writer killed
// mid-row leaves at most a last line without its newline, which Parse
// reports and drops.
package gpumetrics

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Columns are the header's names, in order.
var Columns = []string{"timestamp", "index", "uuid", "power_w", "energy_j"}

// Header is the first line of every file, without its newline.
var Header = strings.Join(Columns, ",")

// Sample is one reading of one GPU.
type Sample struct {
	UnixMilli int64   // when it was read
	Index     int     // the GPU's index on its node
	UUID      string  // the GPU's identity (GPU-... for NVIDIA)
	PowerW    float64 // board power, watts
	EnergyJ   float64 // energy counter since the driver loaded, joules
	HasEnergy bool    // false where the hardware has no counter
}

// Time is the sample's timestamp in Unix seconds.
func (s Sample) Time() float64 { return float64(s.UnixMilli) / 1000 }

// AppendRow appends s as one CSV line, newline included. Power and energy
// keep three decimals: NVML reports milliwatts and millijoules.
func AppendRow(dst []byte, s Sample) []byte {
	ms := s.UnixMilli
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	dst = fmt.Appendf(dst, "%s%d.%03d,%d,%s,", sign, ms/1000, ms%1000, s.Index, s.UUID)
	dst = strconv.AppendFloat(dst, s.PowerW, 'f', 3, 64)
	dst = append(dst, ',')
	if s.HasEnergy {
		dst = strconv.AppendFloat(dst, s.EnergyJ, 'f', 3, 64)
	}
	return append(dst, '\n')
}

// Field names which column of a row is wrong.
type Field string

// The fields a RowError can name; FieldRow is the row's shape (its number
// of columns).
const (
	FieldRow       Field = "row"
	FieldTimestamp Field = "timestamp"
	FieldIndex     Field = "index"
	FieldUUID      Field = "uuid"
	FieldPower     Field = "power_w"
	FieldEnergy    Field = "energy_j"
)

// RowError says what is wrong with one row.
type RowError struct {
	Line  int
	Field Field
	Msg   string
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Msg) }

// Row is one parsed line. A row with an error keeps what could be read:
// TimeOK tells whether its timestamp was readable, so that a reader can
// ignore a damaged row far from the time it cares about.
type Row struct {
	Sample
	Line   int
	TimeOK bool
	Err    *RowError // nil for a good sample
}

// File is a parsed gpumon CSV file.
type File struct {
	Rows []Row
	// Truncated is set when the last line had no newline: a row cut off
	// by a writer that was killed. It is not in Rows.
	Truncated bool
}

// ErrNotGpumon is returned for a file whose first line is not Header.
var ErrNotGpumon = errors.New("not a gpumon file")

// IsHeader tells whether fields (already stripped) are gpumon's header.
func IsHeader(fields []string) bool {
	if len(fields) != len(Columns) {
		return false
	}
	for i, c := range Columns {
		if fields[i] != c {
			return false
		}
	}
	return true
}

// Parse reads a gpumon file. It fails only when the file is empty or its
// first line is not the header; every problem with a row is on that row.
func Parse(data []byte) (*File, error) {
	if len(data) == 0 {
		return nil, errors.New("line 1: the file is empty (expected the header " + Header + ")")
	}
	lines := bytes.Split(data, []byte("\n"))
	endsWithNewline := len(lines[len(lines)-1]) == 0
	if endsWithNewline {
		lines = lines[:len(lines)-1]
	}
	head := strings.TrimSuffix(string(lines[0]), "\r")
	if head != Header {
		return nil, fmt.Errorf("line 1: %w: the header is %.80q, expected %q", ErrNotGpumon, head, Header)
	}
	f := &File{Rows: make([]Row, 0, len(lines)-1)}
	for i, raw := range lines[1:] {
		line := i + 2
		if i == len(lines)-2 && !endsWithNewline {
			// gpumon ends every row with its newline in the same write: a
			// last line without one was cut short, even if what is left
			// still reads as numbers (an energy of "2377.6" for
			// "2377.699").
			f.Truncated = true
			break
		}
		f.Rows = append(f.Rows, parseRow(strings.TrimSuffix(string(raw), "\r"), line))
	}
	return f, nil
}

func parseRow(s string, line int) Row {
	r := Row{Line: line}
	fail := func(field Field, format string, args ...any) Row {
		r.Err = &RowError{Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
		return r
	}
	cells := strings.Split(s, ",")
	if ms, ok := parseMillis(cells[0]); ok {
		r.UnixMilli, r.TimeOK = ms, true
	}
	if len(cells) != len(Columns) {
		return fail(FieldRow, "%d columns, expected %d (%s)", len(cells), len(Columns), Header)
	}
	if !r.TimeOK {
		return fail(FieldTimestamp, "%.40q is not Unix seconds with at most three decimals", cells[0])
	}
	idx, err := strconv.Atoi(cells[1])
	if err != nil || idx < 0 || cells[1] != strconv.Itoa(idx) {
		return fail(FieldIndex, "%.40q is not a GPU index (a non-negative integer)", cells[1])
	}
	r.Index = idx
	if cells[2] == "" || strings.ContainsFunc(cells[2], func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		return fail(FieldUUID, "%.60q is not a GPU identity (non-empty, no spaces)", cells[2])
	}
	r.UUID = cells[2]
	p, ok := parseDecimal(cells[3])
	if !ok {
		return fail(FieldPower, "%.40q is not a power in watts (a non-negative decimal)", cells[3])
	}
	r.PowerW = p
	if cells[4] != "" {
		e, ok := parseDecimal(cells[4])
		if !ok {
			return fail(FieldEnergy, "%.40q is not an energy in joules (a non-negative decimal, or empty)", cells[4])
		}
		r.EnergyJ, r.HasEnergy = e, true
	}
	return r
}

// parseMillis reads "SECONDS[.FFF]" into milliseconds.
func parseMillis(s string) (int64, bool) {
	secs, frac, dot := strings.Cut(s, ".")
	if secs == "" || len(secs) > 12 || !allDigits(secs) || (dot && (frac == "" || len(frac) > 3 || !allDigits(frac))) {
		return 0, false
	}
	n, _ := strconv.ParseInt(secs, 10, 64)
	ms := n * 1000
	if dot {
		f, _ := strconv.Atoi(frac + strings.Repeat("0", 3-len(frac)))
		ms += int64(f)
	}
	return ms, true
}

// parseDecimal reads a plain non-negative decimal ("81.382", "700").
func parseDecimal(s string) (float64, bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (dot && (frac == "" || !allDigits(frac))) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
