package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// bpeModel is a byte-level BPE model. Because the ByteLevel pre-tokenizer
// maps every byte to one character of its alphabet before the model runs,
// the model here works on raw bytes directly: the initial symbols are the
// ids of single bytes, and whole-word lookups use vocab keys translated
// back to bytes.
type bpeModel struct {
	vocab     map[string]int32 // token string (byte-level alphabet) -> id
	idToToken []string
	hasID     []bool
	size      int // number of vocab entries (Hugging Face's get_vocab_size)

	byteID [256]int32       // id of each single-byte token, -1 if absent
	raw    map[string]int32 // raw-byte spelling -> id, for ignore_merges
	merges *mergeTable      // (left id, right id) -> rank and result
	unk    int32            // -1 when there is no unk_token
	fuse   bool             // fuse_unk
	ignore bool             // ignore_merges
}

type bpeJSON struct {
	Type                    *string          `json:"type"`
	Dropout                 *float64         `json:"dropout"`
	UnkToken                *string          `json:"unk_token"`
	ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
	FuseUnk                 *bool            `json:"fuse_unk"`
	ByteFallback            *bool            `json:"byte_fallback"`
	IgnoreMerges            *bool            `json:"ignore_merges"`
	Vocab                   *json.RawMessage `json:"vocab"`
	Merges                  *json.RawMessage `json:"merges"`
}

func buildModel(raw json.RawMessage, path string) (*bpeModel, error) {
	var j bpeJSON
	if err := decodeAt(raw, path, &j); err != nil {
		return nil, err
	}
	if j.Type != nil && *j.Type != "BPE" {
		switch *j.Type {
		case "WordPiece", "Unigram", "WordLevel":
			return nil, unsupportedAt(path+".type", "model type %q: only BPE is supported", *j.Type)
		}
		return nil, errAt(path+".type", "unknown model type %q (expected one of %s)", *j.Type, nameList("BPE", "WordPiece", "Unigram", "WordLevel"))
	}
	if j.Type == nil && j.Merges == nil {
		return nil, unsupportedAt(path, "model without \"type\" or \"merges\": only BPE is supported")
	}
	if j.Dropout != nil && *j.Dropout != 0 {
		return nil, unsupportedAt(path+".dropout", "BPE dropout %v (random merges)", *j.Dropout)
	}
	if j.ContinuingSubwordPrefix != nil {
		return nil, unsupportedAt(path+".continuing_subword_prefix", "continuing_subword_prefix with a byte-level BPE")
	}
	if j.EndOfWordSuffix != nil {
		return nil, unsupportedAt(path+".end_of_word_suffix", "end_of_word_suffix with a byte-level BPE")
	}
	if j.ByteFallback != nil && *j.ByteFallback {
		return nil, unsupportedAt(path+".byte_fallback", "byte_fallback (SentencePiece-style BPE)")
	}
	if j.Vocab == nil || j.Merges == nil {
		return nil, errAt(path, "missing vocab or merges")
	}
	m := &bpeModel{unk: -1}
	if j.FuseUnk != nil {
		m.fuse = *j.FuseUnk
	}
	if j.IgnoreMerges != nil {
		m.ignore = *j.IgnoreMerges
	}
	var vocab map[string]int64
	if err := decodeAt(*j.Vocab, path+".vocab", &vocab); err != nil {
		return nil, err
	}
	if err := m.setVocab(vocab, path+".vocab"); err != nil {
		return nil, err
	}
	pairs, err := decodeMerges(*j.Merges, path+".merges")
	if err != nil {
		return nil, err
	}
	if err := m.setMerges(pairs, path+".merges"); err != nil {
		return nil, err
	}
	if j.UnkToken != nil {
		id, ok := m.vocab[*j.UnkToken]
		if !ok {
			return nil, errAt(path+".unk_token", "%q is not in the vocab", *j.UnkToken)
		}
		m.unk = id
	}
	return m, nil
}

func (m *bpeModel) setVocab(vocab map[string]int64, path string) error {
	maxID := int64(-1)
	for tok, id := range vocab {
		if id < 0 || id > math.MaxInt32-1 {
			return errAt(path, "token %q has id %d (expected 0..%d)", tok, id, math.MaxInt32-1)
		}
		maxID = max(maxID, id)
	}
	if maxID > 50_000_000 {
		return errAt(path, "largest id %d is implausible for %d tokens", maxID, len(vocab))
	}
	m.size = len(vocab)
	m.vocab = make(map[string]int32, len(vocab))
	m.idToToken = make([]string, maxID+1)
	m.hasID = make([]bool, maxID+1)
	for tok, id := range vocab {
		if m.hasID[id] {
			a, b := tok, m.idToToken[id]
			if b < a {
				a, b = b, a
			}
			return errAt(path, "id %d is given to both %q and %q", id, a, b)
		}
		m.vocab[tok] = int32(id)
		m.idToToken[id] = tok
		m.hasID[id] = true
	}
	for b := range m.byteID {
		m.byteID[b] = -1
		if id, ok := m.vocab[string(byteToRune[b])]; ok {
			m.byteID[b] = id
		}
	}
	m.raw = make(map[string]int32, len(vocab))
	for tok, id := range m.vocab {
		if raw, ok := byteLevelToBytes(tok); ok {
			m.raw[raw] = id
		}
	}
	return nil
}

// decodeMerges accepts both spellings: ["a b", ...] and [["a","b"], ...].
func decodeMerges(raw json.RawMessage, path string) ([][2]string, error) {
	var legacy []string
	if err := json.Unmarshal(raw, &legacy); err == nil {
		out := make([][2]string, 0, len(legacy))
		for i, line := range legacy {
			if strings.HasPrefix(line, "#version") {
				continue
			}
			a, b, ok := strings.Cut(line, " ")
			if !ok || strings.Contains(b, " ") {
				return nil, errAt(fmt.Sprintf("%s[%d]", path, i), "merge %q is not two tokens separated by one space", line)
			}
			out = append(out, [2]string{a, b})
		}
		return out, nil
	}
	var pairs [][]string
	if err := decodeAt(raw, path, &pairs); err != nil {
		return nil, errAt(path, "expected a list of \"a b\" strings or of [\"a\", \"b\"] pairs")
	}
	out := make([][2]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, errAt(fmt.Sprintf("%s[%d]", path, i), "merge has %d parts (expected 2)", len(p))
		}
		out[i] = [2]string{p[0], p[1]}
	}
	return out, nil
}

func (m *bpeModel) setMerges(pairs [][2]string, path string) error {
	m.merges = newMergeTable(len(pairs))
	for rank, p := range pairs {
		a, ok := m.vocab[p[0]]
		if !ok {
			return errAt(fmt.Sprintf("%s[%d]", path, rank), "token %q is not in the vocab", p[0])
		}
		b, ok := m.vocab[p[1]]
		if !ok {
			return errAt(fmt.Sprintf("%s[%d]", path, rank), "token %q is not in the vocab", p[1])
		}
		n, ok := m.vocab[p[0]+p[1]]
		if !ok {
			return errAt(fmt.Sprintf("%s[%d]", path, rank), "merged token %q is not in the vocab", p[0]+p[1])
		}
		// A pair listed twice keeps its last rank, as Hugging Face's map
		// collection does.
		m.merges.put(a, b, int32(rank), n)
	}
	return nil
}

// ---- merge table: open addressing, keyed by the two ids ----

type mergeTable struct {
	slots []mergeSlot
	mask  uint64
	count int
}

// mergeSlot keeps key and value together: one cache line per probe.
type mergeSlot struct {
	key uint64 // (a+1)<<32 | (b+1); 0 marks an empty slot
	val uint64 // rank<<32 | new id
}

func newMergeTable(n int) *mergeTable {
	size := 1
	for size < n*2+16 {
		size <<= 1
	}
	return &mergeTable{slots: make([]mergeSlot, size), mask: uint64(size - 1)}
}

func mergeKey(a, b int32) uint64 { return uint64(uint32(a)+1)<<32 | uint64(uint32(b)+1) }

func hashKey(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}

func (t *mergeTable) put(a, b, rank, id int32) {
	k := mergeKey(a, b)
	v := uint64(uint32(rank))<<32 | uint64(uint32(id))
	for i := hashKey(k) & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.key == 0 {
			s.key, s.val = k, v
			t.count++
			return
		}
		if s.key == k {
			s.val = v
			return
		}
	}
}

// get returns the rank and merged id of (a, b), or rank -1.
func (t *mergeTable) get(a, b int32) (rank, id int32) {
	k := mergeKey(a, b)
	for i := hashKey(k) & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.key == k {
			return int32(s.val >> 32), int32(uint32(s.val))
		}
		if s.key == 0 {
			return -1, 0
		}
	}
}

// ---- encoding one pre-tokenized word ----

type bpeScratch struct {
	syms  []int32
	ranks []int32
	ids   []int32
	nodes []symNode
	heap  []heapItem
}

// tokenize appends the ids of word (raw bytes of one pre-token) to out.
func (m *bpeModel) tokenize(word string, out []int32, sc *bpeScratch) []int32 {
	if len(word) == 0 {
		return out
	}
	if m.ignore {
		if id, ok := m.raw[word]; ok {
			return append(out, id)
		}
	}
	syms := sc.syms[:0]
	pendingUnk := false
	for i := 0; i < len(word); i++ {
		id := m.byteID[word[i]]
		if id >= 0 {
			if pendingUnk {
				syms = append(syms, m.unk)
				pendingUnk = false
			}
			syms = append(syms, id)
			continue
		}
		if m.unk < 0 {
			continue // no unk token: Hugging Face drops the character
		}
		if pendingUnk && !m.fuse {
			syms = append(syms, m.unk)
		}
		pendingUnk = true
	}
	if pendingUnk {
		syms = append(syms, m.unk)
	}
	sc.syms = syms
	if len(syms) <= 64 {
		return append(out, m.mergeSmall(syms, sc)...)
	}
	return m.mergeHeap(syms, out, sc)
}

// mergeSmall applies merges lowest rank first, leftmost first among equal
// ranks, by scanning: fastest for the short words that dominate text.
func (m *bpeModel) mergeSmall(syms []int32, sc *bpeScratch) []int32 {
	n := len(syms)
	ranks := sc.ranks[:0]
	ids := sc.ids[:0]
	for i := 0; i+1 < n; i++ {
		r, id := m.merges.get(syms[i], syms[i+1])
		ranks = append(ranks, r)
		ids = append(ids, id)
	}
	for n > 1 {
		best, bestRank := -1, int32(math.MaxInt32)
		for i := 0; i < n-1; i++ {
			if r := ranks[i]; r >= 0 && r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		syms[best] = ids[best]
		copy(syms[best+1:], syms[best+2:n])
		copy(ranks[best:], ranks[best+1:n-1])
		copy(ids[best:], ids[best+1:n-1])
		n--
		ranks = ranks[:n-1]
		ids = ids[:n-1]
		if best > 0 {
			ranks[best-1], ids[best-1] = m.merges.get(syms[best-1], syms[best])
		}
		if best < n-1 {
			ranks[best], ids[best] = m.merges.get(syms[best], syms[best+1])
		}
	}
	sc.ranks, sc.ids = ranks, ids
	return syms[:n]
}

type symNode struct {
	id         int32
	prev, next int32
	alive      bool
}

type heapItem struct {
	rank, pos, id int32
}

func heapLess(a, b heapItem) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos)
}

func heapPush(h []heapItem, it heapItem) []heapItem {
	h = append(h, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !heapLess(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func heapPop(h []heapItem) (heapItem, []heapItem) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		c := l
		if r := l + 1; r < len(h) && heapLess(h[r], h[l]) {
			c = r
		}
		if !heapLess(h[c], h[i]) {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	return top, h
}

// mergeHeap is the same algorithm with a priority queue and a linked list,
// as Hugging Face's Word::merge_all does, for long words.
func (m *bpeModel) mergeHeap(syms []int32, out []int32, sc *bpeScratch) []int32 {
	nodes := sc.nodes[:0]
	for i, id := range syms {
		nodes = append(nodes, symNode{id: id, prev: int32(i - 1), next: int32(i + 1), alive: true})
	}
	nodes[len(nodes)-1].next = -1
	h := sc.heap[:0]
	for i := 0; i+1 < len(nodes); i++ {
		if r, id := m.merges.get(nodes[i].id, nodes[i+1].id); r >= 0 {
			h = heapPush(h, heapItem{rank: r, pos: int32(i), id: id})
		}
	}
	for len(h) > 0 {
		var top heapItem
		top, h = heapPop(h)
		cur := &nodes[top.pos]
		if !cur.alive || cur.next < 0 {
			continue
		}
		right := &nodes[cur.next]
		// Skip entries made stale by earlier merges.
		if r, id := m.merges.get(cur.id, right.id); r < 0 || id != top.id {
			continue
		}
		cur.id = top.id
		right.alive = false
		cur.next = right.next
		if right.next >= 0 {
			nodes[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			if r, id := m.merges.get(nodes[cur.prev].id, cur.id); r >= 0 {
				h = heapPush(h, heapItem{rank: r, pos: cur.prev, id: id})
			}
		}
		if cur.next >= 0 {
			if r, id := m.merges.get(cur.id, nodes[cur.next].id); r >= 0 {
				h = heapPush(h, heapItem{rank: r, pos: top.pos, id: id})
			}
		}
	}
	for i := int32(0); i >= 0; i = nodes[i].next {
		out = append(out, nodes[i].id)
	}
	sc.nodes, sc.heap = nodes, h
	return out
}
