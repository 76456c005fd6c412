// Package tokenizer encodes and decodes text exactly like Hugging Face's
// Rust tokenizers library (the "fast" tokenizers that transformers, vLLM
// and SGLang use), for byte-level BPE tokenizers described by a
// tokenizer.json: added and special tokens, Split/Digits/ByteLevel
// pre-tokenizers with Oniguruma-compatible regexes, BPE with
// ignore_merges, the ByteLevel decoder with Rust's lossy UTF-8 handling,
// and the post-processors. tokenizer_config.json adds what transformers
// layers on top (BOS/EOS of Llama-style tokenizers, decode clean-up, the
// special token strings and the chat template).
//
// Anything else (WordPiece, Unigram, Metaspace/SentencePiece-style BPE,
// normalizers that change text) fails to load with ErrUnsupported rather
// than producing ids that differ from the reference.
//
// A Tokenizer is safe for concurrent use.
package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Tokenizer is a loaded tokenizer.
type Tokenizer struct {
	model    *bpeModel
	added    *addedVocab
	pre      *preTokenizer
	post     postProcessor
	decoder  decoderKind
	cfg      Config
	dir      string
	warnings []string

	// decode table: the decoder's bytes for each id.
	decOff  []uint32 // decOff[id]..decOff[id+1] in decData; len = maxID+2
	decData []byte
	decHas  []bool

	pool sync.Pool // *encodeState
}

// ErrInvalidUTF8 is returned by Encode for text that is not valid UTF-8
// (Hugging Face's API only accepts Unicode strings).
var ErrInvalidUTF8 = errors.New("text is not valid UTF-8")

// UnknownIDError is returned by Decode for an id that is neither in the
// vocabulary nor an added token. (Hugging Face silently drops such ids.)
type UnknownIDError struct {
	ID    int
	Index int
}

func (e *UnknownIDError) Error() string {
	return fmt.Sprintf("token id %d at position %d is not in the vocabulary", e.ID, e.Index)
}

// VocabSize is the size of the model vocabulary without added tokens:
// transformers' tokenizer.vocab_size, the range random prompt ids are
// drawn from.
func (t *Tokenizer) VocabSize() int { return t.model.size }

// VocabSizeWithAdded counts added tokens too (len(tokenizer) in
// transformers).
func (t *Tokenizer) VocabSizeWithAdded() int {
	n := t.model.size
	for id := range t.added.byID {
		if int(id) >= len(t.model.hasID) || !t.model.hasID[id] {
			n++
		}
	}
	return n
}

// Config returns what tokenizer_config.json said (zero if there was none).
func (t *Tokenizer) Config() Config { return t.cfg }

// Warnings lists what loading noticed but, like Hugging Face, accepted
// (e.g. an added token whose listed id is not the id it gets).
func (t *Tokenizer) Warnings() []string { return t.warnings }

// Dir is the directory the tokenizer was loaded from ("" for Parse).
func (t *Tokenizer) Dir() string { return t.dir }

// TokenToID returns the id of a token (added tokens first, as Hugging
// Face's token_to_id), spelled as in the vocabulary.
func (t *Tokenizer) TokenToID(tok string) (int, bool) {
	if id, ok := t.added.byContent[tok]; ok {
		return int(id), true
	}
	id, ok := t.model.vocab[tok]
	return int(id), ok
}

// IDToToken returns the vocabulary spelling of an id.
func (t *Tokenizer) IDToToken(id int) (string, bool) {
	if tok, ok := t.added.byID[int32(id)]; ok {
		return tok.content, true
	}
	if id >= 0 && id < len(t.model.hasID) && t.model.hasID[id] {
		return t.model.idToToken[id], true
	}
	return "", false
}

// IsSpecial reports whether id is an added token marked special.
func (t *Tokenizer) IsSpecial(id int) bool {
	tok, ok := t.added.byID[int32(id)]
	return ok && tok.special
}

type encodeState struct {
	segs   []segment
	segs2  []segment
	pa, pb []string
	split  splitScratch
	bpe    bpeScratch
	ids    []int32
	cache  map[string][]int32
}

// cacheLimit bounds each encoder's word cache (Hugging Face keeps 10,000).
const cacheLimit = 20000

func (t *Tokenizer) state() *encodeState {
	if st, ok := t.pool.Get().(*encodeState); ok {
		return st
	}
	return &encodeState{cache: make(map[string][]int32, 1024)}
}

// Encode returns the ids of text. addSpecialTokens runs the post-processor
// (e.g. a leading BOS), as the same flag of Hugging Face's encode does.
func (t *Tokenizer) Encode(text string, addSpecialTokens bool) ([]int, error) {
	ids, err := t.encode32(text, addSpecialTokens)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out, nil
}

// Count returns len(Encode(text, addSpecialTokens)) without building the
// id slice.
func (t *Tokenizer) Count(text string, addSpecialTokens bool) (int, error) {
	st := t.state()
	defer t.pool.Put(st)
	n, err := t.encodeInto(st, text)
	if err != nil {
		return 0, err
	}
	c := len(st.ids[:n])
	if addSpecialTokens && t.post != nil {
		c = len(t.post.process(st.ids[:n]))
	}
	return c, nil
}

func (t *Tokenizer) encode32(text string, addSpecialTokens bool) ([]int32, error) {
	st := t.state()
	defer t.pool.Put(st)
	n, err := t.encodeInto(st, text)
	if err != nil {
		return nil, err
	}
	ids := append([]int32(nil), st.ids[:n]...)
	if addSpecialTokens && t.post != nil {
		ids = t.post.process(ids)
	}
	return ids, nil
}

// encodeInto leaves the ids of text in st.ids and returns their count.
func (t *Tokenizer) encodeInto(st *encodeState, text string) (int, error) {
	if !utf8.ValidString(text) {
		return 0, ErrInvalidUTF8
	}
	ids := st.ids[:0]
	// Added tokens are cut out first: those matched on the raw text, then
	// (in the remaining text, after normalization, which is the identity
	// for every supported tokenizer) those matched on normalized text.
	segs := t.added.raw.split(text, st.segs[:0])
	segs2 := st.segs2[:0]
	for _, s := range segs {
		if s.id >= 0 {
			segs2 = append(segs2, s)
			continue
		}
		segs2 = t.added.norm.split(s.text, segs2)
	}
	st.segs, st.segs2 = segs, segs2
	for _, s := range segs2 {
		if s.id >= 0 {
			ids = append(ids, s.id)
			continue
		}
		if s.text == "" {
			continue
		}
		pieces, other, err := t.pre.run(s.text, st.pa, st.pb, &st.split)
		if err != nil {
			st.ids = ids
			return 0, fmt.Errorf("pre-tokenizer: %w", err)
		}
		st.pa, st.pb = pieces, other
		for _, p := range pieces {
			if cached, ok := st.cache[p]; ok {
				ids = append(ids, cached...)
				continue
			}
			n := len(ids)
			ids = t.model.tokenize(p, ids, &st.bpe)
			if len(p) < 256 {
				if len(st.cache) >= cacheLimit {
					clear(st.cache)
				}
				st.cache[strings.Clone(p)] = append([]int32(nil), ids[n:]...)
			}
		}
	}
	st.ids = ids
	return len(ids), nil
}

// Decode returns the text of ids, with special tokens kept, as
// transformers' decode(ids) does by default.
func (t *Tokenizer) Decode(ids []int) (string, error) {
	var buf []byte
	var err error
	switch t.decoder {
	case decodeByteLevel:
		buf, err = t.decodeBytes(ids, nil)
		if err != nil {
			return "", err
		}
		buf = appendLossy(make([]byte, 0, len(buf)+8), buf)
	case decodeJoin:
		parts := make([]string, len(ids))
		for i, id := range ids {
			tok, ok := t.IDToToken(id)
			if !ok {
				return "", &UnknownIDError{ID: id, Index: i}
			}
			parts[i] = tok
		}
		buf = []byte(strings.Join(parts, " "))
	}
	s := string(buf)
	if t.cfg.CleanUpTokenizationSpaces {
		s = cleanUpTokenization(s)
	}
	return s, nil
}

// decodeBytes appends the ByteLevel decoder's raw bytes for ids to dst.
func (t *Tokenizer) decodeBytes(ids []int, dst []byte) ([]byte, error) {
	for i, id := range ids {
		if id < 0 || id+1 >= len(t.decOff) || !t.decHas[id] {
			return nil, &UnknownIDError{ID: id, Index: i}
		}
		dst = append(dst, t.decData[t.decOff[id]:t.decOff[id+1]]...)
	}
	return dst, nil
}

func (t *Tokenizer) buildDecodeTable() {
	maxID := len(t.model.hasID) - 1
	for id := range t.added.byID {
		maxID = max(maxID, int(id))
	}
	t.decOff = make([]uint32, maxID+2)
	t.decHas = make([]bool, maxID+1)
	for id := 0; id <= maxID; id++ {
		t.decOff[id] = uint32(len(t.decData))
		tok, ok := t.IDToToken(id)
		if ok {
			t.decHas[id] = true
			t.decData = append(t.decData, decodeTokenBytes(tok)...)
		}
	}
	t.decOff[maxID+1] = uint32(len(t.decData))
}

// cleanUpTokenization is transformers' clean_up_tokenization, applied by
// decode when tokenizer_config.json sets clean_up_tokenization_spaces.
func cleanUpTokenization(s string) string {
	// Applied one after another, in transformers' order.
	for _, p := range [][2]string{
		{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
		{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
	} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// ---- decoder ----

type decoderKind int

const (
	decodeByteLevel decoderKind = iota
	decodeJoin                  // no decoder: tokens joined with spaces
)

func buildDecoder(raw json.RawMessage, path string) (decoderKind, error) {
	if isNull(raw) {
		return decodeJoin, nil
	}
	typ, err := typeOf(raw, path)
	if err != nil {
		return 0, err
	}
	switch typ {
	case "ByteLevel":
		return decodeByteLevel, nil
	case "Sequence":
		var seq struct {
			Decoders []json.RawMessage `json:"decoders"`
		}
		if err := decodeAt(raw, path, &seq); err != nil {
			return 0, err
		}
		if len(seq.Decoders) == 1 {
			return buildDecoder(seq.Decoders[0], path+".decoders[0]")
		}
		return 0, unsupportedAt(path, "decoder Sequence of %d decoders (only a single ByteLevel is supported)", len(seq.Decoders))
	case "BPEDecoder", "ByteFallback", "CTC", "Fuse", "Metaspace", "Replace", "Strip", "WordPiece":
		return 0, unsupportedAt(path+".type", "decoder %q", typ)
	}
	return 0, errAt(path+".type", "unknown decoder %q (supported: ByteLevel)", typ)
}
