// Package migrate rewrites Feb-2026 configs in today's format: a master
// config's seq-len-configs become scenarios.fixed-seq-len (and a
// disaggregated recipe gets the kv-p2p-transfer that today's format
// requires), a flat runner pool moves under labels. The rewrite works on
// the text, so comments, key order and flow style stay as they were, and is
// checked on the result: the same recipes, in the new places.
package migrate

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/yamldoc"
)

// Options are choices the old format did not record.
type Options struct {
	// KVP2PTransfer is the KV transfer engine (nixl, mooncake, mori, ucx, ...)
	// given to disaggregated recipes, which today's format requires to name
	// one. Empty: such a recipe is an error.
	KVP2PTransfer string
}

// Kind is what a file holds.
type Kind int

const (
	// KindMaster is a master config file.
	KindMaster Kind = iota + 1
	// KindRunners is a runner pool.
	KindRunners
)

// Result says what a rewrite did.
type Result struct {
	Kind         Kind
	Unchanged    bool     // the file was in today's format already
	Entries      int      // master config entries rewritten
	P2PTransfers []string // keys that got kv-p2p-transfer
	Labels       int      // runner labels moved under labels:
}

// Rewrite returns data (the content of file name) in today's format.
func Rewrite(name string, data []byte, o Options) ([]byte, Result, error) {
	doc, err := yamldoc.Parse(name, data)
	if err != nil {
		return nil, Result{}, err
	}
	root, ok := doc.Root.(map[string]any)
	if !ok {
		return nil, Result{}, diag.Errorf(name, 1, 1, "", "expected a mapping (a master config or a runner pool), got %s", describe(doc.Root))
	}
	kind, today := classify(root)
	switch {
	case kind == 0:
		return nil, Result{}, diag.Errorf(name, 1, 1, "", "neither a master config (entries with seq-len-configs or scenarios) nor a runner pool (runner labels with node lists)")
	case today:
		return data, Result{Kind: kind, Unchanged: true}, nil
	case kind == KindRunners:
		return rewriteRunners(doc, data)
	}
	return rewriteMaster(doc, data, o)
}

// classify tells a master config from a runner pool, and whether it is in
// today's format already.
func classify(root map[string]any) (Kind, bool) {
	if _, ok := root["labels"].(map[string]any); ok {
		return KindRunners, true
	}
	kind, today := Kind(0), false
	for _, v := range root {
		switch x := v.(type) {
		case []any:
			return KindRunners, false
		case map[string]any:
			if _, ok := x["scenarios"]; ok {
				kind, today = KindMaster, true
			}
			if _, ok := x["seq-len-configs"]; ok {
				return KindMaster, false
			}
		}
	}
	return kind, today
}

// line is one line of the file, without its end.
type lines []string

func split(data []byte) (lines, bool) {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	final := strings.HasSuffix(s, "\n")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n"), final
}

func (l lines) join(final bool) []byte {
	s := strings.Join(l, "\n")
	if final {
		s += "\n"
	}
	return []byte(s)
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// content tells lines that carry YAML (not blank, not only a comment).
func content(s string) bool {
	t := strings.TrimSpace(s)
	return t != "" && !strings.HasPrefix(t, "#")
}

// blockEnd finds the last line (0-based) of the value of a key written on
// line i at indentation ind: the lines after it that are deeper, or list
// items at the key's own indentation (YAML's compact block sequences).
// Comments and blank lines count only when content of the block follows.
func (l lines) blockEnd(i, ind int) int {
	end := i
	for j := i + 1; j < len(l); j++ {
		if !content(l[j]) {
			continue
		}
		in := indentOf(l[j])
		item := in == ind && strings.HasPrefix(strings.TrimLeft(l[j], " "), "-")
		if in <= ind && !item {
			break
		}
		end = j
	}
	return end
}

func rewriteMaster(doc *yamldoc.Doc, data []byte, o Options) ([]byte, Result, error) {
	src, final := split(data)
	type edit struct {
		key            string
		line, end, ind int
		p2p            bool
	}
	var edits []edit
	var problems diag.List
	res := Result{Kind: KindMaster}
	root := doc.Root.(map[string]any)
	for _, key := range doc.Keys("") {
		entry, ok := root[key].(map[string]any)
		if !ok {
			continue
		}
		if _, ok := entry["scenarios"]; ok {
			problems = append(problems, doc.KeyDiag(diag.AppendToken("", key), "this entry is in today's format already, the others are not: fix the file by hand"))
			continue
		}
		ptr := diag.AppendToken(diag.AppendToken("", key), "seq-len-configs")
		if _, ok := entry["seq-len-configs"]; !ok {
			continue
		}
		pos := doc.KeyPos(ptr)
		i := pos.Line - 1
		if i < 0 || i >= len(src) || !strings.HasPrefix(strings.TrimLeft(src[i], " "), "seq-len-configs") || indentOf(src[i]) != pos.Col-1 {
			problems = append(problems, doc.KeyDiag(ptr, "seq-len-configs is not written as a plain key on a line of its own: rewrite this entry by hand"))
			continue
		}
		e := edit{key: key, line: i, ind: pos.Col - 1}
		e.end = src.blockEnd(i, e.ind)
		_, hasP2P := entry["kv-p2p-transfer"]
		if disagg, _ := entry["disagg"].(bool); disagg && !hasP2P {
			if o.KVP2PTransfer == "" {
				problems = append(problems, doc.KeyDiag(diag.AppendToken(diag.AppendToken("", key), "disagg"),
					"disagg: true needs kv-p2p-transfer in today's format: give --kv-p2p-transfer NAME (the engine the recipe moves KV state with: nixl, mooncake, mori, ucx, ...)"))
				continue
			}
			e.p2p = true
			res.P2PTransfers = append(res.P2PTransfers, key)
		}
		edits = append(edits, e)
	}
	if len(problems) > 0 {
		problems.Sort()
		return nil, Result{}, problems
	}
	out := make(lines, 0, len(src)+2*len(edits))
	next := 0
	for _, e := range edits {
		out = append(out, src[next:e.line]...)
		pad := strings.Repeat(" ", e.ind)
		if e.p2p {
			out = append(out, pad+"kv-p2p-transfer: "+yamlScalar(o.KVP2PTransfer))
		}
		rest := strings.TrimPrefix(strings.TrimLeft(src[e.line], " "), "seq-len-configs")
		out = append(out, pad+"scenarios:", pad+"  fixed-seq-len"+rest)
		for _, l := range src[e.line+1 : e.end+1] {
			if strings.TrimSpace(l) == "" {
				out = append(out, l)
			} else {
				out = append(out, "  "+l)
			}
		}
		next = e.end + 1
	}
	out = append(out, src[next:]...)
	res.Entries = len(edits)
	result := out.join(final)
	if err := checkMaster(doc, result, o); err != nil {
		return nil, Result{}, err
	}
	return result, res, nil
}

// checkMaster holds a rewrite to what it must be: every entry as it was,
// with seq-len-configs moved to scenarios.fixed-seq-len (and the transfer
// engine added where one was needed).
func checkMaster(before *yamldoc.Doc, after []byte, o Options) error {
	doc, err := yamldoc.Parse(before.File, after)
	if err != nil {
		return byHand(before.File)
	}
	want := map[string]any{}
	for key, v := range before.Root.(map[string]any) {
		entry, ok := v.(map[string]any)
		if !ok {
			want[key] = v
			continue
		}
		moved := map[string]any{}
		for k, x := range entry {
			moved[k] = x
		}
		if slc, ok := moved["seq-len-configs"]; ok {
			delete(moved, "seq-len-configs")
			moved["scenarios"] = map[string]any{"fixed-seq-len": slc}
			if disagg, _ := moved["disagg"].(bool); disagg {
				if _, ok := moved["kv-p2p-transfer"]; !ok {
					moved["kv-p2p-transfer"] = o.KVP2PTransfer
				}
			}
		}
		want[key] = moved
	}
	if !reflect.DeepEqual(doc.Root, want) || strings.Join(doc.Keys(""), "\n") != strings.Join(before.Keys(""), "\n") {
		return byHand(before.File)
	}
	return nil
}

// byHand is the answer when the text rewrite would not give the same
// recipes (an unusual layout: anchors across entries, keys sharing a
// line): nothing is written.
func byHand(file string) error {
	return diag.Errorf(file, 0, 0, "", "its layout is too unusual for an exact rewrite (the result would not hold the same recipes): rewrite it by hand (docs/matrixgen.md shows the new layout)")
}

func rewriteRunners(doc *yamldoc.Doc, data []byte) ([]byte, Result, error) {
	src, final := split(data)
	first := -1
	for i, l := range src {
		if content(l) {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, Result{}, diag.Errorf(doc.File, 1, 1, "", "no runner labels")
	}
	// Comments right above the first label stay with the file's head.
	out := append(lines{}, src[:first]...)
	out = append(out, "labels:")
	for _, l := range src[first:] {
		if strings.TrimSpace(l) == "" {
			out = append(out, l)
		} else {
			out = append(out, "  "+l)
		}
	}
	result := out.join(final)
	after, err := yamldoc.Parse(doc.File, result)
	if err != nil || !reflect.DeepEqual(after.Root, map[string]any{"labels": doc.Root}) {
		return nil, Result{}, byHand(doc.File)
	}
	return result, Result{Kind: KindRunners, Labels: len(doc.Keys(""))}, nil
}

// yamlScalar writes a plain YAML scalar, quoted when it would not read back
// as the same string.
func yamlScalar(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Sprintf("%q", s)
		}
	}
	switch strings.ToLower(s) {
	case "", "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~":
		return fmt.Sprintf("%q", s)
	}
	if s[0] >= '0' && s[0] <= '9' || s[0] == '-' || s[0] == '.' {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "an empty file"
	case []any:
		return "a list"
	}
	return "a scalar"
}
