package simserver

import "hash/fnv"

// BytesPerToken is the sim's token model without --tokenizer: one token per
// four bytes of prompt text. Prefix blocks are cut on that grid whatever
// counted the tokens, so identical text prefixes give identical blocks.
const BytesPerToken = 4

// blockHashes cuts text into blocks of blockSize tokens and hashes each
// chained with its parent, so a block's hash names its whole prefix. Only
// full blocks count, and never the prompt's last token: as in vLLM, at least
// one token is always computed to produce the first output token.
func blockHashes(text string, promptTokens, blockSize int) []uint64 {
	n := (promptTokens - 1) / blockSize
	if byText := len(text) / (blockSize * BytesPerToken); byText < n {
		n = byText
	}
	if n <= 0 {
		return nil
	}
	out := make([]uint64, n)
	var parent [8]byte
	step := blockSize * BytesPerToken
	for i := range n {
		h := fnv.New64a()
		_, _ = h.Write(parent[:])
		_, _ = h.Write([]byte(text[i*step : (i+1)*step]))
		v := h.Sum64()
		out[i] = v
		for b := range parent {
			parent[b] = byte(v >> (8 * b))
		}
	}
	return out
}

// kvBlock is one cached block of KV.
type kvBlock struct {
	hash uint64
	refs int // running requests using it; >0 pins it on the GPU
	// Links in its tier's LRU list, which holds it while unreferenced (GPU)
	// or always (CPU). Intrusive, so that pinning and releasing a 100k-token
	// prompt's thousands of blocks allocates nothing.
	prev, next *kvBlock
	listed     bool
}

// lru is a doubly linked list of blocks, least recently used first.
type lru struct{ head, tail *kvBlock }

func (l *lru) pushBack(b *kvBlock) {
	b.prev, b.next, b.listed = l.tail, nil, true
	if l.tail != nil {
		l.tail.next = b
	} else {
		l.head = b
	}
	l.tail = b
}

func (l *lru) remove(b *kvBlock) {
	if b.prev != nil {
		b.prev.next = b.next
	} else {
		l.head = b.next
	}
	if b.next != nil {
		b.next.prev = b.prev
	} else {
		l.tail = b.prev
	}
	b.prev, b.next, b.listed = nil, nil, false
}

// popFront removes and returns the least recently used block, nil if none.
func (l *lru) popFront() *kvBlock {
	b := l.head
	if b != nil {
		l.remove(b)
	}
	return b
}

// kvCache is the prefix cache: a GPU tier of capacity gpuBlocks whose
// unreferenced blocks are evicted least recently used first, into an
// optional CPU tier of cpuBlocks (LRU too), from which a hit is copied
// back instead of recomputed. It is owned by the scheduler goroutine; the
// counters are read under the scheduler's statsMu.
type kvCache struct {
	blockSize int
	gpuBlocks int
	cpuBlocks int

	gpu    map[uint64]*kvBlock
	gpuLRU lru // unreferenced GPU blocks, front = least recently used
	cpu    map[uint64]*kvBlock
	cpuLRU lru
	pinned int // GPU blocks with refs > 0

	// Counters in tokens, as vLLM counts them.
	queries     int64
	gpuHits     int64
	cpuHits     int64
	toCPUTokens int64 // tokens offloaded GPU → CPU
	toGPUTokens int64 // tokens loaded CPU → GPU
}

func newKVCache(blockSize, gpuTokens, cpuTokens int) *kvCache {
	return &kvCache{blockSize: blockSize, gpuBlocks: gpuTokens / blockSize, cpuBlocks: cpuTokens / blockSize,
		gpu: map[uint64]*kvBlock{}, cpu: map[uint64]*kvBlock{}}
}

// acquire looks a prompt's blocks up and pins them for the request: the
// leading run found on the GPU, then the run found on the CPU (copied
// back), then misses, which are computed and inserted while room can be
// made. It returns the blocks it pinned (for release) and the hit counts
// in tokens; queries is the prompt's token count.
func (c *kvCache) acquire(hashes []uint64, promptTokens int) (held []uint64, gpuHit, cpuHit int) {
	c.queries += int64(promptTokens)
	held = make([]uint64, 0, len(hashes))
	i := 0
	for ; i < len(hashes); i++ {
		b, ok := c.gpu[hashes[i]]
		if !ok {
			break
		}
		c.ref(b)
		held = append(held, b.hash)
		gpuHit += c.blockSize
	}
	for ; i < len(hashes); i++ {
		b, ok := c.cpu[hashes[i]]
		if !ok || !c.makeRoom() {
			break
		}
		c.cpuLRU.remove(b)
		delete(c.cpu, b.hash)
		c.insertPinned(b)
		held = append(held, b.hash)
		cpuHit += c.blockSize
	}
	c.toGPUTokens += int64(cpuHit)
	for ; i < len(hashes); i++ {
		if _, ok := c.gpu[hashes[i]]; ok {
			// A later block can be cached without its parent only if the
			// parent was evicted; a prefix match stops at the first miss,
			// so recompute it without a second copy.
			continue
		}
		if !c.makeRoom() {
			break
		}
		if old, ok := c.cpu[hashes[i]]; ok {
			// Recomputed behind a miss: the GPU copy replaces the CPU one,
			// so no hash is in both tiers.
			c.cpuLRU.remove(old)
			delete(c.cpu, old.hash)
		}
		c.insertPinned(&kvBlock{hash: hashes[i]})
		held = append(held, hashes[i])
	}
	c.gpuHits += int64(gpuHit)
	c.cpuHits += int64(cpuHit)
	return held, gpuHit, cpuHit
}

func (c *kvCache) ref(b *kvBlock) {
	if b.refs == 0 {
		c.gpuLRU.remove(b)
		c.pinned++
	}
	b.refs++
}

func (c *kvCache) insertPinned(b *kvBlock) {
	b.refs = 1
	c.gpu[b.hash] = b
	c.pinned++
}

// makeRoom frees one GPU block if the tier is full, evicting the least
// recently used unreferenced block to the CPU tier; false when every block
// is pinned.
func (c *kvCache) makeRoom() bool {
	if len(c.gpu) < c.gpuBlocks {
		return true
	}
	b := c.gpuLRU.popFront()
	if b == nil {
		return false
	}
	delete(c.gpu, b.hash)
	if c.cpuBlocks > 0 {
		if len(c.cpu) >= c.cpuBlocks {
			old := c.cpuLRU.popFront()
			delete(c.cpu, old.hash)
		}
		c.cpuLRU.pushBack(b)
		c.cpu[b.hash] = b
		c.toCPUTokens += int64(c.blockSize)
	}
	return true
}

// release unpins a finished request's blocks; they stay cached. It goes
// tail first, as vLLM frees blocks, so that a prefix's deeper blocks are
// evicted before the shared blocks they extend.
func (c *kvCache) release(held []uint64) {
	for i := len(held) - 1; i >= 0; i-- {
		b, ok := c.gpu[held[i]]
		if !ok || b.refs == 0 {
			continue
		}
		b.refs--
		if b.refs == 0 {
			c.gpuLRU.pushBack(b)
			c.pinned--
		}
	}
}

// usage is the GPU tier's pinned fraction (vLLM counts cached blocks no
// request uses as free).
func (c *kvCache) usage() float64 {
	if c.gpuBlocks == 0 {
		return 0
	}
	return float64(c.pinned) / float64(c.gpuBlocks)
}

func (c *kvCache) cpuUsage() float64 {
	if c.cpuBlocks == 0 {
		return 0
	}
	return float64(len(c.cpu)) / float64(c.cpuBlocks)
}
