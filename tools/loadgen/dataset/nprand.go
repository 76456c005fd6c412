package dataset

import (
	"fmt"
	"math/bits"
)

// legacyRNG reproduces numpy's legacy global generator (np.random.seed,
// np.random.randint): MT19937 seeded with Knuth's initialisation, and
// bounded integers drawn by masked rejection sampling on 32-bit outputs.
// The original benchmark draws every random number from it, so matching
// it bit for bit makes the same seed give the same prompts as the
// original.
type legacyRNG struct {
	key [624]uint32
	pos int
}

func newLegacyRNG(seed int64) (*legacyRNG, error) {
	if seed < 0 || seed > 1<<32-1 {
		return nil, fmt.Errorf("seed %d out of range (expected 0..4294967295, as numpy requires)", seed)
	}
	r := &legacyRNG{}
	s := uint32(seed)
	for i := range r.key {
		r.key[i] = s
		s = 1812433253*(s^(s>>30)) + uint32(i) + 1
	}
	r.pos = len(r.key)
	return r, nil
}

func (r *legacyRNG) generate() {
	const (
		n, m      = 624, 397
		matrixA   = 0x9908b0df
		upperMask = 0x80000000
		lowerMask = 0x7fffffff
	)
	k := &r.key
	for i := 0; i < n; i++ {
		y := (k[i] & upperMask) | (k[(i+1)%n] & lowerMask)
		v := k[(i+m)%n] ^ (y >> 1)
		if y&1 != 0 {
			v ^= matrixA
		}
		k[i] = v
	}
	r.pos = 0
}

func (r *legacyRNG) uint32() uint32 {
	if r.pos >= len(r.key) {
		r.generate()
	}
	y := r.key[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// randInt returns n integers uniform in [low, high), as
// np.random.randint(low, high, size=n) does with the legacy generator.
// Like numpy, a size of zero draws nothing and checks nothing, and a range
// of one value draws nothing.
func (r *legacyRNG) randInt(low, high int64, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	if low > high-1 {
		return nil, fmt.Errorf("low >= high (%d >= %d)", low, high)
	}
	rng := uint64(high - 1 - low)
	out := make([]int64, n)
	switch {
	case rng == 0:
		for i := range out {
			out[i] = low
		}
	case rng == 0xFFFFFFFF:
		for i := range out {
			out[i] = low + int64(r.uint32())
		}
	case rng < 0xFFFFFFFF:
		mask := uint32(1)<<bits.Len32(uint32(rng)) - 1
		for i := range out {
			v := r.uint32() & mask
			for uint64(v) > rng {
				v = r.uint32() & mask
			}
			out[i] = low + int64(v)
		}
	default:
		return nil, fmt.Errorf("range [%d, %d) wider than 32 bits is not supported", low, high)
	}
	return out, nil
}

// newLegacyRNGByArray seeds the generator as numpy's RandomState(seq) does
// for a sequence of integers (MT19937 init_by_array); every element must be
// in 0..2^32-1, as numpy requires.
func newLegacyRNGByArray(seed []uint32) (*legacyRNG, error) {
	if len(seed) == 0 {
		return nil, fmt.Errorf("seed must be non-empty")
	}
	r, _ := newLegacyRNG(19650218)
	mt := &r.key
	const n = len(r.key)
	i, j := 1, 0
	for k := max(n, len(seed)); k > 0; k-- {
		mt[i] = (mt[i] ^ ((mt[i-1] ^ (mt[i-1] >> 30)) * 1664525)) + seed[j] + uint32(j)
		i++
		j++
		if i >= n {
			mt[0] = mt[n-1]
			i = 1
		}
		if j >= len(seed) {
			j = 0
		}
	}
	for k := n - 1; k > 0; k-- {
		mt[i] = (mt[i] ^ ((mt[i-1] ^ (mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			mt[0] = mt[n-1]
			i = 1
		}
	}
	mt[0] = 0x80000000
	r.pos = n
	return r, nil
}

// stateHead is np.random.get_state()[1][:4]: the first four words of the
// generator's key as it stands (whatever the position), which upstream's
// client seeds its padding generator with.
func (r *legacyRNG) stateHead() []uint32 { return append([]uint32(nil), r.key[:4]...) }
