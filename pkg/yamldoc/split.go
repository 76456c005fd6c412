package yamldoc

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"gopkg.in/yaml.v3"
)

// splitMinSize is the size from which a file is parsed in parts.
const splitMinSize = 16 << 10

// parseSplit parses a large top-level mapping in parts, one per core: the
// master configs are long lists of independent top-level keys, and parsing
// is most of the time a tool spends on them. It only takes files it can
// split safely (no anchors, aliases, merge keys, tags, directives or
// document markers; a part starts at a line that begins with a plain key
// in column 1) and it gives up, so that Parse reads the file whole, the
// moment any part does not parse on its own into a mapping with exactly the
// key its first line names. Differential fuzzing (FuzzSplitMatchesWhole)
// holds it to the whole-file result.
func parseSplit(file string, data []byte, minSize, workers int) (*Doc, bool) {
	if len(data) < minSize || !splittable(data) {
		return nil, false
	}
	starts := keyLines(data)
	if len(starts) < 2*workers || workers < 2 {
		return nil, false
	}
	// Cut into as many parts as workers, at key lines, of similar size.
	type part struct {
		start, end, line int // byte range; 0-based line of start
		root             yaml.Node
		keys             int
		value            map[string]any
		failed           bool
	}
	var parts []*part
	target := len(data) / workers
	begin := 0
	for i, st := range starts {
		if st.offset-begin >= target && len(parts) < workers-1 || i == 0 && st.offset > 0 {
			if st.offset > begin {
				parts = append(parts, &part{start: begin, end: st.offset})
			}
			begin = st.offset
		}
	}
	parts = append(parts, &part{start: begin, end: len(data)})
	if len(parts) < 2 {
		return nil, false
	}
	// Line of each part's first byte.
	line, pos := 0, 0
	for _, p := range parts {
		line += bytes.Count(data[pos:p.start], []byte("\n"))
		pos = p.start
		p.line = line
	}
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec := yaml.NewDecoder(bytes.NewReader(data[p.start:p.end]))
			if err := dec.Decode(&p.root); err != nil {
				p.failed = !(errors.Is(err, io.EOF) && p.start == 0) // a leading part may hold only comments
				return
			}
			var extra yaml.Node
			if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
				p.failed = true
				return
			}
			if len(p.root.Content) != 1 || p.root.Content[0].Kind != yaml.MappingNode {
				p.failed = true
				return
			}
			shift(&p.root, p.line)
			c := converter{file: file}
			v, err := c.convert(&p.root, 0)
			if err != nil {
				p.failed = true
				return
			}
			p.value, _ = v.(map[string]any)
			p.keys = len(p.root.Content[0].Content) / 2
		}()
	}
	wg.Wait()
	// Reassemble one mapping node and one value.
	var first *yaml.Node
	mapping := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}
	keys := 0
	for _, p := range parts {
		if p.failed {
			return nil, false
		}
		if len(p.root.Content) == 0 {
			continue
		}
		m := p.root.Content[0]
		if first == nil {
			first = m
		}
		mapping.Content = append(mapping.Content, m.Content...)
		keys += p.keys
	}
	if first == nil || keys != len(starts) {
		return nil, false
	}
	mapping.Line, mapping.Column, mapping.Style = first.Line, first.Column, first.Style
	doc := &yaml.Node{Kind: yaml.DocumentNode, Line: 1, Column: 1, Content: []*yaml.Node{mapping}}
	// The merged value: a key defined twice makes the whole-file parse
	// report it, so leave that to Parse.
	root := make(map[string]any, keys)
	for _, p := range parts {
		for k, v := range p.value {
			if _, dup := root[k]; dup {
				return nil, false
			}
			root[k] = v
		}
	}
	return &Doc{File: file, Root: root, node: doc}, true
}

// splittable tells whether a file is free of what could tie its parts
// together or change how they parse: anchors, aliases, merge keys, tags,
// directives, tabs and CR line ends. Lines that hold only a comment do not
// count (upstream's configs write "*" and "&" in comments), since none of
// those can start inside a comment.
func splittable(data []byte) bool {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if t := bytes.TrimLeft(line, " "); len(t) > 0 && t[0] == '#' && !bytes.ContainsAny(t, "\t\r") {
			continue
		}
		if bytes.ContainsAny(line, "&*!%\t\r") || bytes.Contains(line, []byte("<<")) {
			return false
		}
	}
	return true
}

type keyLine struct{ offset int }

// keyLines finds the lines that start a top-level key: a letter, digit or
// underscore in column 1.
func keyLines(data []byte) []keyLine {
	var out []keyLine
	for off := 0; off < len(data); {
		c := data[off]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			out = append(out, keyLine{off})
		}
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	return out
}

// shift moves every node of a part down by the lines before it.
func shift(n *yaml.Node, lines int) {
	if lines == 0 {
		return
	}
	n.Line += lines
	for _, c := range n.Content {
		shift(c, lines)
	}
}
