package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// byteToRune is GPT-2's byte-level alphabet: printable Latin-1 bytes stand
// for themselves, the other 68 bytes for U+0100 onwards, in byte order.
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := make(map[rune]byte, 256)
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !printable(b) {
			r = rune(256 + n)
			n++
		}
		b2r[b] = r
		r2b[r] = byte(b)
	}
	return b2r, r2b
}()

// byteLevelToBytes translates a token spelled in the byte-level alphabet
// back to raw bytes; ok is false if it has a character outside it.
func byteLevelToBytes(tok string) (string, bool) {
	var b strings.Builder
	b.Grow(len(tok))
	for _, r := range tok {
		c, ok := runeToByte[r]
		if !ok {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// decodeTokenBytes is what the ByteLevel decoder makes of one token: its
// characters mapped back to bytes, or, if any character is outside the
// alphabet (special tokens such as "<｜User｜>"), the token's own UTF-8.
func decodeTokenBytes(tok string) []byte {
	if raw, ok := byteLevelToBytes(tok); ok {
		return []byte(raw)
	}
	return []byte(tok)
}

// appendLossy appends b to dst as valid UTF-8, replacing each invalid
// sequence with U+FFFD exactly as Rust's String::from_utf8_lossy does
// (one replacement per maximal prefix of a valid sequence, per the
// Unicode "substitution of maximal subparts" practice). Go's own
// decoders replace per byte, which gives different text.
func appendLossy(dst, b []byte) []byte {
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		n := validSeqLen(b[i:])
		if n > 0 {
			dst = append(dst, b[i:i+n]...)
			i += n
			continue
		}
		dst = append(dst, "\uFFFD"...)
		i += invalidSeqLen(b[i:])
	}
	return dst
}

// validSeqLen returns the length of the valid multi-byte sequence at the
// start of b, or 0 if there is none.
func validSeqLen(b []byte) int {
	n := invalidSeqLenOrValid(b)
	if n < 0 {
		return -n
	}
	return 0
}

// invalidSeqLen returns how many bytes one U+FFFD replaces at b[0].
func invalidSeqLen(b []byte) int {
	return invalidSeqLenOrValid(b)
}

// invalidSeqLenOrValid follows Rust's Utf8Chunks: it returns -len for a
// valid sequence, or the length of the invalid prefix (1 to 3 bytes).
func invalidSeqLenOrValid(b []byte) int {
	at := func(i int) byte {
		if i < len(b) {
			return b[i]
		}
		return 0
	}
	cont := func(x byte) bool { return x&0xC0 == 0x80 }
	c := b[0]
	switch {
	case c >= 0xC2 && c <= 0xDF:
		if !cont(at(1)) {
			return 1
		}
		return -2
	case c >= 0xE0 && c <= 0xEF:
		c1 := at(1)
		ok := (c == 0xE0 && c1 >= 0xA0 && c1 <= 0xBF) ||
			(c >= 0xE1 && c <= 0xEC && c1 >= 0x80 && c1 <= 0xBF) ||
			(c == 0xED && c1 >= 0x80 && c1 <= 0x9F) ||
			(c >= 0xEE && c1 >= 0x80 && c1 <= 0xBF)
		if !ok {
			return 1
		}
		if !cont(at(2)) {
			return 2
		}
		return -3
	case c >= 0xF0 && c <= 0xF4:
		c1 := at(1)
		ok := (c == 0xF0 && c1 >= 0x90 && c1 <= 0xBF) ||
			(c >= 0xF1 && c <= 0xF3 && c1 >= 0x80 && c1 <= 0xBF) ||
			(c == 0xF4 && c1 >= 0x80 && c1 <= 0x8F)
		if !ok {
			return 1
		}
		if !cont(at(2)) {
			return 2
		}
		if !cont(at(3)) {
			return 3
		}
		return -4
	}
	return 1
}
