// Package onigre is a backtracking regular expression engine for the subset
// of Oniguruma (Ruby syntax) that Hugging Face tokenizer.json files use in
// their Split pre-tokenizers, with Oniguruma's matching semantics.
//
// Hugging Face's Rust tokenizers compile those patterns with Oniguruma, and
// the patterns rely on what Go's regexp lacks: look-ahead (`\s+(?!\S)`),
// possessive and lazy quantifiers, and Perl-style leftmost-first
// backtracking. The engine here supports alternation, groups (capturing,
// non-capturing, atomic, named), inline and scoped flags `i`, `m`, `x`,
// positive and negative look-ahead, greedy, lazy and possessive quantifiers,
// character classes with ranges, negation and Unicode properties
// (`\p{L}`, `\P{N}`, `\p{^Lu}`, scripts), the escapes `\s \S \d \D \w \W \h
// \H`, and the anchors `^ $ \A \z \Z \b \B`. Anything else (back-references,
// look-behind, class intersection, POSIX brackets, `\G`, `\K`, `\R`, `\X`)
// is rejected at compile time with an "unsupported" error, never guessed.
package onigre

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a pattern that does not compile: Offset is the byte offset in
// the pattern where the problem was found.
type Error struct {
	Pattern string
	Offset  int
	Msg     string
}

func (e *Error) Error() string {
	return fmt.Sprintf("regex %s: at offset %d: %s", strconv.Quote(e.Pattern), e.Offset, e.Msg)
}

// ast node kinds.
type kind int

const (
	kLit    kind = iota // one rune (possibly case-insensitive)
	kClass              // a character class
	kAny                // . (with or without newline)
	kSeq                // concatenation
	kAlt                // alternation
	kRepeat             // quantifier
	kLook               // look-ahead
	kAtomic             // (?>...)
	kAssert             // zero-width anchor
	kEmpty              // matches the empty string
)

type assertKind int

const (
	aLineStart assertKind = iota
	aLineEnd
	aTextStart
	aTextEnd
	aTextEndNewline
	aWordBoundary
	aNotWordBoundary
)

type ast struct {
	kind     kind
	r        rune
	fold     bool // kLit: case-insensitive
	cls      *Class
	dotNL    bool // kAny: . matches \n (multiline option in Ruby syntax)
	subs     []*ast
	min, max int // kRepeat; max < 0 is unbounded
	lazy     bool
	poss     bool
	neg      bool // kLook
	assert   assertKind
}

type flags struct {
	i, m, x bool
}

type parser struct {
	src string
	pos int
}

func (p *parser) errf(format string, args ...any) error {
	return &Error{Pattern: p.src, Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() rune {
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return r
}

func (p *parser) next() rune {
	r, n := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += n
	return r
}

func (p *parser) lookingAt(s string) bool { return strings.HasPrefix(p.src[p.pos:], s) }

func parse(src string) (*ast, error) {
	if !utf8.ValidString(src) {
		return nil, &Error{Pattern: src, Msg: "pattern is not valid UTF-8"}
	}
	p := &parser{src: src}
	f := flags{}
	a, err := p.parseAlt(&f, 0)
	if err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, p.errf("unmatched ')'")
	}
	return a, nil
}

// parseAlt parses alternatives up to a ')' or the end. Inline flags such as
// (?i) change f for the rest of the enclosing group, as in Oniguruma.
func (p *parser) parseAlt(f *flags, depth int) (*ast, error) {
	if depth > 200 {
		return nil, p.errf("groups nested too deeply")
	}
	var alts []*ast
	for {
		seq, err := p.parseSeq(f, depth)
		if err != nil {
			return nil, err
		}
		alts = append(alts, seq)
		if p.eof() || p.peek() == ')' {
			break
		}
		p.next() // '|'
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return &ast{kind: kAlt, subs: alts}, nil
}

func (p *parser) parseSeq(f *flags, depth int) (*ast, error) {
	var items []*ast
	for !p.eof() {
		c := p.peek()
		if c == '|' || c == ')' {
			break
		}
		if f.x {
			if unicode.IsSpace(c) {
				p.next()
				continue
			}
			if c == '#' {
				for !p.eof() && p.peek() != '\n' {
					p.next()
				}
				continue
			}
		}
		// (?flags) without a colon applies to the rest of this sequence and
		// the following alternatives of the group: Oniguruma parses it as a
		// group around everything that follows.
		if p.lookingAt("(?") && p.isBareFlagGroup() {
			nf, err := p.parseFlagGroupHead(*f)
			if err != nil {
				return nil, err
			}
			*f = nf
			rest, err := p.parseAlt(f, depth+1)
			if err != nil {
				return nil, err
			}
			items = append(items, rest)
			break
		}
		atom, err := p.parseAtom(f, depth)
		if err != nil {
			return nil, err
		}
		if atom == nil { // comment or similar
			continue
		}
		atom, err = p.parseQuantifiers(atom, f)
		if err != nil {
			return nil, err
		}
		items = append(items, atom)
	}
	switch len(items) {
	case 0:
		return &ast{kind: kEmpty}, nil
	case 1:
		return items[0], nil
	}
	return &ast{kind: kSeq, subs: items}, nil
}

// isBareFlagGroup reports whether the input is at "(?imx-imx)".
func (p *parser) isBareFlagGroup() bool {
	s := p.src[p.pos+2:]
	i := 0
	for i < len(s) && strings.IndexByte("imx-", s[i]) >= 0 {
		i++
	}
	return i > 0 && i < len(s) && s[i] == ')'
}

// parseFlagGroupHead consumes "(?imx-imx)" and returns the new flags.
func (p *parser) parseFlagGroupHead(f flags) (flags, error) {
	p.pos += 2
	nf, err := p.parseFlags(f)
	if err != nil {
		return f, err
	}
	p.next() // ')'
	return nf, nil
}

func (p *parser) parseFlags(f flags) (flags, error) {
	on := true
	for !p.eof() {
		switch p.peek() {
		case 'i':
			f.i = on
		case 'm':
			f.m = on
		case 'x':
			f.x = on
		case '-':
			if !on {
				return f, p.errf("flag group has two '-'")
			}
			on = false
		default:
			return f, nil
		}
		p.next()
	}
	return f, p.errf("unterminated flag group")
}

func (p *parser) parseAtom(f *flags, depth int) (*ast, error) {
	start := p.pos
	c := p.next()
	switch c {
	case '(':
		return p.parseGroup(f, depth)
	case '[':
		cls, err := p.parseClass(*f)
		if err != nil {
			return nil, err
		}
		return &ast{kind: kClass, cls: cls}, nil
	case '.':
		return &ast{kind: kAny, dotNL: f.m}, nil
	case '^':
		return &ast{kind: kAssert, assert: aLineStart}, nil
	case '$':
		return &ast{kind: kAssert, assert: aLineEnd}, nil
	case '\\':
		return p.parseEscape(*f)
	case '*', '+', '?':
		p.pos = start
		return nil, p.errf("quantifier %q with nothing to repeat", c)
	case '{':
		if _, _, ok := p.peekInterval(start); ok {
			p.pos = start
			return nil, p.errf("quantifier with nothing to repeat")
		}
	}
	return p.lit(c, *f), nil
}

func (p *parser) lit(c rune, f flags) *ast {
	return &ast{kind: kLit, r: c, fold: f.i && hasFold(c)}
}

func hasFold(r rune) bool { return unicode.SimpleFold(r) != r }

func (p *parser) parseGroup(f *flags, depth int) (*ast, error) {
	inner := *f // flags set inside a group end with it
	if !p.lookingAt("?") {
		return p.groupBody(&inner, depth, nil)
	}
	p.next()
	if p.eof() {
		return nil, p.errf("unterminated group")
	}
	c := p.next()
	switch c {
	case ':':
		return p.groupBody(&inner, depth, nil)
	case '=', '!':
		return p.groupBody(&inner, depth, &ast{kind: kLook, neg: c == '!'})
	case '>':
		return p.groupBody(&inner, depth, &ast{kind: kAtomic})
	case '#':
		for !p.eof() && p.peek() != ')' {
			p.next()
		}
		if p.eof() {
			return nil, p.errf("unterminated comment group")
		}
		p.next()
		return nil, nil
	case '<':
		if p.lookingAt("=") || p.lookingAt("!") {
			return nil, p.errf("unsupported: look-behind")
		}
		return p.namedGroup(&inner, depth, '>')
	case '\'':
		return p.namedGroup(&inner, depth, '\'')
	case 'i', 'm', 'x', '-':
		p.pos--
		nf, err := p.parseFlags(inner)
		if err != nil {
			return nil, err
		}
		if p.eof() || p.peek() != ':' {
			return nil, p.errf("unsupported group syntax")
		}
		p.next()
		return p.groupBody(&nf, depth, nil)
	}
	return nil, p.errf("unsupported group syntax (?%c", c)
}

func (p *parser) namedGroup(f *flags, depth int, close rune) (*ast, error) {
	for !p.eof() && p.peek() != close {
		c := p.next()
		if !(c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c)) {
			return nil, p.errf("invalid group name")
		}
	}
	if p.eof() {
		return nil, p.errf("unterminated group name")
	}
	p.next()
	return p.groupBody(f, depth, nil)
}

func (p *parser) groupBody(f *flags, depth int, wrap *ast) (*ast, error) {
	body, err := p.parseAlt(f, depth+1)
	if err != nil {
		return nil, err
	}
	if p.eof() {
		return nil, p.errf("missing ')'")
	}
	p.next()
	if wrap == nil {
		return body, nil
	}
	wrap.subs = []*ast{body}
	return wrap, nil
}

// peekInterval parses "{n}", "{n,}", "{n,m}" or "{,m}" at p.pos (just after
// '{' when called from parseAtom with start at '{'). It reports ok=false for
// a brace that is a literal, as Ruby syntax treats it.
func (p *parser) peekInterval(bracePos int) (min, max int, ok bool) {
	s := p.src[bracePos:]
	if len(s) == 0 || s[0] != '{' {
		return 0, 0, false
	}
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return 0, 0, false
	}
	body := s[1:end]
	lo, hi, hasComma := strings.Cut(body, ",")
	isNum := func(x string) bool {
		if x == "" || len(x) > 6 {
			return false
		}
		for i := 0; i < len(x); i++ {
			if x[i] < '0' || x[i] > '9' {
				return false
			}
		}
		return true
	}
	switch {
	case !hasComma && isNum(lo):
		n, _ := strconv.Atoi(lo)
		return n, n, true
	case hasComma && isNum(lo) && hi == "":
		n, _ := strconv.Atoi(lo)
		return n, -1, true
	case hasComma && isNum(lo) && isNum(hi):
		a, _ := strconv.Atoi(lo)
		b, _ := strconv.Atoi(hi)
		return a, b, true
	case hasComma && lo == "" && isNum(hi):
		b, _ := strconv.Atoi(hi)
		return 0, b, true
	}
	return 0, 0, false
}

func (p *parser) parseQuantifiers(atom *ast, f *flags) (*ast, error) {
	for !p.eof() {
		start := p.pos
		c := p.peek()
		var min, max int
		interval := false
		switch c {
		case '*':
			min, max = 0, -1
		case '+':
			min, max = 1, -1
		case '?':
			min, max = 0, 1
		case '{':
			lo, hi, ok := p.peekInterval(p.pos)
			if !ok {
				return atom, nil
			}
			min, max, interval = lo, hi, true
		default:
			return atom, nil
		}
		if interval {
			p.pos += strings.IndexByte(p.src[p.pos:], '}') + 1
		} else {
			p.next()
		}
		if max >= 0 && min > max {
			p.pos = start
			return nil, p.errf("invalid repeat range {%d,%d}", min, max)
		}
		if min > 1000 || max > 1000 {
			p.pos = start
			return nil, p.errf("unsupported: repeat count above 1000")
		}
		if atom.kind == kAssert || atom.kind == kLook {
			p.pos = start
			return nil, p.errf("quantifier on a zero-width assertion")
		}
		rep := &ast{kind: kRepeat, subs: []*ast{atom}, min: min, max: max}
		if !p.eof() {
			switch p.peek() {
			case '?':
				p.next()
				rep.lazy = true
			case '+':
				// In Ruby syntax "{n,m}+" is a nested repeat, not possessive.
				if !interval {
					p.next()
					rep.poss = true
				}
			}
		}
		atom = rep
	}
	return atom, nil
}

func (p *parser) parseEscape(f flags) (*ast, error) {
	if p.eof() {
		return nil, p.errf("trailing backslash")
	}
	start := p.pos - 1
	c := p.next()
	switch c {
	case 'A':
		return &ast{kind: kAssert, assert: aTextStart}, nil
	case 'z':
		return &ast{kind: kAssert, assert: aTextEnd}, nil
	case 'Z':
		return &ast{kind: kAssert, assert: aTextEndNewline}, nil
	case 'b':
		return &ast{kind: kAssert, assert: aWordBoundary}, nil
	case 'B':
		return &ast{kind: kAssert, assert: aNotWordBoundary}, nil
	case 'G', 'K', 'R', 'X', 'N', 'O', 'g', 'k', 'y', 'Y':
		p.pos = start
		return nil, p.errf("unsupported escape \\%c", c)
	}
	if c >= '1' && c <= '9' {
		p.pos = start
		return nil, p.errf("unsupported: back-reference \\%c", c)
	}
	p.pos = start + 1
	item, err := p.parseClassEscape(false)
	if err != nil {
		return nil, err
	}
	if item.single {
		return p.lit(item.r, f), nil
	}
	cls := newClassBuilder()
	cls.addItem(item)
	return &ast{kind: kClass, cls: cls.build(false, f.i)}, nil
}

// classItem is one element of a character class: a single rune, or a set.
type classItem struct {
	single bool
	r      rune
	ranges []unicode.Range32 // sorted
	neg    bool
}

// parseClassEscape parses the escape after a backslash (p.pos is just past
// the backslash). inClass selects the meaning of \b (backspace in a class).
func (p *parser) parseClassEscape(inClass bool) (classItem, error) {
	start := p.pos - 1
	if p.eof() {
		return classItem{}, p.errf("trailing backslash")
	}
	c := p.next()
	one := func(r rune) (classItem, error) { return classItem{single: true, r: r}, nil }
	switch c {
	case 't':
		return one('\t')
	case 'n':
		return one('\n')
	case 'r':
		return one('\r')
	case 'f':
		return one('\f')
	case 'v':
		return one('\v')
	case 'a':
		return one('\a')
	case 'e':
		return one(0x1b)
	case 'b':
		if inClass {
			return one('\b')
		}
	case '0':
		// \0, \0o, \0oo: octal
		v := 0
		for i := 0; i < 2 && !p.eof() && p.peek() >= '0' && p.peek() <= '7'; i++ {
			v = v*8 + int(p.next()-'0')
		}
		return one(rune(v))
	case 'x':
		if p.lookingAt("{") {
			end := strings.IndexByte(p.src[p.pos:], '}')
			if end < 0 {
				return classItem{}, p.errf("unterminated \\x{")
			}
			v, err := strconv.ParseUint(p.src[p.pos+1:p.pos+end], 16, 32)
			if err != nil || v > unicode.MaxRune {
				return classItem{}, p.errf("invalid code point in \\x{...}")
			}
			p.pos += end + 1
			return one(rune(v))
		}
		v := 0
		n := 0
		for n < 2 && !p.eof() && isHex(p.peek()) {
			v = v*16 + hexVal(p.next())
			n++
		}
		if n == 0 {
			return classItem{}, p.errf("invalid \\x escape")
		}
		return one(rune(v))
	case 'u':
		if len(p.src)-p.pos < 4 {
			return classItem{}, p.errf("invalid \\u escape")
		}
		v, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
		if err != nil {
			return classItem{}, p.errf("invalid \\u escape")
		}
		p.pos += 4
		return one(rune(v))
	case 's', 'S':
		return classItem{ranges: spaceRanges, neg: c == 'S'}, nil
	case 'd', 'D':
		return classItem{ranges: onigTables["Nd"], neg: c == 'D'}, nil
	case 'w', 'W':
		return classItem{ranges: wordRanges(), neg: c == 'W'}, nil
	case 'h', 'H':
		return classItem{ranges: []unicode.Range32{{'0', '9', 1}, {'A', 'F', 1}, {'a', 'f', 1}}, neg: c == 'H'}, nil
	case 'p', 'P':
		neg := c == 'P'
		if !p.lookingAt("{") {
			p.pos = start
			return classItem{}, p.errf("invalid \\%c: expected {", c)
		}
		end := strings.IndexByte(p.src[p.pos:], '}')
		if end < 0 {
			p.pos = start
			return classItem{}, p.errf("unterminated \\%c{", c)
		}
		name := p.src[p.pos+1 : p.pos+end]
		if strings.HasPrefix(name, "^") {
			neg = !neg
			name = name[1:]
		}
		rs, ok := property(name)
		if !ok {
			p.pos = start
			return classItem{}, p.errf("unsupported Unicode property \\p{%s}", name)
		}
		p.pos += end + 1
		return classItem{ranges: rs, neg: neg}, nil
	}
	if c >= '1' && c <= '9' && inClass {
		// \1..\7 in a class: octal in Oniguruma.
		v := int(c - '0')
		if c <= '7' {
			for i := 0; i < 2 && !p.eof() && p.peek() >= '0' && p.peek() <= '7'; i++ {
				v = v*8 + int(p.next()-'0')
			}
			return one(rune(v))
		}
	}
	if c < 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
		p.pos = start
		return classItem{}, p.errf("unsupported escape \\%c", c)
	}
	return one(c)
}

func isHex(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')
}

func hexVal(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	default:
		return int(r-'A') + 10
	}
}

// parseClass parses a bracket expression; p.pos is just past '['.
func (p *parser) parseClass(f flags) (*Class, error) {
	start := p.pos - 1
	b := newClassBuilder()
	neg := false
	if p.lookingAt("^") {
		p.next()
		neg = true
	}
	first := true
	for {
		if p.eof() {
			p.pos = start
			return nil, p.errf("missing ']'")
		}
		c := p.peek()
		if c == ']' && !first {
			p.next()
			break
		}
		first = false
		if c == '[' {
			if p.lookingAt("[:") {
				return nil, p.errf("unsupported: POSIX bracket expression")
			}
			return nil, p.errf("unsupported: nested character class")
		}
		if p.lookingAt("&&") {
			return nil, p.errf("unsupported: character class intersection")
		}
		item, err := p.classAtom()
		if err != nil {
			return nil, err
		}
		// A range a-b, unless '-' is last before ']'.
		if item.single && p.lookingAt("-") && !p.lookingAt("-]") && len(p.src) > p.pos+1 {
			save := p.pos
			p.next()
			if p.lookingAt("[") {
				p.pos = save
				b.addItem(item)
				continue
			}
			hi, err := p.classAtom()
			if err != nil {
				return nil, err
			}
			if !hi.single {
				return nil, p.errf("invalid range end in character class")
			}
			if hi.r < item.r {
				return nil, p.errf("empty range in character class")
			}
			b.addRange(item.r, hi.r)
			continue
		}
		b.addItem(item)
	}
	return b.build(neg, f.i), nil
}

func (p *parser) classAtom() (classItem, error) {
	c := p.next()
	if c == '\\' {
		return p.parseClassEscape(true)
	}
	return classItem{single: true, r: c}, nil
}
