package tokenizer

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// addedToken is one entry of tokenizer.json's added_tokens.
type addedToken struct {
	content    string
	singleWord bool
	lstrip     bool
	rstrip     bool
	normalized bool
	special    bool
}

// addedVocab holds the added (and special) tokens, matched in the text
// before pre-tokenization, as Hugging Face's AddedVocabulary does.
type addedVocab struct {
	byContent map[string]int32
	byID      map[int32]*addedToken
	special   map[string]bool
	raw       *tokenTrie // tokens with normalized=false, matched on the input
	norm      *tokenTrie // tokens with normalized=true, matched after normalizing
}

// buildAdded assigns ids the way Hugging Face does when it loads a file:
// a token already in the model vocab (or added before) keeps that id; any
// other gets the next id after the model vocab, in file order. An "id" in
// the file that disagrees gives a warning, as in Hugging Face.
func buildAdded(list []addedTokenJSON, m *bpeModel) (*addedVocab, []string, error) {
	var warnings []string
	av := &addedVocab{
		byContent: map[string]int32{},
		byID:      map[int32]*addedToken{},
		special:   map[string]bool{},
	}
	type seenKey struct {
		tok addedToken
	}
	seen := map[seenKey]bool{}
	var order []*addedToken // specials first, then the others, as Hugging Face builds its tries
	var others []*addedToken
	nextID := int32(m.size)
	for i, j := range list {
		path := fmt.Sprintf("added_tokens[%d]", i)
		if j.Content == nil {
			return nil, nil, errAt(path+".content", "missing")
		}
		tok := addedToken{
			content: *j.Content, singleWord: j.SingleWord, lstrip: j.LStrip, rstrip: j.RStrip,
			special: j.Special, normalized: !j.Special,
		}
		if j.Normalized != nil {
			tok.normalized = *j.Normalized
		}
		if tok.content == "" || seen[seenKey{tok}] {
			continue
		}
		seen[seenKey{tok}] = true
		id, ok := av.byContent[tok.content]
		if !ok {
			id, ok = m.vocab[tok.content]
		}
		if !ok {
			id = nextID
			nextID++
		}
		if j.ID != nil && *j.ID != int64(id) {
			// Hugging Face only logs this and keeps the id it assigned.
			warnings = append(warnings, fmt.Sprintf("%s.id: token %q is listed with id %d but gets id %d (added tokens take the ids after the model vocab, in file order)", path, tok.content, *j.ID, id))
		}
		t := tok
		av.byContent[tok.content] = id
		av.byID[id] = &t
		if tok.special {
			if !av.special[tok.content] {
				av.special[tok.content] = true
				order = append(order, &t)
			}
		} else {
			others = append(others, &t)
		}
	}
	order = append(order, others...)
	av.raw, av.norm = newTokenTrie(), newTokenTrie()
	for _, t := range order {
		id := av.byContent[t.content]
		tok := av.byID[id]
		if t.normalized {
			av.norm.add(t.content, id, tok)
		} else {
			av.raw.add(t.content, id, tok)
		}
	}
	return av, warnings, nil
}

// tokenTrie finds added tokens with Aho-Corasick's leftmost-longest
// semantics: the match that starts first, and the longest of those.
type tokenTrie struct {
	nodes []trieNode
	first [256]bool
	empty bool
}

type trieNode struct {
	next map[byte]int32
	id   int32 // -1 if no token ends here
	tok  *addedToken
}

func newTokenTrie() *tokenTrie {
	return &tokenTrie{nodes: []trieNode{{id: -1}}, empty: true}
}

func (t *tokenTrie) add(s string, id int32, tok *addedToken) {
	t.empty = false
	t.first[s[0]] = true
	n := int32(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		nx, ok := t.nodes[n].next[c]
		if !ok {
			if t.nodes[n].next == nil {
				t.nodes[n].next = map[byte]int32{}
			}
			nx = int32(len(t.nodes))
			t.nodes[n].next[c] = nx
			t.nodes = append(t.nodes, trieNode{id: -1})
		}
		n = nx
	}
	// The first token added with this content wins, as the pattern order
	// of an Aho-Corasick automaton decides between equal matches.
	if t.nodes[n].id < 0 {
		t.nodes[n].id = id
		t.nodes[n].tok = tok
	}
}

// longestAt returns the end and id of the longest token starting at i.
func (t *tokenTrie) longestAt(s string, i int) (end int, id int32, tok *addedToken) {
	end, id = -1, -1
	n := int32(0)
	for j := i; j < len(s); j++ {
		nx, ok := t.nodes[n].next[s[j]]
		if !ok {
			break
		}
		n = nx
		if t.nodes[n].id >= 0 {
			end, id, tok = j+1, t.nodes[n].id, t.nodes[n].tok
		}
	}
	return end, id, tok
}

// segment is a piece of the input: either text (id < 0) or an added token.
type segment struct {
	text string
	id   int32
}

// split cuts text at the added tokens of trie, appending to out.
func (t *tokenTrie) split(text string, out []segment) []segment {
	if t.empty {
		return append(out, segment{text: text, id: -1})
	}
	startOffset := 0
	for i := 0; i < len(text); {
		if !t.first[text[i]] {
			i++
			continue
		}
		end, id, tok := t.longestAt(text, i)
		if end < 0 {
			i++
			continue
		}
		start, stop := i, end
		i = end // matches never overlap, even when one is skipped below
		if tok.singleWord {
			startSpace := start == 0 || !endsWithWord(text[:start])
			stopSpace := stop == len(text) || !startsWithWord(text[stop:])
			if !startSpace || !stopSpace {
				continue
			}
		}
		if tok.lstrip {
			ns := leftmostSpaceAtEnd(text[:start])
			start = max(ns, startOffset)
		}
		if tok.rstrip {
			// The scan itself resumes at the token's end, as Hugging Face's
			// Aho-Corasick iterator does; only the split point moves.
			stop += rightmostSpaceAtStart(text[stop:])
		}
		if startOffset < start {
			out = append(out, segment{text: text[startOffset:start], id: -1})
		}
		out = append(out, segment{text: text[start:stop], id: id})
		startOffset = stop
	}
	if startOffset != len(text) {
		out = append(out, segment{text: text[startOffset:], id: -1})
	}
	return out
}

// isRustWord is the Rust regex crate's Unicode \w, which Hugging Face uses
// for single_word added tokens.
func isRustWord(r rune) bool { return rustWordClass.Contains(r) }

var rustWordClass = mustClass("Alphabetic", "M", "Nd", "Pc", "Join_Control")

func endsWithWord(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && isRustWord(r)
}

func startsWithWord(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && isRustWord(r)
}

func leftmostSpaceAtEnd(s string) int {
	i := len(s)
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.IsSpace(r) {
			break
		}
		i -= n
	}
	return i
}

func rightmostSpaceAtStart(s string) int {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}
