package onigre

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Class is a set of runes, stored for fast membership tests: a bitmap for
// the Basic Multilingual Plane and sorted ranges above it.
type Class struct {
	bmp    [0x10000 / 64]uint64
	astral []unicode.Range32
	ranges []unicode.Range32 // all of it, sorted (for compile-time analysis)
}

// Contains reports whether r is in the class.
func (c *Class) Contains(r rune) bool {
	if r < 0x10000 {
		if r < 0 {
			return false
		}
		return c.bmp[r>>6]&(1<<(uint(r)&63)) != 0
	}
	rs := c.astral
	lo, hi := 0, len(rs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch {
		case uint32(r) < rs[m].Lo:
			hi = m
		case uint32(r) > rs[m].Hi:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

type classBuilder struct {
	ranges []unicode.Range32 // unsorted, possibly overlapping
}

func newClassBuilder() *classBuilder { return &classBuilder{} }

func (b *classBuilder) addRange(lo, hi rune) {
	b.ranges = append(b.ranges, unicode.Range32{Lo: uint32(lo), Hi: uint32(hi), Stride: 1})
}

func (b *classBuilder) addItem(it classItem) {
	if it.single {
		b.addRange(it.r, it.r)
		return
	}
	rs := it.ranges
	if it.neg {
		rs = negate(normalize(rs))
	}
	b.ranges = append(b.ranges, rs...)
}

// build returns the class; fold closes it under simple case folding (the
// (?i) option) before an outer negation is applied, as Oniguruma does.
func (b *classBuilder) build(neg, fold bool) *Class {
	rs := normalize(b.ranges)
	if fold {
		rs = foldClosure(rs)
	}
	if neg {
		rs = negate(rs)
	}
	c := &Class{ranges: rs}
	for _, r := range rs {
		lo, hi := r.Lo, r.Hi
		if lo < 0x10000 {
			setBits(&c.bmp, lo, min(hi, 0xFFFF))
		}
		if hi >= 0x10000 {
			if lo < 0x10000 {
				lo = 0x10000
			}
			c.astral = append(c.astral, unicode.Range32{Lo: lo, Hi: hi, Stride: 1})
		}
	}
	return c
}

// setBits sets bits lo..hi (inclusive) of the bitmap, a word at a time.
func setBits(bm *[0x10000 / 64]uint64, lo, hi uint32) {
	for lo <= hi {
		w, b := lo>>6, lo&63
		n := min(64-b, hi-lo+1)
		var mask uint64
		if n == 64 {
			mask = ^uint64(0)
		} else {
			mask = (uint64(1)<<n - 1) << b
		}
		bm[w] |= mask
		lo += n
	}
}

// normalize sorts ranges (all with stride 1) and merges overlaps.
func normalize(rs []unicode.Range32) []unicode.Range32 {
	out := make([]unicode.Range32, len(rs))
	copy(out, rs)
	sort.Slice(out, func(i, j int) bool { return out[i].Lo < out[j].Lo })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && r.Lo <= merged[n-1].Hi+1 {
			if r.Hi > merged[n-1].Hi {
				merged[n-1].Hi = r.Hi
			}
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

func negate(rs []unicode.Range32) []unicode.Range32 {
	var out []unicode.Range32
	next := uint32(0)
	for _, r := range rs {
		if r.Lo > next {
			out = append(out, unicode.Range32{Lo: next, Hi: r.Lo - 1, Stride: 1})
		}
		next = r.Hi + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, unicode.Range32{Lo: next, Hi: unicode.MaxRune, Stride: 1})
	}
	return out
}

func foldClosure(rs []unicode.Range32) []unicode.Range32 {
	extra := make([]unicode.Range32, 0)
	for _, x := range foldableRunes() {
		if !inRanges(rs, x) {
			continue
		}
		for f := unicode.SimpleFold(x); f != x; f = unicode.SimpleFold(f) {
			extra = append(extra, unicode.Range32{Lo: uint32(f), Hi: uint32(f), Stride: 1})
		}
	}
	return normalize(append(append([]unicode.Range32{}, rs...), extra...))
}

func inRanges(rs []unicode.Range32, r rune) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Hi >= uint32(r) })
	return i < len(rs) && rs[i].Lo <= uint32(r)
}

// foldableRunes lists every rune whose case-fold orbit has other members
// (a few thousand), so that closing a class under folding does not walk
// every code point of the class.
var foldableRunes = sync.OnceValue(func() []rune {
	var out []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.SimpleFold(r) != r {
			out = append(out, r)
		}
	}
	return out
})

// tableRanges expands a unicode.RangeTable into stride-1 ranges.
func tableRanges(tabs ...*unicode.RangeTable) []unicode.Range32 {
	var out []unicode.Range32
	for _, t := range tabs {
		for _, r := range t.R16 {
			if r.Stride == 1 {
				out = append(out, unicode.Range32{Lo: uint32(r.Lo), Hi: uint32(r.Hi), Stride: 1})
				continue
			}
			for x := uint32(r.Lo); x <= uint32(r.Hi); x += uint32(r.Stride) {
				out = append(out, unicode.Range32{Lo: x, Hi: x, Stride: 1})
			}
		}
		for _, r := range t.R32 {
			if r.Stride == 1 {
				out = append(out, unicode.Range32{Lo: r.Lo, Hi: r.Hi, Stride: 1})
				continue
			}
			for x := r.Lo; x <= r.Hi; x += r.Stride {
				out = append(out, unicode.Range32{Lo: x, Hi: x, Stride: 1})
			}
		}
	}
	return normalize(out)
}

// spaceRanges is Oniguruma's \s for Unicode text: the White_Space
// property.
var spaceRanges = onigTables["White_Space"]

// wordRanges is Oniguruma's \w for Unicode text: letters, marks, decimal
// numbers and connector punctuation.
func wordRanges() []unicode.Range32 { return onigTables["Word"] }

// Character classes come from onigTables (generated from the reference,
// Unicode 16) rather than Go's unicode package (Unicode 15.0), so that
// characters added to Unicode since then are classified as Hugging Face
// classifies them. Scripts and the rarer binary properties fall back to
// Go's tables.
var categoryGroups = map[string][]string{
	"L": {"Lu", "Ll", "Lt", "Lm", "Lo"},
	"M": {"Mn", "Mc", "Me"},
	"N": {"Nd", "Nl", "No"},
	"P": {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"},
	"S": {"Sm", "Sc", "Sk", "So"},
	"Z": {"Zs", "Zl", "Zp"},
	"C": {"Cc", "Cf", "Cs", "Co", "Cn"},
}

// category returns the ranges of a one- or two-letter general category.
func category(name string) ([]unicode.Range32, bool) {
	if name == "Cs" {
		return []unicode.Range32{{Lo: 0xD800, Hi: 0xDFFF, Stride: 1}}, true
	}
	if rs, ok := onigTables[name]; ok && len(name) == 2 {
		return rs, true
	}
	group, ok := categoryGroups[name]
	if !ok {
		return nil, false
	}
	var out []unicode.Range32
	for _, g := range group {
		rs, _ := category(g)
		out = append(out, rs...)
	}
	return normalize(out), true
}

// longCategoryNames maps Oniguruma's long general category names to the
// short ones.
var longCategoryNames = map[string]string{
	"other": "C", "control": "Cc", "format": "Cf", "privateuse": "Co", "surrogate": "Cs", "unassigned": "Cn",
	"letter": "L", "lowercaseletter": "Ll", "modifierletter": "Lm", "otherletter": "Lo",
	"titlecaseletter": "Lt", "uppercaseletter": "Lu",
	"mark": "M", "combiningmark": "M", "spacingmark": "Mc", "enclosingmark": "Me", "nonspacingmark": "Mn",
	"number": "N", "decimalnumber": "Nd", "letternumber": "Nl", "othernumber": "No",
	"punctuation": "P", "connectorpunctuation": "Pc", "dashpunctuation": "Pd", "closepunctuation": "Pe",
	"finalpunctuation": "Pf", "initialpunctuation": "Pi", "otherpunctuation": "Po", "openpunctuation": "Ps",
	"symbol": "S", "currencysymbol": "Sc", "modifiersymbol": "Sk", "mathsymbol": "Sm", "othersymbol": "So",
	"separator": "Z", "lineseparator": "Zl", "paragraphseparator": "Zp", "spaceseparator": "Zs",
}

// shortCategories maps folded short names ("lu") to their spelling ("Lu").
var shortCategories = func() map[string]string {
	m := map[string]string{}
	for k := range categoryGroups {
		m[strings.ToLower(k)] = k
		for _, g := range categoryGroups[k] {
			m[strings.ToLower(g)] = g
		}
	}
	return m
}()

var propIndex = func() map[string]*unicode.RangeTable {
	m := map[string]*unicode.RangeTable{}
	for k, v := range unicode.Scripts {
		m[normName(k)] = v
	}
	for k, v := range unicode.Properties {
		m[normName(k)] = v
	}
	return m
}()

// normName folds a property name the way Oniguruma compares them: case,
// spaces, hyphens and underscores do not matter.
func normName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == ' ' || r == '_' || r == '-' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// property returns the ranges of a Unicode property name as written in
// \p{...}, or ok=false if it is not one this engine knows.
func property(name string) ([]unicode.Range32, bool) {
	n := normName(name)
	switch n {
	case "any":
		return []unicode.Range32{{Lo: 0, Hi: unicode.MaxRune, Stride: 1}}, true
	case "ascii":
		return []unicode.Range32{{Lo: 0, Hi: 0x7f, Stride: 1}}, true
	case "alpha", "alphabetic":
		return onigTables["Alphabetic"], true
	case "digit":
		return onigTables["Nd"], true
	case "space", "whitespace":
		return spaceRanges, true
	case "word":
		return wordRanges(), true
	case "upper", "uppercase":
		return onigTables["Uppercase"], true
	case "lower", "lowercase":
		return onigTables["Lowercase"], true
	case "lc", "l&", "casedletter":
		return normalize(append(append(append([]unicode.Range32{}, onigTables["Lu"]...), onigTables["Ll"]...), onigTables["Lt"]...)), true
	}
	if short, ok := shortCategories[n]; ok {
		return category(short)
	}
	if short, ok := longCategoryNames[n]; ok {
		return category(short)
	}
	if t, ok := propIndex[n]; ok {
		return tableRanges(t), true
	}
	return nil, false
}

// NewClass returns the union of the named Unicode properties or general
// categories (as written inside \p{...}).
func NewClass(names ...string) (*Class, error) {
	b := newClassBuilder()
	for _, n := range names {
		rs, ok := property(n)
		if !ok {
			return nil, fmt.Errorf("unknown Unicode property %q", n)
		}
		b.ranges = append(b.ranges, rs...)
	}
	return b.build(false, false), nil
}
