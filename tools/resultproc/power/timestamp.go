package power

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// Timestamps in upstream's telemetry files come in three forms, tried in
// this order as aggregate_power.py's _parse_timestamp tries them: a plain
// number (Unix seconds, or milliseconds above 1e12), nvidia-smi's
// "YYYY/MM/DD HH:MM:SS.fff" and ISO 8601 (amd-smi). The last two usually
// carry no zone and are read in the node's local time, as upstream reads
// them; gpumon writes Unix seconds so that no zone is ever guessed.

var (
	numberRe = regexp.MustCompile(`^-?[0-9]+(?:\.[0-9]+)?$`)
	// firstNumberRe finds the number in a power cell ("412.34 W").
	firstNumberRe = regexp.MustCompile(`-?[0-9]+(?:\.[0-9]+)?`)
	// Python's strptime patterns for %Y/%m/%d %H:%M:%S[.%f]; a space in the
	// format matches any run of white space; matching ignores case.
	nvsmiRe = regexp.MustCompile(`^(?i)([0-9]{4})/(1[0-2]|0[1-9]|[1-9])/(3[0-1]|[1-2][0-9]|0[1-9]|[1-9]| [1-9])[\t\n\v\f\r \x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+(2[0-3]|[0-1][0-9]|[0-9]):([0-5][0-9]|[0-9]):(6[0-1]|[0-5][0-9]|[0-9])`)
)

// ParseTimestamp is upstream's _parse_timestamp on a stripped cell: Unix
// seconds, or false where upstream returns None. loc is the zone of
// zone-less times (upstream: the machine's local zone).
func ParseTimestamp(value string, loc *time.Location) (float64, bool) {
	value = pynum.Strip(value)
	if value == "" {
		return 0, false
	}
	if numberRe.MatchString(value) {
		n, _ := pynum.Float(value)
		if n > 1e12 {
			return n / 1000.0, true
		}
		return n, true
	}
	if ts, ok := parseNvsmi(value, loc); ok {
		return ts, true
	}
	iso := value
	if strings.Contains(value, " ") && !strings.Contains(value, "T") {
		iso = strings.Replace(value, " ", "T", 1)
	}
	return parseISO(iso, loc)
}

// parseNvsmi is datetime.strptime(value, "%Y/%m/%d %H:%M:%S.%f"), then the
// same without ".%f", then .timestamp().
func parseNvsmi(value string, loc *time.Location) (float64, bool) {
	m := nvsmiRe.FindStringSubmatchIndex(value)
	if m == nil {
		return 0, false
	}
	rest := value[m[1]:]
	us := 0
	if rest != "" {
		// "%S.%f": a dot and one to six digits, and nothing after them
		// (Python: "unconverted data remains").
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 7 {
			return 0, false
		}
		for _, c := range rest[1:] {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
		frac := rest[1:] + strings.Repeat("0", 7-len(rest))
		us, _ = strconv.Atoi(frac)
	}
	part := func(i int) int {
		n, _ := strconv.Atoi(strings.TrimSpace(value[m[2*i]:m[2*i+1]]))
		return n
	}
	c := civil{year: part(1), month: part(2), day: part(3), hour: part(4), minute: part(5), second: part(6), us: us}
	if !c.valid() {
		return 0, false
	}
	return c.localTimestamp(loc), true
}

// civil is a naive date and time, as Python's datetime holds it.
type civil struct {
	year, month, day, hour, minute, second, us int
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (c civil) valid() bool {
	return c.year >= 1 && c.year <= 9999 && c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= daysIn(c.year, c.month) &&
		c.hour >= 0 && c.hour <= 23 && c.minute >= 0 && c.minute <= 59 && c.second >= 0 && c.second <= 59 && c.us >= 0 && c.us <= 999999
}

// utcSeconds is the civil time read as UTC, in Unix seconds.
func (c civil) utcSeconds() int64 {
	return time.Date(c.year, time.Month(c.month), c.day, c.hour, c.minute, c.second, 0, time.UTC).Unix()
}

// localTimestamp is datetime.timestamp() of a naive datetime (fold 0):
// CPython's local_to_seconds, which settles times that a zone change makes
// ambiguous or skips the way Python does, then seconds + us / 1e6.
func (c civil) localTimestamp(loc *time.Location) float64 {
	return float64(localToSeconds(c.utcSeconds(), loc)) + float64(c.us)/1e6
}

// localToSeconds solves t = local(u) for u as CPython does for fold 0.
func localToSeconds(t int64, loc *time.Location) int64 {
	local := func(u int64) int64 {
		_, off := time.Unix(u, 0).In(loc).Zone()
		return u + int64(off)
	}
	const maxFold = 24 * 3600
	a := local(t) - t
	u1 := t - a
	t1 := local(u1)
	var b int64
	if t1 == t {
		u2 := u1 - maxFold
		b = local(u2) - u2
		if a == b {
			return u1
		}
	} else {
		b = t1 - u1
	}
	u2 := t - b
	if local(u2) == t {
		return u2
	}
	if t1 == t {
		return u1
	}
	// t falls in a gap: fold 0 takes the later of the two candidates.
	return max(u1, u2)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func digits(s string) (int, bool) {
	if !allDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// parseISO is datetime.fromisoformat(value).timestamp(), zone-less times
// read in loc.
func parseISO(s string, loc *time.Location) (float64, bool) {
	t, ok := ParseISOTime(s)
	if !ok {
		return 0, false
	}
	if t.Offset == nil {
		return t.c.localTimestamp(loc), true
	}
	return t.awareUnix(*t.Offset), true
}

// ISOTime is what datetime.fromisoformat makes of a string: a civil time
// and, when the string has one, its zone's offset.
type ISOTime struct {
	c      civil
	Offset *int64 // microseconds east of UTC; nil for a naive time
}

// awareUnix is .timestamp() of the time at a fixed offset: exact
// microseconds divided once, as Python divides a timedelta.
func (t ISOTime) awareUnix(offsetUS int64) float64 {
	us := t.c.utcSeconds()*1_000_000 + int64(t.c.us) - offsetUS
	return float64(us) / 1e6
}

// UnixAt is the timestamp of the time in its own zone, or at offsetUS when
// it has none (datetime.replace(tzinfo=...) then .timestamp()).
func (t ISOTime) UnixAt(offsetUS int64) float64 {
	if t.Offset != nil {
		return t.awareUnix(*t.Offset)
	}
	return t.awareUnix(offsetUS)
}

// ParseISOTime is datetime.fromisoformat for calendar dates (YYYY-MM-DD,
// YYYYMMDD), any one separator character, times HH[:MM[:SS[.f]]] or
// HHMM[SS] and zones Z, ±HH[:MM[:SS[.f]]]. ISO week dates (YYYY-Www-D),
// which no tool here writes, are not read.
func ParseISOTime(s string) (ISOTime, bool) {
	var t ISOTime
	if len(s) < 7 {
		return t, false
	}
	c := &t.c
	var dateLen int
	switch {
	case len(s) >= 10 && s[4] == '-' && s[5] != 'W':
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if !ok1 || !ok2 || !ok3 || s[7] != '-' {
			return t, false
		}
		c.year, c.month, c.day, dateLen = y, mo, d, 10
	case len(s) >= 8 && s[4] != '-' && s[4] != 'W':
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[4:6])
		d, ok3 := digits(s[6:8])
		if !ok1 || !ok2 || !ok3 {
			return t, false
		}
		c.year, c.month, c.day, dateLen = y, mo, d, 8
	default:
		return t, false
	}
	// The separator is any single character; an empty time is midnight.
	if len(s) > dateLen+1 {
		var ok bool
		t.Offset, ok = parseISOTime(s[dateLen+1:], c)
		if !ok {
			return t, false
		}
	}
	return t, c.valid()
}

// parseISOTime reads HH[:MM[:SS[.f]]] and an optional zone into c; the
// zone's offset comes back in microseconds (nil: no zone).
func parseISOTime(t string, c *civil) (*int64, bool) {
	if len(t) < 2 {
		return nil, false
	}
	tzPos := strings.IndexAny(t, "+-Z")
	timeStr := t
	if tzPos >= 0 {
		timeStr = t[:tzPos]
	}
	comps, ok := parseHMSF(timeStr)
	if !ok {
		return nil, false
	}
	c.hour, c.minute, c.second, c.us = comps[0], comps[1], comps[2], comps[3]
	if tzPos < 0 {
		return nil, true
	}
	var off int64
	if t[tzPos] == 'Z' {
		if tzPos != len(t)-1 {
			return nil, false
		}
		return &off, true
	}
	tzs := t[tzPos+1:]
	if n := len(tzs); n == 0 || n == 1 || n == 3 {
		return nil, false
	}
	z, ok := parseHMSF(tzs)
	if !ok || z[0] > 23 || z[1] > 59 || z[2] > 59 {
		return nil, false
	}
	off = ((int64(z[0])*60+int64(z[1]))*60+int64(z[2]))*1_000_000 + int64(z[3])
	if t[tzPos] == '-' {
		off = -off
	}
	return &off, true
}

// parseHMSF is Python's _parse_hh_mm_ss_ff: HH[:?MM[:?SS[{.,}fff[fff]]]],
// fraction digits past the sixth ignored.
func parseHMSF(s string) ([4]int, bool) {
	var comps [4]int
	pos := 0
	hasSep := false
	for comp := 0; comp < 3; comp++ {
		if len(s)-pos < 2 {
			return comps, false
		}
		n, ok := digits(s[pos : pos+2])
		if !ok {
			return comps, false
		}
		comps[comp] = n
		pos += 2
		if comp == 0 {
			hasSep = pos < len(s) && s[pos] == ':'
		}
		if pos >= len(s) || comp >= 2 {
			break
		}
		if hasSep {
			if s[pos] != ':' {
				return comps, false
			}
			pos++
		}
	}
	if pos < len(s) {
		if s[pos] != '.' && s[pos] != ',' {
			return comps, false
		}
		pos++
		frac := s[pos:]
		if !allDigits(frac) {
			return comps, false
		}
		if len(frac) > 6 {
			frac = frac[:6]
		}
		n, _ := strconv.Atoi(frac + strings.Repeat("0", 6-len(frac)))
		comps[3] = n
	}
	return comps, true
}
