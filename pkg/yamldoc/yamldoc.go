// Package yamldoc reads a YAML document into the generic values that JSON
// Schema validation works on (map[string]any, []any, string, int64,
// float64, bool, nil) while remembering the line and column of every key and
// value, so that a violation found later can be reported where it is.
//
// It is stricter than YAML allows on purpose: mapping keys must be strings
// and unique, values must be representable in JSON, and only one document
// may be in a file. Anchors, aliases and merge keys (<<) work.
package yamldoc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"gopkg.in/yaml.v3"
)

// Pos is a 1-based line and column.
type Pos struct{ Line, Col int }

// Doc is one decoded YAML document. Positions are looked up in the parsed
// node tree when asked for (they are needed for messages only).
type Doc struct {
	File string
	Root any

	node *yaml.Node // the document node; nil for an empty file

	// A document the fast reader read has positions of its own; its node
	// tree is built by the library when something needs it.
	pos      *posNode
	data     []byte
	nodeOnce sync.Once

	fieldsMu sync.Mutex
	fields   map[reflect.Type]map[string]int // Decode's struct layouts
}

// Limits against hostile input (alias bombs, deep nesting).
const (
	maxNodes = 1 << 20
	maxDepth = 200
)

// Parse decodes data, the contents of file. The error, if any, is a
// diag.List.
func Parse(file string, data []byte) (*Doc, error) {
	if root, pos, ok := fastParse(file, data); ok {
		return &Doc{File: file, Root: root, pos: pos, data: data}, nil
	}
	if d, ok := parseSplit(file, data, splitMinSize, runtime.GOMAXPROCS(0)); ok {
		return d, nil
	}
	return parseWhole(file, data)
}

// parseWhole parses the file in one piece.
func parseWhole(file string, data []byte) (*Doc, error) {
	d := &Doc{File: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			// An empty file is an empty document: null.
			return d, nil
		}
		return nil, syntaxError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, diag.Errorf(file, extra.Line, extra.Column, "", "a second YAML document; only one is allowed per file")
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(file, err)
	}
	c := converter{file: file}
	v, err := c.convert(&root, 0)
	if err != nil {
		return nil, err
	}
	d.Root, d.node = v, &root
	return d, nil
}

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns the YAML library's "yaml: line N: msg" into a diagnostic.
func syntaxError(file string, err error) error {
	msg := err.Error()
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return diag.Errorf(file, line, 0, "", "invalid YAML: %s", m[2])
	}
	return diag.Errorf(file, 0, 0, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// walk follows ptr through the node tree as far as it goes. It returns the
// node reached, the key node naming it (nil for array items and the root),
// and whether the whole pointer was found.
func (d *Doc) walk(ptr string) (n, key *yaml.Node, found bool) {
	if d.pos != nil {
		d.nodeOnce.Do(func() {
			// The fast reader read the file, so the library does too (held
			// so by FuzzFastMatchesLibrary).
			if whole, err := parseWhole(d.File, d.data); err == nil {
				d.node = whole.node
			}
		})
	}
	if d.node == nil {
		return nil, nil, ptr == ""
	}
	n = d.node
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if ptr == "" {
		return n, nil, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next, nextKey *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			pairs, err := (&converter{}).pairs(n, 0)
			if err != nil {
				return n, key, false
			}
			for _, p := range pairs {
				if p[0].Value == tok {
					nextKey, next = p[0], p[1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			return n, key, false
		}
		n, key = next, nextKey
	}
	return n, key, true
}

// Pos returns where the value at ptr is, or, when nothing is there (a
// missing key), where its nearest enclosing value is.
func (d *Doc) Pos(ptr string) Pos {
	if d.pos != nil {
		n, _ := d.fastWalk(ptr)
		return n.pos
	}
	n, _, _ := d.walk(ptr)
	if n == nil {
		return Pos{}
	}
	return Pos{n.Line, n.Column}
}

// KeyPos returns where the key naming the value at ptr is written; for array
// elements and the root it is the value's position.
func (d *Doc) KeyPos(ptr string) Pos {
	if d.pos != nil {
		n, found := d.fastWalk(ptr)
		if found && ptr != "" && n.keyPos != (Pos{}) {
			return n.keyPos
		}
		return n.pos
	}
	n, key, found := d.walk(ptr)
	if found && key != nil {
		return Pos{key.Line, key.Column}
	}
	if n == nil {
		return Pos{}
	}
	return Pos{n.Line, n.Column}
}

// KeyPositions returns where each key of the object at ptr is written, in
// one walk (KeyPos looks each up from the root).
func (d *Doc) KeyPositions(ptr string) map[string]Pos {
	if d.pos != nil {
		n, found := d.fastWalk(ptr)
		if !found || n.kids == nil {
			return nil
		}
		out := make(map[string]Pos, len(n.keys))
		for _, k := range n.keys {
			out[k] = n.kids[k].keyPos
		}
		return out
	}
	n, _, found := d.walk(ptr)
	if !found {
		return nil
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	pairs, err := (&converter{}).pairs(n, 0)
	if err != nil {
		return nil
	}
	out := make(map[string]Pos, len(pairs))
	for _, p := range pairs {
		out[p[0].Value] = Pos{p[0].Line, p[0].Column}
	}
	return out
}

// Keys returns the keys of the object at ptr in the order the file has them
// (keys brought in by merge keys last).
func (d *Doc) Keys(ptr string) []string {
	if d.pos != nil {
		n, found := d.fastWalk(ptr)
		if !found || n.kids == nil {
			return nil
		}
		return append(make([]string, 0, len(n.keys)), n.keys...)
	}
	n, _, found := d.walk(ptr)
	if !found {
		return nil
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	pairs, err := (&converter{}).pairs(n, 0)
	if err != nil {
		return nil
	}
	keys := make([]string, len(pairs))
	for i, p := range pairs {
		keys[i] = p[0].Value
	}
	return keys
}

// Diag builds a diagnostic for the value at ptr.
func (d *Doc) Diag(ptr, format string, args ...any) diag.Diagnostic {
	p := d.Pos(ptr)
	return diag.Diagnostic{File: d.File, Line: p.Line, Col: p.Col, Path: diag.PathFromPointer(ptr), Message: fmt.Sprintf(format, args...)}
}

// KeyDiag builds a diagnostic located at the key of the value at ptr.
func (d *Doc) KeyDiag(ptr, format string, args ...any) diag.Diagnostic {
	p := d.KeyPos(ptr)
	return diag.Diagnostic{File: d.File, Line: p.Line, Col: p.Col, Path: diag.PathFromPointer(ptr), Message: fmt.Sprintf(format, args...)}
}

type converter struct {
	file  string
	nodes int
	path  []string // keys and indexes down to the value being converted
}

func (c *converter) ptr() string {
	var b strings.Builder
	for _, tok := range c.path {
		b.WriteString(diag.AppendToken("", tok))
	}
	return b.String()
}

func (c *converter) errorf(n *yaml.Node, format string, args ...any) error {
	return diag.Errorf(c.file, n.Line, n.Column, diag.PathFromPointer(c.ptr()), format, args...)
}

func (c *converter) convert(n *yaml.Node, depth int) (any, error) {
	c.nodes++
	if c.nodes > maxNodes {
		return nil, c.errorf(n, "document too large: more than %d values (after expanding aliases)", maxNodes)
	}
	if depth > maxDepth {
		return nil, c.errorf(n, "nested more than %d levels deep", maxDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.errorf(n, "unknown alias *%s", n.Value)
		}
		return c.convert(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			c.path = append(c.path, strconv.Itoa(i))
			v, err := c.convert(item, depth+1)
			c.path = c.path[:len(c.path)-1]
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		pairs, err := c.pairs(n, depth)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(pairs))
		for _, p := range pairs {
			c.path = append(c.path, p[0].Value)
			val, err := c.convert(p[1], depth+1)
			c.path = c.path[:len(c.path)-1]
			if err != nil {
				return nil, err
			}
			out[p[0].Value] = val
		}
		return out, nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, c.errorf(n, "unsupported YAML node")
}

// pairs lists the key/value nodes of a mapping: its own keys in file order,
// then those that merge keys (<<) bring in and that it does not set itself.
func (c *converter) pairs(n *yaml.Node, depth int) ([][2]*yaml.Node, error) {
	if depth > maxDepth {
		return nil, c.errorf(n, "nested more than %d levels deep", maxDepth)
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	var seen map[string]*yaml.Node
	if len(n.Content) > 16 {
		seen = make(map[string]*yaml.Node, len(n.Content)/2)
	}
	lookup := func(k string) (*yaml.Node, bool) {
		if seen != nil {
			v, ok := seen[k]
			return v, ok
		}
		for _, p := range out {
			if p[0].Value == k {
				return p[0], true
			}
		}
		return nil, false
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return nil, c.errorf(k, "mapping keys must be strings, got %s", describeNode(k))
		}
		if first, dup := lookup(k.Value); dup {
			c.path = append(c.path, k.Value)
			err := c.errorf(k, "duplicate key (first defined at line %d)", first.Line)
			c.path = c.path[:len(c.path)-1]
			return nil, err
		}
		if seen != nil {
			seen[k.Value] = k
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	for _, m := range merges {
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			target := src
			if target.Kind == yaml.AliasNode {
				target = target.Alias
			}
			if target == nil || target.Kind != yaml.MappingNode {
				return nil, c.errorf(src, "a merge key (<<) needs a mapping or a list of mappings")
			}
			inherited, err := c.pairs(target, depth+1)
			if err != nil {
				return nil, err
			}
			for _, p := range inherited {
				if _, ok := lookup(p[0].Value); ok {
					continue
				}
				if seen != nil {
					seen[p[0].Value] = p[0]
				}
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func (c *converter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!str":
		return n.Value, nil
	case "!!timestamp":
		// A date written without quotes stays the text it was written as.
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		switch n.Value { // the common spellings, without a decoder per value
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.errorf(n, "invalid boolean %q", n.Value)
		}
		return b, nil
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil && plainDecimal(n.Value) {
			return i, nil
		}
		var i int64
		if err := n.Decode(&i); err != nil {
			return nil, c.errorf(n, "integer %s does not fit in 64 bits", n.Value)
		}
		return i, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, c.errorf(n, "invalid number %q", n.Value)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, c.errorf(n, "%s is not a number JSON can hold", n.Value)
		}
		return f, nil
	}
	return nil, c.errorf(n, "unsupported YAML tag %s", n.Tag)
}

// plainDecimal tells whether s is written as -?[1-9][0-9]* or 0. Other
// integer forms (0x1F, 0o17, +5, and 010, which YAML 1.1 and the YAML
// library read as octal) go through the library.
func plainDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%s %q", strings.TrimPrefix(n.ShortTag(), "!!"), n.Value)
}
