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
	"regexp"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"gopkg.in/yaml.v3"
)

// Pos is a 1-based line and column.
type Pos struct{ Line, Col int }

// Doc is one decoded YAML document.
type Doc struct {
	File string
	Root any

	values map[string]Pos      // JSON pointer -> position of the value
	keys   map[string]Pos      // JSON pointer -> position of the key naming it
	order  map[string][]string // object pointer -> keys in file order
}

// Limits against hostile input (alias bombs, deep nesting).
const (
	maxNodes = 1 << 20
	maxDepth = 200
)

// Parse decodes data, the contents of file. The error, if any, is a
// diag.List.
func Parse(file string, data []byte) (*Doc, error) {
	d := &Doc{File: file, values: map[string]Pos{}, keys: map[string]Pos{}, order: map[string][]string{}}
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
	c := converter{doc: d}
	v, err := c.convert(&root, "", 0)
	if err != nil {
		return nil, err
	}
	d.Root = v
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

// Pos returns where the value at ptr is, or, when nothing is there (a
// missing key), where its nearest enclosing value is.
func (d *Doc) Pos(ptr string) Pos {
	for {
		if p, ok := d.values[ptr]; ok {
			return p
		}
		if ptr == "" {
			return Pos{}
		}
		ptr = parent(ptr)
	}
}

// KeyPos returns where the key naming the value at ptr is written; for array
// elements and the root it is the value's position.
func (d *Doc) KeyPos(ptr string) Pos {
	if p, ok := d.keys[ptr]; ok {
		return p
	}
	return d.Pos(ptr)
}

// Keys returns the keys of the object at ptr in the order the file has them.
func (d *Doc) Keys(ptr string) []string {
	return d.order[ptr]
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

func parent(ptr string) string {
	i := strings.LastIndexByte(ptr, '/')
	if i < 0 {
		return ""
	}
	return ptr[:i]
}

type converter struct {
	doc   *Doc
	nodes int
}

func (c *converter) errorf(n *yaml.Node, ptr, format string, args ...any) error {
	return diag.Errorf(c.doc.File, n.Line, n.Column, diag.PathFromPointer(ptr), format, args...)
}

func (c *converter) convert(n *yaml.Node, ptr string, depth int) (any, error) {
	c.nodes++
	if c.nodes > maxNodes {
		return nil, c.errorf(n, ptr, "document too large: more than %d values (after expanding aliases)", maxNodes)
	}
	if depth > maxDepth {
		return nil, c.errorf(n, ptr, "nested more than %d levels deep", maxDepth)
	}
	c.doc.values[ptr] = Pos{n.Line, n.Column}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], ptr, depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.errorf(n, ptr, "unknown alias *%s", n.Value)
		}
		return c.convert(n.Alias, ptr, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			v, err := c.convert(item, ptr+"/"+strconv.Itoa(i), depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return c.mapping(n, ptr, depth)
	case yaml.ScalarNode:
		return c.scalar(n, ptr)
	}
	return nil, c.errorf(n, ptr, "unsupported YAML node")
}

func (c *converter) mapping(n *yaml.Node, ptr string, depth int) (any, error) {
	pairs, err := c.pairs(n, ptr, depth)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(pairs))
	keys := make([]string, 0, len(pairs))
	for _, p := range pairs {
		k, v := p[0], p[1]
		child := diag.AppendToken(ptr, k.Value)
		c.doc.keys[child] = Pos{k.Line, k.Column}
		val, err := c.convert(v, child, depth+1)
		if err != nil {
			return nil, err
		}
		out[k.Value] = val
		keys = append(keys, k.Value)
	}
	c.doc.order[ptr] = keys
	return out, nil
}

// pairs lists the key/value nodes of a mapping: its own keys in file order,
// then those that merge keys (<<) bring in and that it does not set itself.
func (c *converter) pairs(n *yaml.Node, ptr string, depth int) ([][2]*yaml.Node, error) {
	if depth > maxDepth {
		return nil, c.errorf(n, ptr, "nested more than %d levels deep", maxDepth)
	}
	var out [][2]*yaml.Node
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return nil, c.errorf(k, ptr, "mapping keys must be strings, got %s", describeNode(k))
		}
		if first, dup := seen[k.Value]; dup {
			return nil, c.errorf(k, diag.AppendToken(ptr, k.Value), "duplicate key (first defined at line %d)", first.Line)
		}
		seen[k.Value] = k
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
				return nil, c.errorf(src, ptr, "a merge key (<<) needs a mapping or a list of mappings")
			}
			inherited, err := c.pairs(target, ptr, depth+1)
			if err != nil {
				return nil, err
			}
			for _, p := range inherited {
				if _, ok := seen[p[0].Value]; ok {
					continue
				}
				seen[p[0].Value] = p[0]
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func (c *converter) scalar(n *yaml.Node, ptr string) (any, error) {
	switch n.ShortTag() {
	case "!!str":
		return n.Value, nil
	case "!!timestamp":
		// A date written without quotes stays the text it was written as.
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.errorf(n, ptr, "invalid boolean %q", n.Value)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			return nil, c.errorf(n, ptr, "integer %s does not fit in 64 bits", n.Value)
		}
		return i, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, c.errorf(n, ptr, "invalid number %q", n.Value)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, c.errorf(n, ptr, "%s is not a number JSON can hold", n.Value)
		}
		return f, nil
	}
	return nil, c.errorf(n, ptr, "unsupported YAML tag %s", n.Tag)
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
