// Package mdtable renders GitHub-flavoured Markdown tables exactly as the
// Python tabulate package (0.8.9 to 0.9.0) renders them with
// tablefmt="github", which is what the original tools printed into step
// summaries. Keeping its layout keeps diffs of summaries meaningful across
// the switch.
//
// tabulate infers a type for every column from its cells: a string that
// reads as a number counts as a number. Number columns are right-aligned on
// the decimal point and re-formatted (with "g" unless FloatFormat says
// otherwise); every other column is left-aligned and trimmed. Widths count
// code points, as tabulate does when wcwidth is not installed.
package mdtable

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
)

// Table is one table to render.
type Table struct {
	Headers []string
	// Rows hold nil, bool, int, int64, float64 or string cells. A nil cell
	// prints empty.
	Rows [][]any
	// FloatFormat is the Python format spec for float columns: "" means
	// tabulate's default "g"; ".4f" keeps four decimals.
	FloatFormat string
	// FloatFormats, when set, give each column its own format (tabulate's
	// floatfmt as a list); a missing or empty one is FloatFormat.
	FloatFormats []string
}

type colType int

const (
	typeNone colType = iota
	typeBool
	typeInt
	typeFloat
	typeStr
)

// String renders the table. A table with neither headers nor rows is "".
func (t Table) String() string {
	ncols := len(t.Headers)
	for _, r := range t.Rows {
		ncols = max(ncols, len(r))
	}
	if ncols == 0 {
		return ""
	}
	// tabulate pads missing leading headers with empty ones.
	headers := make([]string, ncols)
	copy(headers[ncols-len(t.Headers):], t.Headers)
	for i, h := range headers {
		headers[i] = oneLine(h)
	}
	floatFmt := t.FloatFormat
	if floatFmt == "" {
		floatFmt = "g"
	}

	cols := make([][]string, ncols)
	aligns := make([]bool, ncols) // true: decimal (numbers), false: left
	for j := range ncols {
		ct := typeBool
		for _, r := range t.Rows {
			ct = max(ct, typeOf(cell(r, j)))
		}
		aligns[j] = ct == typeInt || ct == typeFloat
		colFmt := floatFmt
		if j < len(t.FloatFormats) && t.FloatFormats[j] != "" {
			colFmt = t.FloatFormats[j]
		}
		cells := make([]string, len(t.Rows))
		for i, r := range t.Rows {
			cells[i] = oneLine(format(cell(r, j), ct, colFmt))
		}
		minw := 0
		if len(t.Headers) > 0 {
			minw = width(headers[j]) + 2
		}
		cols[j] = alignColumn(cells, aligns[j], minw)
	}

	widths := make([]int, ncols)
	for j := range ncols {
		w := 0
		if len(t.Headers) > 0 {
			w = width(headers[j]) + 2
		}
		for _, c := range cols[j] {
			w = max(w, width(c))
		}
		widths[j] = w
	}

	var lines []string
	if len(t.Headers) > 0 {
		hs := make([]string, ncols)
		for j, h := range headers {
			if aligns[j] {
				hs[j] = padLeft(widths[j], h)
			} else {
				hs[j] = padRight(widths[j], h)
			}
		}
		lines = append(lines, row(hs))
		dashes := make([]string, ncols)
		for j, w := range widths {
			dashes[j] = strings.Repeat("-", w+2)
		}
		lines = append(lines, strings.TrimRight("|"+strings.Join(dashes, "|")+"|", " \t\n\r\v\f"))
	}
	for i := range t.Rows {
		cs := make([]string, ncols)
		for j := range ncols {
			cs[j] = cols[j][i]
		}
		lines = append(lines, row(cs))
	}
	return strings.Join(lines, "\n")
}

func cell(r []any, j int) any {
	if j < len(r) {
		return r[j]
	}
	return nil
}

// oneLine keeps cells on one line: tabulate switches to a multi-line layout
// for cells with line breaks, which a Markdown table cannot show anyway.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

func row(cells []string) string {
	var b strings.Builder
	b.WriteString("|")
	for i, c := range cells {
		if i > 0 {
			b.WriteString("|")
		}
		b.WriteString(" ")
		b.WriteString(c)
		b.WriteString(" ")
	}
	b.WriteString("|")
	return b.String()
}

func typeOf(v any) colType {
	switch x := v.(type) {
	case nil:
		return typeNone
	case bool:
		return typeBool
	case int, int64, int32:
		return typeInt
	case float64:
		return typeFloat
	case string:
		switch {
		case x == "True" || x == "False":
			return typeBool
		case isPyInt(x):
			return typeInt
		case isPyNumber(x):
			return typeFloat
		}
		return typeStr
	}
	return typeStr
}

func format(v any, ct colType, floatFmt string) string {
	if v == nil {
		return ""
	}
	switch ct {
	case typeInt:
		return pyStr(v)
	case typeFloat:
		f, ok := toFloat(v)
		if !ok {
			return pyStr(v)
		}
		return formatFloat(f, floatFmt)
	}
	return pyStr(v)
}

// pyStr is Python's str() of a cell.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		switch {
		case math.IsNaN(x):
			return "nan"
		case math.IsInf(x, 1):
			return "inf"
		case math.IsInf(x, -1):
			return "-inf"
		}
		s, _ := pyjson.FormatFloat(x, 64)
		return s
	}
	return ""
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case float64:
		return x, true
	case string:
		return pyFloat(x)
	}
	return 0, false
}

// formatFloat is Python's format(f, spec) for the specs tables use: "g" or
// ".Nf".
func formatFloat(f float64, spec string) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if strings.HasPrefix(spec, ".") && strings.HasSuffix(spec, "f") {
		if n, err := strconv.Atoi(spec[1 : len(spec)-1]); err == nil {
			return strconv.FormatFloat(f, 'f', n, 64)
		}
	}
	// Python's "g": six significant digits, trailing zeros dropped,
	// exponent form below 1e-4 and from 1e6; Go's 'g' with precision 6
	// makes the same choices and the same two-digit exponent.
	return strconv.FormatFloat(f, 'g', 6, 64)
}

func alignColumn(cells []string, decimal bool, minw int) []string {
	out := make([]string, len(cells))
	if decimal {
		decs := make([]int, len(cells))
		maxdec := -1
		for i, c := range cells {
			decs[i] = afterPoint(c)
			maxdec = max(maxdec, decs[i])
		}
		for i, c := range cells {
			out[i] = c + strings.Repeat(" ", maxdec-decs[i])
		}
	} else {
		for i, c := range cells {
			out[i] = pyStrip(c)
		}
	}
	w := minw
	for _, c := range out {
		w = max(w, width(c))
	}
	for i, c := range out {
		if decimal {
			out[i] = padLeft(w, c)
		} else {
			out[i] = padRight(w, c)
		}
	}
	return out
}

// thousands is tabulate's number-with-thousands-separators pattern; its
// conditional group is spelled out as two alternatives for RE2.
var thousands = regexp.MustCompile(`^(?:[+-]?[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]*)?|(?:\.[0-9]+)?)$`)

// afterPoint counts the digits after a number's decimal point, -1 for
// integers and non-numbers.
func afterPoint(s string) int {
	if !isPyNumber(s) && !thousands.MatchString(s) {
		return -1
	}
	if isPyInt(s) {
		return -1
	}
	pos := strings.LastIndex(s, ".")
	if pos < 0 {
		pos = strings.LastIndex(strings.ToLower(s), "e")
	}
	if pos < 0 {
		return -1
	}
	return utf8.RuneCountInString(s) - utf8.RuneCountInString(s[:pos]) - 1
}

func width(s string) int { return utf8.RuneCountInString(s) }

func padLeft(w int, s string) string {
	if n := w - width(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}

func padRight(w int, s string) string {
	if n := w - width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// pyIsSpace is Python's str.isspace for one rune.
func pyIsSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// digitsWithUnderscores accepts what Python's int() and float() take as a
// run of digits: ASCII digits with single underscores between them.
func digitsWithUnderscores(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// isPyInt tells whether Python's int() accepts s.
func isPyInt(s string) bool {
	s = pyStrip(s)
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	return digitsWithUnderscores(s)
}

// pyFloat is Python's float() of a string, for the forms tables meet.
func pyFloat(s string) (float64, bool) {
	t := pyStrip(s)
	body := t
	if strings.HasPrefix(body, "+") || strings.HasPrefix(body, "-") {
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if strings.HasPrefix(t, "-") {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "nan":
		return math.NaN(), true
	}
	mant, exp, hasExp := strings.Cut(strings.ToLower(body), "e")
	if hasExp {
		e := exp
		if strings.HasPrefix(e, "+") || strings.HasPrefix(e, "-") {
			e = e[1:]
		}
		if !digitsWithUnderscores(e) {
			return 0, false
		}
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if intPart == "" && (!hasDot || frac == "") {
		return 0, false
	}
	if intPart != "" && !digitsWithUnderscores(intPart) {
		return 0, false
	}
	if frac != "" && !digitsWithUnderscores(frac) {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
	if err != nil {
		// Out of range: Python gives inf as well.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// isPyNumber is tabulate's _isnumber: float() accepts it, and an infinite
// or NaN value only when spelled exactly inf, -inf or nan.
func isPyNumber(s string) bool {
	f, ok := pyFloat(s)
	if !ok {
		return false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		l := strings.ToLower(s)
		return l == "inf" || l == "-inf" || l == "nan"
	}
	return true
}
