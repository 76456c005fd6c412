// Package pynum reproduces the few pieces of Python's number handling that
// upstream's power scripts (utils/aggregate_power*.py) lean on, so that our
// energy figures equal theirs to the last bit: float() and int() of a
// string, str.strip(), round(x, n), the built-in sum() of floats (Python
// 3.12's compensated summation) and statistics.mean (exact).
package pynum

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// IsSpace is Python's str.isspace for one character: Unicode white space
// plus the four ASCII separators \x1c-\x1f that Go does not count.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Strip is Python's str.strip() without arguments.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// The grammar of float() (Python's language reference, "floatvalue"),
// once numeric has turned other digits into ASCII ones.
var (
	floatRe = regexp.MustCompile(`^[+-]?(?:(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?|(?i:inf|infinity|nan))$`)
	intRe   = regexp.MustCompile(`^[+-]?[0-9](?:_?[0-9])*$`)
)

// numeric is what float() and int() do to a str before they parse it
// (CPython's _PyUnicode_TransformDecimalAndSpaceToASCII, then a strip of
// ASCII white space): non-ASCII white space becomes a space and any
// Unicode decimal digit its ASCII digit; ASCII characters stay, so the
// separators \x1c-\x1f, which str.strip() removes, are not white space
// here.
func numeric(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < 128:
			b = append(b, byte(r))
		case unicode.IsSpace(r):
			b = append(b, ' ')
		case unicode.Is(unicode.Nd, r):
			b = append(b, byte('0'+digitValue(r)))
		default:
			b = append(b, '?') // anything else makes the number invalid
		}
	}
	return strings.Trim(string(b), " \t\n\v\f\r")
}

// digitValue is the value of a Unicode decimal digit: digits come in runs
// of ten, 0 to 9, sometimes several runs back to back.
func digitValue(r rune) int {
	start := r
	for unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}

// Float is Python's float(s) for a str: false where Python raises
// ValueError. Infinities and NaN are accepted, as Python accepts them.
func Float(s string) (float64, bool) {
	s = numeric(s)
	if !floatRe.MatchString(s) {
		return 0, false
	}
	s = strings.ReplaceAll(s, "_", "")
	if strings.EqualFold(strings.TrimLeft(s, "+-"), "nan") {
		return math.NaN(), true // Go's ParseFloat takes no sign on NaN
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out-of-range literals overflow to ±inf or underflow to 0, as
		// Python's float() does; anything else is not a number.
		if errors.Is(err, strconv.ErrRange) {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// Int is Python's int(s) for a str in base 10, limited to int64: false
// where Python raises ValueError or the value does not fit.
func Int(s string) (int64, bool) {
	s = numeric(s)
	if !intRe.MatchString(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	return n, err == nil
}

// Round is Python's round(x, ndigits) for a float: the nearest value with
// ndigits decimals, ties (of the exact binary value) to even. Go's
// formatting rounds the exact decimal expansion the same way.
func Round(x float64, ndigits int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return x
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', ndigits, 64), 64)
	if err != nil {
		return x
	}
	if r == 0 {
		// Python keeps the sign of a value rounded to zero (-0.0).
		return math.Copysign(0, x)
	}
	return r
}

// Sum is Python 3.12's built-in sum() over floats (start 0): the first
// term as is, then Neumaier's compensated summation, the compensation
// added at the end when it is finite and non-zero. Upstream's CI runs
// Python 3.12; Python 3.11 and older summed naively (see SumNaive).
func Sum(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	f := 0.0 + xs[0]
	c := 0.0
	for _, x := range xs[1:] {
		t := f + x
		if math.Abs(f) >= math.Abs(x) {
			c += (f - t) + x
		} else {
			c += (x - t) + f
		}
		f = t
	}
	if c != 0 && !math.IsInf(c, 0) && !math.IsNaN(c) {
		f += c
	}
	return f
}

// SumNaive adds left to right, as Python before 3.12 and a += loop do.
func SumNaive(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// Mean is statistics.mean over floats: the exact mean, rounded once.
// Infinities or NaN among the values give what Python gives (NaN or the
// infinity).
func Mean(xs []float64) float64 {
	switch {
	case len(xs) == 1 && !math.IsNaN(xs[0]):
		// Python's exact mean of one value is the value (a -0.0 becomes
		// 0.0, which + 0 does too).
		return xs[0] + 0
	case len(xs) == 2:
		// Halving is exact away from the ends of the range, so the sum
		// rounded once is the exact mean rounded once.
		if m := (xs[0] + xs[1]) / 2; !math.IsInf(m, 0) && !math.IsNaN(m) && math.Abs(m) > 0x1p-1000 {
			return m
		}
	}
	var sum big.Rat
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return SumNaive(xs) / float64(len(xs))
		}
		var r big.Rat
		r.SetFloat64(x)
		sum.Add(&sum, &r)
	}
	sum.Quo(&sum, new(big.Rat).SetInt64(int64(len(xs))))
	f, _ := sum.Float64()
	return f
}
