package yamldoc

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The fast reader. The YAML library builds a node tree at about 10 MB/s,
// which made parsing most of what matrixgen spends on upstream's master
// configs (a third of a megabyte). Those files use a small part of YAML:
// block mappings and sequences, flow collections on one or a few lines,
// plain and simply quoted scalars, comments. fastParse reads exactly that
// part straight into generic values and a tree of positions, and gives up
// (Parse then uses the library) at the first thing outside it or anything
// that might be an error, so that every problem is still reported by the
// library's parse. Scalars are resolved by the library's own rules (a
// scalar node's ShortTag), and FuzzFastMatchesLibrary holds the values,
// key order and positions to the library's on any input.

// posNode is where a value and its key are, and for a mapping the order of
// its keys.
type posNode struct {
	pos    Pos
	keyPos Pos
	keys   []string
	kids   map[string]*posNode
	items  []*posNode
}

// fastLine is one line holding YAML: its number, indentation and text
// (after the indentation).
type fastLine struct {
	num    int
	indent int
	text   string
	ascii  bool
}

// column is the library's 1-based column of a byte column of line i: it
// counts characters.
func (p *fastParser) column(i, byteCol int) int {
	l := p.lines[i]
	if l.ascii || byteCol <= l.indent {
		return byteCol + 1
	}
	end := min(byteCol-l.indent, len(l.text))
	return l.indent + utf8.RuneCountInString(l.text[:end]) + 1
}

type fastParser struct {
	conv  converter
	lines []fastLine
	i     int // the current line
	// off is how far into the current line's text the parser has read,
	// when a sequence item's content starts on its dash's line.
	off   int
	nodes int
}

// fastParse reads data, or says it cannot (ok false) and leaves it to the
// library.
func fastParse(file string, data []byte) (root any, pos *posNode, ok bool) {
	if len(data) == 0 || !printable(data) {
		return nil, nil, false
	}
	p := &fastParser{conv: converter{file: file}}
	num := 0
	for rest := data; len(rest) > 0; {
		num++
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		text := strings.TrimLeft(string(line), " ")
		if text == "" || text[0] == '#' {
			continue
		}
		if strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...") || text[0] == '%' {
			return nil, nil, false
		}
		text = strings.TrimRight(text, " ")
		ascii := true
		for i := 0; i < len(text); i++ {
			if text[i] >= 0x80 {
				ascii = false
				break
			}
		}
		p.lines = append(p.lines, fastLine{num: num, indent: len(line) - len(strings.TrimLeft(string(line), " ")), text: text, ascii: ascii})
	}
	if len(p.lines) == 0 || p.lines[0].indent != 0 {
		return nil, nil, false
	}
	v, node, ok := p.block(0, 0)
	if !ok || p.i != len(p.lines) {
		return nil, nil, false
	}
	return v, node, true
}

// printable tells whether data is UTF-8 of characters the library reads
// without question: line feeds and the printable characters of its rules
// (no tabs, no other controls, no byte order mark, nothing above U+FFFD).
func printable(data []byte) bool {
	for i := 0; i < len(data); {
		c := data[i]
		if c == '\n' || c >= 0x20 && c <= 0x7e {
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError || !(r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd && r != 0xfeff) {
			return false
		}
		i += size
	}
	return true
}

// cur is the text of the current line from where the parser is, and its
// column (0-based).
func (p *fastParser) cur() (string, int) {
	l := p.lines[p.i]
	return l.text[p.off:], l.indent + p.off
}

func (p *fastParser) advance() {
	p.i++
	p.off = 0
}

// block reads the block node that starts at the current position, whose
// column must be at least minCol.
func (p *fastParser) block(minCol, depth int) (any, *posNode, bool) {
	if p.i >= len(p.lines) || depth > maxDepth {
		return nil, nil, false
	}
	p.nodes++
	if p.nodes > maxNodes {
		return nil, nil, false
	}
	text, col := p.cur()
	if col < minCol {
		return nil, nil, false
	}
	if text == "-" || strings.HasPrefix(text, "- ") {
		return p.sequence(col, depth)
	}
	if _, _, ok := splitKey(text); ok {
		return p.mapping(col, depth)
	}
	return nil, nil, false
}

// splitKey reads "key: rest" (or "key:"): a plain or quoted key.
func splitKey(text string) (key, rest string, ok bool) {
	if text == "" {
		return "", "", false
	}
	if text[0] == '"' || text[0] == '\'' {
		s, n, ok := quoted(text)
		if !ok || n > 1000 || n >= len(text) || text[n] != ':' || n+1 < len(text) && text[n+1] != ' ' {
			return "", "", false
		}
		return s, strings.TrimLeft(text[n+1:], " "), true
	}
	if strings.ContainsRune("-?:,[]{}#&*!|>'\"%@`", rune(text[0])) {
		return "", "", false
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case ':':
			if i+1 == len(text) || text[i+1] == ' ' {
				// YAML limits a simple key to 1024 characters.
				if i > 1000 {
					return "", "", false
				}
				return strings.TrimRight(text[:i], " "), strings.TrimLeft(text[i+1:], " "), true
			}
		case '#':
			if text[i-1] == ' ' {
				return "", "", false
			}
		}
	}
	return "", "", false
}

// quoted reads a quoted scalar at the start of text (one line, no escapes
// in a double-quoted one) and returns its value and length.
func quoted(text string) (string, int, bool) {
	q := text[0]
	var b strings.Builder
	for i := 1; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\\' && q == '"':
			return "", 0, false
		case c == q && q == '\'' && i+1 < len(text) && text[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == q:
			return b.String(), i + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// restIsEmpty tells whether what follows a value on its line is nothing or
// a comment.
func restIsEmpty(rest string) bool {
	t := strings.TrimLeft(rest, " ")
	return t == "" || t[0] == '#' && len(t) < len(rest)
}

func (p *fastParser) mapping(col, depth int) (any, *posNode, bool) {
	out := map[string]any{}
	node := &posNode{kids: map[string]*posNode{}}
	first := true
	for p.i < len(p.lines) {
		text, c := p.cur()
		if c != col {
			if c > col {
				return nil, nil, false
			}
			break
		}
		key, rest, ok := splitKey(text)
		if !ok {
			if first {
				return nil, nil, false
			}
			break
		}
		keyPos := Pos{p.lines[p.i].num, p.column(p.i, c)}
		if first {
			node.pos = keyPos
			first = false
		}
		if text[0] != '"' && text[0] != '\'' {
			if key == "<<" || key == "" || (&yaml.Node{Kind: yaml.ScalarNode, Value: key}).ShortTag() != "!!str" {
				return nil, nil, false
			}
		}
		if _, dup := out[key]; dup {
			return nil, nil, false
		}
		valCol := c + len(text) - len(rest)
		var v any
		var kid *posNode
		if rest == "" || rest[0] == '#' {
			p.advance()
			if p.i >= len(p.lines) {
				return nil, nil, false
			}
			next, nc := p.cur()
			switch {
			case nc > col:
				v, kid, ok = p.block(nc, depth+1)
			case nc == col && (next == "-" || strings.HasPrefix(next, "- ")):
				v, kid, ok = p.sequence(col, depth+1)
			default:
				ok = false // a null value: the library places it
			}
		} else {
			v, kid, ok = p.inline(rest, valCol, col, depth+1)
		}
		if !ok {
			return nil, nil, false
		}
		kid.keyPos = keyPos
		out[key] = v
		node.keys = append(node.keys, key)
		node.kids[key] = kid
	}
	return out, node, true
}

func (p *fastParser) sequence(col, depth int) (any, *posNode, bool) {
	out := []any{}
	node := &posNode{}
	for p.i < len(p.lines) {
		text, c := p.cur()
		if c != col || !(text == "-" || strings.HasPrefix(text, "- ")) {
			if c > col {
				return nil, nil, false
			}
			break
		}
		if len(out) == 0 {
			node.pos = Pos{p.lines[p.i].num, p.column(p.i, c)}
		}
		rest := strings.TrimLeft(text[1:], " ")
		var v any
		var kid *posNode
		var ok bool
		switch {
		case rest == "" || rest[0] == '#':
			p.advance()
			if p.i >= len(p.lines) {
				return nil, nil, false
			}
			if _, nc := p.cur(); nc > col {
				v, kid, ok = p.block(nc, depth+1)
			}
		case rest == "-" || strings.HasPrefix(rest, "- "):
			p.off += len(text) - len(rest)
			v, kid, ok = p.block(col+len(text)-len(rest), depth+1)
		default:
			if _, _, isKey := splitKey(rest); isKey && rest[0] != '[' && rest[0] != '{' {
				p.off += len(text) - len(rest)
				v, kid, ok = p.block(col+len(text)-len(rest), depth+1)
			} else {
				v, kid, ok = p.inline(rest, c+len(text)-len(rest), col, depth+1)
			}
		}
		if !ok {
			return nil, nil, false
		}
		out = append(out, v)
		node.items = append(node.items, kid)
	}
	return out, node, true
}

// inline reads a value that starts on the current line at column valCol
// (text from there): a flow collection, a quoted or a plain scalar. It
// leaves the parser on the next line. parentCol is the column of the
// mapping key or sequence dash it belongs to.
func (p *fastParser) inline(text string, valCol, parentCol, depth int) (any, *posNode, bool) {
	p.nodes++
	pos := Pos{p.lines[p.i].num, p.column(p.i, valCol)}
	switch text[0] {
	case '[', '{':
		return p.flow(valCol, parentCol, depth)
	case '"', '\'':
		s, n, ok := quoted(text)
		if !ok || !restIsEmpty(text[n:]) {
			return nil, nil, false
		}
		style := yaml.DoubleQuotedStyle
		if text[0] == '\'' {
			style = yaml.SingleQuotedStyle
		}
		p.advance()
		return p.scalar(s, style, pos)
	}
	if strings.ContainsRune("-?:,]}#&*!|>%@`", rune(text[0])) && !(text[0] == '-' && len(text) > 1 && text[1] != ' ') {
		return nil, nil, false
	}
	v := text
	if i := strings.Index(text, " #"); i >= 0 {
		v = strings.TrimRight(text[:i], " ")
	}
	if strings.Contains(v, ": ") || strings.HasSuffix(v, ":") {
		return nil, nil, false
	}
	// A deeper line next would continue a multi-line plain scalar: the
	// enclosing mapping or sequence gives up on it.
	p.advance()
	return p.scalar(v, 0, pos)
}

func (p *fastParser) scalar(v string, style yaml.Style, pos Pos) (any, *posNode, bool) {
	if style == 0 && v == "<<" {
		return nil, nil, false // a merge key where a value is
	}
	out, err := p.conv.scalar(&yaml.Node{Kind: yaml.ScalarNode, Style: style, Value: v, Line: pos.Line, Column: pos.Col})
	if err != nil {
		return nil, nil, false
	}
	return out, &posNode{pos: pos}, true
}

// flowScanner reads a flow collection, which may run over several lines.
type flowScanner struct {
	p         *fastParser
	line      int // index into p.lines
	col       int // column in the line (0-based)
	parentCol int // continuation lines must be indented more than this
}

func (s *flowScanner) text() string {
	l := s.p.lines[s.line]
	if s.col-l.indent >= len(l.text) {
		return ""
	}
	return l.text[s.col-l.indent:]
}

// skip passes spaces, comments and line ends; false at the end of input.
func (s *flowScanner) skip() bool {
	for s.line < len(s.p.lines) {
		t := s.text()
		trimmed := strings.TrimLeft(t, " ")
		s.col += len(t) - len(trimmed)
		if trimmed == "" || trimmed[0] == '#' && len(trimmed) < len(t) {
			s.line++
			if s.line < len(s.p.lines) {
				if s.p.lines[s.line].indent <= s.parentCol {
					return false
				}
				s.col = s.p.lines[s.line].indent
			}
			continue
		}
		if trimmed[0] == '#' {
			return false // a comment right after a value: let the library judge
		}
		return true
	}
	return false
}

func (s *flowScanner) pos() Pos { return Pos{s.p.lines[s.line].num, s.p.column(s.line, s.col)} }

func (p *fastParser) flow(col, parentCol, depth int) (any, *posNode, bool) {
	s := &flowScanner{p: p, line: p.i, col: col, parentCol: parentCol}
	v, node, ok := s.node(depth)
	// The collection must end its line.
	if !ok || !restIsEmpty(s.text()) {
		return nil, nil, false
	}
	p.i, p.off = s.line+1, 0
	return v, node, true
}

// node reads one flow node at the scanner.
func (s *flowScanner) node(depth int) (any, *posNode, bool) {
	if depth > maxDepth {
		return nil, nil, false
	}
	s.p.nodes++
	if s.p.nodes > maxNodes || !s.skip() {
		return nil, nil, false
	}
	t, pos := s.text(), s.pos()
	switch t[0] {
	case '[':
		s.col++
		out := []any{}
		node := &posNode{pos: pos}
		for {
			if !s.skip() {
				return nil, nil, false
			}
			if s.text()[0] == ']' {
				s.col++
				return out, node, true
			}
			v, kid, ok := s.node(depth + 1)
			if !ok || !s.skip() {
				return nil, nil, false
			}
			out = append(out, v)
			node.items = append(node.items, kid)
			switch s.text()[0] {
			case ',':
				s.col++
			case ']':
			default:
				return nil, nil, false
			}
		}
	case '{':
		s.col++
		out := map[string]any{}
		node := &posNode{pos: pos, kids: map[string]*posNode{}}
		for {
			if !s.skip() {
				return nil, nil, false
			}
			if s.text()[0] == '}' {
				s.col++
				return out, node, true
			}
			keyPos, keyLine, keyCol := s.pos(), s.line, s.col
			k, kid, ok := s.node(depth + 1)
			// YAML limits a simple key to one line of 1024 characters.
			if s.line != keyLine || s.col-keyCol > 1000 {
				return nil, nil, false
			}
			key, isStr := k.(string)
			if !ok || !isStr || len(kid.items) > 0 || kid.kids != nil || !s.skip() {
				return nil, nil, false
			}
			if rest := s.text(); len(rest) < 2 || rest[0] != ':' || rest[1] != ' ' {
				return nil, nil, false
			}
			s.col++
			if _, dup := out[key]; dup || key == "<<" {
				return nil, nil, false
			}
			v, vkid, ok := s.node(depth + 1)
			if !ok || !s.skip() {
				return nil, nil, false
			}
			vkid.keyPos = keyPos
			out[key] = v
			node.keys = append(node.keys, key)
			node.kids[key] = vkid
			switch s.text()[0] {
			case ',':
				s.col++
			case '}':
			default:
				return nil, nil, false
			}
		}
	case '"', '\'':
		str, n, ok := quoted(t)
		if !ok {
			return nil, nil, false
		}
		s.col += n
		style := yaml.DoubleQuotedStyle
		if t[0] == '\'' {
			style = yaml.SingleQuotedStyle
		}
		return s.p.scalar(str, style, pos)
	}
	if strings.ContainsRune("-?:,]}#&*!|>%@`", rune(t[0])) && !(t[0] == '-' && len(t) > 1 && t[1] != ' ' && t[1] != ',' && t[1] != ']' && t[1] != '}') {
		return nil, nil, false
	}
	// A plain scalar ends at a flow indicator, ": " or " #"; one that holds
	// ':' otherwise is left to the library.
	end := len(t)
	for i := 0; i < len(t); i++ {
		if c := t[i]; c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == ':' || c == '#' && i > 0 && t[i-1] == ' ' {
			end = i
			break
		}
	}
	v := strings.TrimRight(t[:end], " ")
	if end < len(t) && t[end] == ':' && (end+1 >= len(t) || t[end+1] != ' ') {
		return nil, nil, false
	}
	if v == "" {
		return nil, nil, false
	}
	s.col += len(v)
	return s.p.scalar(v, 0, pos)
}

// fastWalk finds the position node at ptr: the deepest one reached, its
// key's position, and whether the whole pointer was found.
func (d *Doc) fastWalk(ptr string) (n *posNode, found bool) {
	n = d.pos
	if ptr == "" {
		return n, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		var next *posNode
		if n.kids != nil {
			next = n.kids[tok]
		} else if n.items != nil {
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.items) {
				next = n.items[i]
			}
		}
		if next == nil {
			return n, false
		}
		n = next
	}
	return n, true
}
