// Package chatprompt builds the chat prompts of a trace replay: the full,
// growing message history of each agent, with text made of words drawn
// deterministically from each KV-cache block id (the same id gives the same
// words), so that the server's prefix cache sees the block sharing of the
// recording, and with exactly the recorded number of prompt tokens.
//
// Exactness without tokenizing every prompt comes from the words: each is
// one token of the model's vocabulary both alone and after a space, and the
// tokenizer's pre-tokenizer splits text at those spaces, so a run of n
// words joined by spaces is n tokens. NewCounter proves that for the
// tokenizer (and chat template) in use before a run starts. The history
// is kept as descriptors (block ids and word ranges), shared between turns;
// the request body is generated from them as it is sent.
package chatprompt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer"
)

// Vocab is the set of words prompts are made of. All have the same length,
// so the byte length of a prompt follows from its word count.
type Vocab struct {
	words []string
	size  int
}

// maxWordLen bounds the words considered.
const maxWordLen = 8

// NewVocab finds the words of tok: lower-case ASCII strings that are one
// token alone and one token after a space. Of the lengths 1 to 8 it takes
// the one with the most such words (the shorter on a tie).
func NewVocab(tok *tokenizer.Tokenizer) (*Vocab, error) {
	byLen := make([][]string, maxWordLen+1)
	for id := range tok.VocabSize() {
		s, err := tok.Decode([]int{id})
		if err != nil || len(s) < 2 || len(s) > maxWordLen+1 || s[0] != ' ' || !lowerASCII(s[1:]) {
			continue
		}
		if n, err := tok.Count(s, false); err != nil || n != 1 {
			continue
		}
		if n, err := tok.Count(s[1:], false); err != nil || n != 1 {
			continue
		}
		byLen[len(s)-1] = append(byLen[len(s)-1], s[1:])
	}
	best := 0
	for l := 1; l <= maxWordLen; l++ {
		if len(byLen[l]) > len(byLen[best]) {
			best = l
		}
	}
	if len(byLen[best]) < 2 {
		return nil, errors.New("the tokenizer has fewer than two lower-case words that are one token both alone and after a space; exact prompts cannot be built with it")
	}
	return &Vocab{words: byLen[best], size: best}, nil
}

// NewVocabWords makes a Vocab of the given words (all of one length); for
// tests of what does not depend on a tokenizer.
func NewVocabWords(words []string) (*Vocab, error) {
	if len(words) < 2 {
		return nil, errors.New("a vocabulary needs at least two words")
	}
	for _, w := range words {
		if len(w) != len(words[0]) || !lowerASCII(w) {
			return nil, fmt.Errorf("word %q: all words must be lower-case ASCII of one length", w)
		}
	}
	return &Vocab{words: words, size: len(words[0])}, nil
}

func lowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
}

// Len is the number of words.
func (v *Vocab) Len() int { return len(v.words) }

// WordLen is the length of every word in bytes.
func (v *Vocab) WordLen() int { return v.size }

// Word returns word i mod Len.
func (v *Vocab) Word(i int) string { return v.words[i%len(v.words)] }

// String describes the vocabulary for logs.
func (v *Vocab) String() string {
	n := min(len(v.words), 5)
	return fmt.Sprintf("%d words of %d letters (%s, …)", len(v.words), v.size, strings.Join(v.words[:n], ", "))
}

// mix is SplitMix64's finalizer: a cheap, well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Key hashes a string (a trace id) into a stream seed.
func Key(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix(h)
}

// Stream is a deterministic sequence of words: blockSize words for each
// block id, then as many tail words as asked for.
type Stream struct {
	Scope     uint64  // block namespace: a trace's Key, or 0 for the corpus
	IDs       []int64 // block ids
	BlockSize int     // words per block
	Tail      uint64  // seed of the words after the blocks
}

// Words appends words [from, from+n) to dst, joined by spaces (no leading
// space). It is the hot loop of request bodies: a block's hash is computed
// once for its words, and each word is one more hash and a copy.
func (v *Vocab) Words(dst []byte, s *Stream, from, n int) []byte {
	nw := uint64(len(v.words))
	blockWords := len(s.IDs) * s.BlockSize
	i, end := from, from+n
	for i < end {
		var base uint64
		stop := end
		if i < blockWords {
			blk := i / s.BlockSize
			base = s.Scope ^ mix(uint64(s.IDs[blk])) - uint64(blk*s.BlockSize)
			stop = min(end, (blk+1)*s.BlockSize)
		} else {
			base = s.Tail - uint64(blockWords)
		}
		for ; i < stop; i++ {
			if i > from {
				dst = append(dst, ' ')
			}
			dst = append(dst, v.words[mix(base+uint64(i))%nw]...)
		}
	}
	return dst
}
