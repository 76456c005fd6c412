package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer/internal/onigre"
)

// gpt2Pattern is the split pattern of the ByteLevel pre-tokenizer when its
// use_regex option is on.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

type behavior int

const (
	bRemoved behavior = iota
	bIsolated
	bMergedWithPrevious
	bMergedWithNext
	bContiguous
)

var behaviorNames = map[string]behavior{
	"Removed": bRemoved, "Isolated": bIsolated, "MergedWithPrevious": bMergedWithPrevious,
	"MergedWithNext": bMergedWithNext, "Contiguous": bContiguous,
}

// preStep is one pre-tokenizer: it splits each piece further.
type preStep interface {
	apply(pieces []string, out []string, sc *splitScratch) ([]string, error)
}

type preTokenizer struct {
	steps     []preStep
	byteLevel bool // the chain ends with a ByteLevel pre-tokenizer
}

type splitScratch struct {
	marks []mark
}

// mark is one slice of a piece and whether the pattern matched it.
type mark struct {
	start, end int
	match      bool
}

func (p *preTokenizer) run(text string, a, b []string, sc *splitScratch) ([]string, []string, error) {
	cur := append(a[:0], text)
	next := b
	for _, s := range p.steps {
		var err error
		next, err = s.apply(cur, next[:0], sc)
		if err != nil {
			return nil, nil, err
		}
		cur, next = next, cur
	}
	return cur, next, nil
}

func buildPreTokenizer(raw json.RawMessage, path string) (*preTokenizer, error) {
	p := &preTokenizer{}
	if isNull(raw) {
		return p, nil
	}
	if err := p.add(raw, path, true); err != nil {
		return nil, err
	}
	return p, nil
}

// add appends the steps of one pre-tokenizer; last says whether it is the
// last of the whole chain (where ByteLevel must be).
func (p *preTokenizer) add(raw json.RawMessage, path string, last bool) error {
	typ, err := typeOf(raw, path)
	if err != nil {
		return err
	}
	if p.byteLevel {
		return unsupportedAt(path, "pre-tokenizer %q after ByteLevel", typ)
	}
	switch typ {
	case "Sequence":
		var seq struct {
			Pretokenizers []json.RawMessage `json:"pretokenizers"`
		}
		if err := decodeAt(raw, path, &seq); err != nil {
			return err
		}
		for i, sub := range seq.Pretokenizers {
			if err := p.add(sub, fmt.Sprintf("%s.pretokenizers[%d]", path, i), last && i == len(seq.Pretokenizers)-1); err != nil {
				return err
			}
		}
		return nil
	case "Split":
		s, err := buildSplit(raw, path)
		if err != nil {
			return err
		}
		p.steps = append(p.steps, s)
		return nil
	case "Digits":
		var d struct {
			IndividualDigits bool `json:"individual_digits"`
		}
		if err := decodeAt(raw, path, &d); err != nil {
			return err
		}
		p.steps = append(p.steps, digitsStep{individual: d.IndividualDigits})
		return nil
	case "ByteLevel":
		var bl struct {
			AddPrefixSpace bool  `json:"add_prefix_space"`
			UseRegex       *bool `json:"use_regex"`
		}
		if err := decodeAt(raw, path, &bl); err != nil {
			return err
		}
		if !last {
			return unsupportedAt(path, "ByteLevel pre-tokenizer before other pre-tokenizers")
		}
		step := byteLevelStep{addPrefixSpace: bl.AddPrefixSpace}
		if bl.UseRegex == nil || *bl.UseRegex {
			re, err := onigre.Compile(gpt2Pattern)
			if err != nil {
				return errAt(path, "%v", err)
			}
			step.re = re
		}
		p.steps = append(p.steps, step)
		p.byteLevel = true
		return nil
	case "BertPreTokenizer", "Metaspace", "Whitespace", "WhitespaceSplit", "Punctuation",
		"CharDelimiterSplit", "UnicodeScripts", "FixedLength":
		return unsupportedAt(path+".type", "pre-tokenizer %q", typ)
	}
	return errAt(path+".type", "unknown pre-tokenizer %q (supported: %s)", typ, nameList("Sequence", "Split", "Digits", "ByteLevel"))
}

type splitStep struct {
	re       *onigre.Regexp
	behavior behavior
	invert   bool
}

func buildSplit(raw json.RawMessage, path string) (splitStep, error) {
	var j struct {
		Pattern *struct {
			String *string `json:"String"`
			Regex  *string `json:"Regex"`
		} `json:"pattern"`
		Behavior *string `json:"behavior"`
		Invert   bool    `json:"invert"`
	}
	if err := decodeAt(raw, path, &j); err != nil {
		return splitStep{}, err
	}
	if j.Pattern == nil || (j.Pattern.String == nil) == (j.Pattern.Regex == nil) {
		return splitStep{}, errAt(path+".pattern", `expected {"String": ...} or {"Regex": ...}`)
	}
	if j.Behavior == nil {
		return splitStep{}, errAt(path+".behavior", "missing")
	}
	b, ok := behaviorNames[*j.Behavior]
	if !ok {
		return splitStep{}, errAt(path+".behavior", "unknown behavior %q (expected one of %s)", *j.Behavior,
			nameList("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"))
	}
	var src string
	var at string
	if j.Pattern.Regex != nil {
		src, at = *j.Pattern.Regex, path+".pattern.Regex"
	} else {
		src, at = quoteMeta(*j.Pattern.String), path+".pattern.String"
	}
	re, err := onigre.Compile(src)
	if err != nil {
		if strings.Contains(err.Error(), "unsupported") {
			return splitStep{}, &fieldError{path: at, msg: err.Error(), wrap: ErrUnsupported}
		}
		return splitStep{}, errAt(at, "%v", err)
	}
	return splitStep{re: re, behavior: b, invert: j.Invert}, nil
}

// quoteMeta escapes a literal for the regex engine (Hugging Face compiles
// a String pattern as an escaped regex too).
func quoteMeta(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && !(r >= '0' && r <= '9') && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s splitStep) apply(pieces []string, out []string, sc *splitScratch) ([]string, error) {
	for _, piece := range pieces {
		marks := sc.marks[:0]
		if piece == "" {
			marks = append(marks, mark{0, 0, false})
		} else {
			prev := 0
			err := s.re.FindAll(piece, func(a, b int) {
				if prev != a {
					marks = append(marks, mark{prev, a, false})
				}
				marks = append(marks, mark{a, b, true})
				prev = b
			})
			if err != nil {
				return nil, err
			}
			if prev != len(piece) {
				marks = append(marks, mark{prev, len(piece), false})
			}
		}
		if s.invert {
			for i := range marks {
				marks[i].match = !marks[i].match
			}
		}
		sc.marks = marks
		out = applyBehavior(piece, marks, s.behavior, out)
	}
	return out, nil
}

// applyBehavior turns the marks of one piece into pieces, following
// Hugging Face's NormalizedString::split; empty pieces are dropped.
func applyBehavior(piece string, marks []mark, b behavior, out []string) []string {
	emit := func(s, e int) {
		if e > s {
			out = append(out, piece[s:e])
		}
	}
	switch b {
	case bIsolated:
		for _, m := range marks {
			emit(m.start, m.end)
		}
	case bRemoved:
		for _, m := range marks {
			if !m.match {
				emit(m.start, m.end)
			}
		}
	case bContiguous, bMergedWithPrevious:
		// Build spans, extending the last one when the rule says so.
		var spans [][2]int
		prevMatch := false
		for _, m := range marks {
			extend := false
			if b == bContiguous {
				extend = m.match == prevMatch
			} else {
				extend = m.match && !prevMatch
			}
			if extend && len(spans) > 0 {
				spans[len(spans)-1][1] = m.end
			} else {
				spans = append(spans, [2]int{m.start, m.end})
			}
			prevMatch = m.match
		}
		for _, sp := range spans {
			emit(sp[0], sp[1])
		}
	case bMergedWithNext:
		var spans [][2]int // built backwards
		prevMatch := false
		for i := len(marks) - 1; i >= 0; i-- {
			m := marks[i]
			if m.match && !prevMatch && len(spans) > 0 {
				spans[len(spans)-1][0] = m.start
			} else {
				spans = append(spans, [2]int{m.start, m.end})
			}
			prevMatch = m.match
		}
		for i := len(spans) - 1; i >= 0; i-- {
			emit(spans[i][0], spans[i][1])
		}
	}
	return out
}

type digitsStep struct{ individual bool }

// numericClass is Rust's char::is_numeric: the Nd, Nl and No categories
// (from the Unicode 16 tables the regex engine uses).
var numericClass = mustClass("N")

func mustClass(names ...string) *onigre.Class {
	c, err := onigre.NewClass(names...)
	if err != nil {
		panic(err)
	}
	return c
}

func isNumeric(r rune) bool { return numericClass.Contains(r) }

func (d digitsStep) apply(pieces []string, out []string, sc *splitScratch) ([]string, error) {
	for _, piece := range pieces {
		marks := sc.marks[:0]
		if piece == "" {
			marks = append(marks, mark{0, 0, false})
		} else {
			last := 0
			for i, r := range piece {
				if isNumeric(r) {
					if last < i {
						marks = append(marks, mark{last, i, false})
					}
					n := i + len(string(r))
					marks = append(marks, mark{i, n, true})
					last = n
				}
			}
			if last < len(piece) {
				marks = append(marks, mark{last, len(piece), false})
			}
		}
		sc.marks = marks
		b := bContiguous
		if d.individual {
			b = bIsolated
		}
		out = applyBehavior(piece, marks, b, out)
	}
	return out, nil
}

type byteLevelStep struct {
	addPrefixSpace bool
	re             *onigre.Regexp // nil when use_regex is off
}

func (s byteLevelStep) apply(pieces []string, out []string, sc *splitScratch) ([]string, error) {
	if !s.addPrefixSpace && s.re == nil {
		return append(out, pieces...), nil
	}
	for _, piece := range pieces {
		if s.addPrefixSpace && !strings.HasPrefix(piece, " ") {
			piece = " " + piece
		}
		if s.re == nil {
			out = append(out, piece)
			continue
		}
		var err error
		out, err = splitStep{re: s.re, behavior: bIsolated}.apply([]string{piece}, out, sc)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
