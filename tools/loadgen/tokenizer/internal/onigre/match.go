package onigre

import (
	"errors"
	"unicode"
	"unicode/utf8"
)

// ErrBacktrackLimit is returned when one search backtracks more than the
// limit: a pathological pattern/input pair, reported instead of hanging.
// Oniguruma has the same kind of limit (its retry limit in match).
var ErrBacktrackLimit = errors.New("regex backtracking limit exceeded")

// backtrackLimit bounds the work of one match attempt.
const backtrackLimit = 10_000_000

// Regexp is a compiled pattern. It is safe for concurrent use.
type Regexp struct {
	pattern string
	start   node
	nLoops  int
	// first holds every rune a match can start with, when the pattern
	// cannot match the empty string; nil when any position may match.
	first *Class
}

// Compile parses pattern (Oniguruma Ruby syntax) and returns a matcher.
func Compile(pattern string) (*Regexp, error) {
	a, err := parse(pattern)
	if err != nil {
		return nil, err
	}
	c := &compiler{}
	start := c.compile(a, acceptNode{})
	re := &Regexp{pattern: pattern, start: start, nLoops: c.nLoops}
	if fs := firstSet(a); !fs.nullable && !fs.any {
		b := newClassBuilder()
		b.ranges = fs.ranges
		re.first = b.build(false, false)
	}
	return re, nil
}

// String returns the source pattern.
func (re *Regexp) String() string { return re.pattern }

type machine struct {
	s       string
	end     int
	loopCnt []int
	loopPos []int
	steps   int
	aborted bool
}

func (m *machine) step() bool {
	m.steps++
	if m.steps > backtrackLimit {
		m.aborted = true
	}
	return !m.aborted
}

// FindAll calls fn for every successive non-overlapping match in s, with
// the semantics of Rust's onig::Regex::find_iter, which Hugging Face uses:
// searches resume at the end of the previous match, and an empty match
// right where the previous match ended is skipped by one character.
func (re *Regexp) FindAll(s string, fn func(start, end int)) error {
	m := &machine{s: s}
	if re.nLoops > 0 {
		m.loopCnt = make([]int, re.nLoops)
		m.loopPos = make([]int, re.nLoops)
	}
	lastEnd := 0
	lastMatchEnd := -1
	for lastEnd <= len(s) {
		st, en, ok, err := re.search(m, lastEnd)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if st == en && lastMatchEnd == en {
			if lastEnd >= len(s) {
				return nil
			}
			_, n := utf8.DecodeRuneInString(s[lastEnd:])
			lastEnd += n
			continue
		}
		lastEnd = en
		lastMatchEnd = en
		fn(st, en)
	}
	return nil
}

// MatchAt reports the end of a match starting exactly at i, or -1.
func (re *Regexp) MatchAt(s string, i int) (int, error) {
	m := &machine{s: s}
	if re.nLoops > 0 {
		m.loopCnt = make([]int, re.nLoops)
		m.loopPos = make([]int, re.nLoops)
	}
	m.end = -1
	m.steps = 0
	re.start.match(m, i)
	if m.aborted {
		return -1, ErrBacktrackLimit
	}
	return m.end, nil
}

// search finds the leftmost match starting at or after from.
func (re *Regexp) search(m *machine, from int) (int, int, bool, error) {
	s := m.s
	for i := from; i <= len(s); {
		var size int
		if i < len(s) {
			c := s[i]
			if c < utf8.RuneSelf {
				size = 1
				if re.first != nil && re.first.bmp[c>>6]&(1<<(c&63)) == 0 {
					i++
					continue
				}
			} else {
				var r rune
				r, size = utf8.DecodeRuneInString(s[i:])
				if re.first != nil && !re.first.Contains(r) {
					i += size
					continue
				}
			}
		} else if re.first != nil {
			break
		}
		m.end = -1
		m.steps = 0
		if re.start.match(m, i) {
			return i, m.end, true, nil
		}
		if m.aborted {
			return 0, 0, false, ErrBacktrackLimit
		}
		if i == len(s) {
			break
		}
		i += size
	}
	return 0, 0, false, nil
}

// ---- nodes ----

// A node matches at position i and then calls its continuation; it
// returns true when the whole pattern (or look-around body) matched.
type node interface {
	match(m *machine, i int) bool
}

// single is a node that matches exactly one rune, usable in fast loops.
type single interface {
	node
	// step returns the index after the rune at i if it matches, else -1.
	step(s string, i int) int
}

type acceptNode struct{}

func (acceptNode) match(m *machine, i int) bool { m.end = i; return true }

// subAccept ends a look-ahead or atomic body, recording where it ended.
type subAccept struct{}

func (subAccept) match(m *machine, i int) bool { m.end = i; return true }

type litNode struct {
	r    rune
	next node
}

func (n *litNode) step(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	if n.r < utf8.RuneSelf {
		if s[i] == byte(n.r) {
			return i + 1
		}
		return -1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == n.r {
		return i + size
	}
	return -1
}

func (n *litNode) match(m *machine, i int) bool {
	j := n.step(m.s, i)
	return j >= 0 && n.next.match(m, j)
}

type foldNode struct {
	rs   []rune // the case-fold orbit
	next node
}

func (n *foldNode) step(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	for _, x := range n.rs {
		if x == r {
			return i + size
		}
	}
	return -1
}

func (n *foldNode) match(m *machine, i int) bool {
	j := n.step(m.s, i)
	return j >= 0 && n.next.match(m, j)
}

type classNode struct {
	c    *Class
	next node
}

func (n *classNode) step(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	if c := s[i]; c < utf8.RuneSelf {
		if n.c.bmp[c>>6]&(1<<(c&63)) != 0 {
			return i + 1
		}
		return -1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if n.c.Contains(r) {
		return i + size
	}
	return -1
}

func (n *classNode) match(m *machine, i int) bool {
	j := n.step(m.s, i)
	return j >= 0 && n.next.match(m, j)
}

type anyNode struct {
	nl   bool
	next node
}

func (n *anyNode) step(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	if s[i] == '\n' && !n.nl {
		return -1
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return i + size
}

func (n *anyNode) match(m *machine, i int) bool {
	j := n.step(m.s, i)
	return j >= 0 && n.next.match(m, j)
}

type altNode struct {
	alts []node
}

func (n *altNode) match(m *machine, i int) bool {
	for _, a := range n.alts {
		if !m.step() {
			return false
		}
		if a.match(m, i) {
			return true
		}
		if m.aborted {
			return false
		}
	}
	return false
}

type lookNode struct {
	sub  node
	neg  bool
	next node
}

func (n *lookNode) match(m *machine, i int) bool {
	saved := m.end
	ok := n.sub.match(m, i)
	m.end = saved
	if m.aborted {
		return false
	}
	if ok == n.neg {
		return false
	}
	return n.next.match(m, i)
}

type atomicNode struct {
	sub  node
	next node
}

func (n *atomicNode) match(m *machine, i int) bool {
	saved := m.end
	if !n.sub.match(m, i) {
		m.end = saved
		return false
	}
	j := m.end
	m.end = saved
	return n.next.match(m, j)
}

type assertNode struct {
	k    assertKind
	next node
}

func isWordAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

func isWordBefore(s string, i int) bool {
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(r)
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
	}
	return inRanges(onigTables["Word"], r)
}

func (n *assertNode) match(m *machine, i int) bool {
	s := m.s
	ok := false
	switch n.k {
	case aLineStart:
		ok = i == 0 || s[i-1] == '\n'
	case aLineEnd:
		ok = i == len(s) || s[i] == '\n'
	case aTextStart:
		ok = i == 0
	case aTextEnd:
		ok = i == len(s)
	case aTextEndNewline:
		ok = i == len(s) || (i == len(s)-1 && s[i] == '\n')
	case aWordBoundary:
		ok = isWordBefore(s, i) != isWordAt(s, i)
	case aNotWordBoundary:
		ok = isWordBefore(s, i) == isWordAt(s, i)
	}
	return ok && n.next.match(m, i)
}

// repSingle repeats a one-rune atom: the common case (`\s+`, `\p{L}*`),
// matched with a loop instead of recursion.
type repSingle struct {
	atom     single
	min, max int // max < 0: unbounded
	lazy     bool
	poss     bool
	next     node
}

func (n *repSingle) match(m *machine, i int) bool {
	s := m.s
	// Mandatory part.
	for k := 0; k < n.min; k++ {
		i = n.atom.step(s, i)
		if i < 0 {
			return false
		}
	}
	if n.lazy {
		for count := n.min; ; count++ {
			if !m.step() {
				return false
			}
			if n.next.match(m, i) {
				return true
			}
			if m.aborted || (n.max >= 0 && count >= n.max) {
				return false
			}
			i = n.atom.step(s, i)
			if i < 0 {
				return false
			}
		}
	}
	start := i
	count := n.min
	for n.max < 0 || count < n.max {
		j := n.atom.step(s, i)
		if j < 0 {
			break
		}
		i = j
		count++
	}
	if n.poss {
		return n.next.match(m, i)
	}
	for {
		if !m.step() {
			return false
		}
		if n.next.match(m, i) {
			return true
		}
		if m.aborted || i == start {
			return false
		}
		// One rune back: the atom matched whole runes, so the previous
		// rune boundary is where the last iteration started.
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
}

// loopNode repeats a general body. The body's continuation is a loopTail
// that comes back to iter; counts live in the machine, saved and restored
// around each attempt so that backtracking sees consistent state.
type loopNode struct {
	body     node
	min, max int
	lazy     bool
	id       int
	next     node
}

type loopTail struct{ l *loopNode }

func (t loopTail) match(m *machine, i int) bool { return t.l.iter(m, i) }

func (n *loopNode) match(m *machine, i int) bool {
	sc, sp := m.loopCnt[n.id], m.loopPos[n.id]
	m.loopCnt[n.id] = 0
	m.loopPos[n.id] = -1
	ok := n.iter(m, i)
	m.loopCnt[n.id], m.loopPos[n.id] = sc, sp
	return ok
}

// iter is called at the start of the loop and after each iteration of the
// body, with the count of iterations done so far.
func (n *loopNode) iter(m *machine, i int) bool {
	if !m.step() {
		return false
	}
	c, p := m.loopCnt[n.id], m.loopPos[n.id]
	// An iteration that matched nothing cannot make progress: stop looping.
	empty := c > 0 && p == i
	tryBody := func() bool {
		m.loopCnt[n.id], m.loopPos[n.id] = c+1, i
		ok := n.body.match(m, i)
		m.loopCnt[n.id], m.loopPos[n.id] = c, p
		return ok
	}
	if c < n.min && !empty {
		return tryBody()
	}
	canLoop := !empty && (n.max < 0 || c < n.max)
	if n.lazy {
		if n.next.match(m, i) {
			return true
		}
		if m.aborted || !canLoop {
			return false
		}
		return tryBody()
	}
	if canLoop {
		if tryBody() {
			return true
		}
		if m.aborted {
			return false
		}
	}
	return n.next.match(m, i)
}

// ---- compiler ----

type compiler struct {
	nLoops int
}

// compile turns a into a node whose continuation is next.
func (c *compiler) compile(a *ast, next node) node {
	switch a.kind {
	case kEmpty:
		return next
	case kLit, kClass, kAny:
		return c.single(a, next)
	case kSeq:
		for i := len(a.subs) - 1; i >= 0; i-- {
			next = c.compile(a.subs[i], next)
		}
		return next
	case kAlt:
		alts := make([]node, len(a.subs))
		for i, s := range a.subs {
			alts[i] = c.compile(s, next)
		}
		return &altNode{alts: alts}
	case kLook:
		return &lookNode{sub: c.compile(a.subs[0], subAccept{}), neg: a.neg, next: next}
	case kAtomic:
		return &atomicNode{sub: c.compile(a.subs[0], subAccept{}), next: next}
	case kAssert:
		return &assertNode{k: a.assert, next: next}
	case kRepeat:
		return c.repeat(a, next)
	}
	panic("onigre: unknown ast kind")
}

func (c *compiler) single(a *ast, next node) single {
	switch a.kind {
	case kLit:
		if a.fold {
			orbit := []rune{a.r}
			for f := unicode.SimpleFold(a.r); f != a.r; f = unicode.SimpleFold(f) {
				orbit = append(orbit, f)
			}
			return &foldNode{rs: orbit, next: next}
		}
		return &litNode{r: a.r, next: next}
	case kClass:
		return &classNode{c: a.cls, next: next}
	default:
		return &anyNode{nl: a.dotNL, next: next}
	}
}

func (c *compiler) repeat(a *ast, next node) node {
	sub := a.subs[0]
	if a.max == 0 {
		return next
	}
	if a.min == 1 && a.max == 1 {
		return c.compile(sub, next)
	}
	if sub.kind == kLit || sub.kind == kClass || sub.kind == kAny {
		return &repSingle{atom: c.single(sub, nil), min: a.min, max: a.max, lazy: a.lazy, poss: a.poss, next: next}
	}
	if a.poss {
		// Possessive = atomic group around the greedy repetition.
		inner := &ast{kind: kRepeat, subs: a.subs, min: a.min, max: a.max}
		return &atomicNode{sub: c.repeat(inner, subAccept{}), next: next}
	}
	l := &loopNode{min: a.min, max: a.max, lazy: a.lazy, id: c.nLoops, next: next}
	c.nLoops++
	l.body = c.compile(sub, loopTail{l})
	return l
}

// ---- first-rune analysis ----

type first struct {
	ranges   []unicode.Range32
	any      bool // could start with any rune
	nullable bool // can match the empty string
}

func firstSet(a *ast) first {
	switch a.kind {
	case kEmpty, kAssert, kLook:
		// Zero-width: contributes nothing and lets what follows start.
		return first{nullable: true}
	case kLit:
		rs := []unicode.Range32{{Lo: uint32(a.r), Hi: uint32(a.r), Stride: 1}}
		if a.fold {
			for f := unicode.SimpleFold(a.r); f != a.r; f = unicode.SimpleFold(f) {
				rs = append(rs, unicode.Range32{Lo: uint32(f), Hi: uint32(f), Stride: 1})
			}
		}
		return first{ranges: rs}
	case kClass:
		return first{ranges: classRanges(a.cls)}
	case kAny:
		return first{any: true}
	case kSeq:
		var out first
		for _, s := range a.subs {
			f := firstSet(s)
			out.ranges = append(out.ranges, f.ranges...)
			out.any = out.any || f.any
			if !f.nullable {
				return out
			}
		}
		out.nullable = true
		return out
	case kAlt:
		var out first
		for _, s := range a.subs {
			f := firstSet(s)
			out.ranges = append(out.ranges, f.ranges...)
			out.any = out.any || f.any
			out.nullable = out.nullable || f.nullable
		}
		return out
	case kAtomic:
		return firstSet(a.subs[0])
	case kRepeat:
		f := firstSet(a.subs[0])
		if a.min == 0 {
			f.nullable = true
		}
		return f
	}
	return first{any: true, nullable: true}
}

// classRanges returns a class's ranges (used only at compile time).
func classRanges(c *Class) []unicode.Range32 { return c.ranges }
