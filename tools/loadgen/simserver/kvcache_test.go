package simserver

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// text of n tokens in the sim's token model, distinct per tag.
func tokens(tag string, n int) string {
	unit := fmt.Sprintf("%-4.4s", tag)
	return strings.Repeat(unit, n)
}

// multiTurn runs conversations turn by turn, interleaved, through a cache
// of the given capacity; each turn's prompt is the previous prompt plus a
// new user message. It returns the GPU hit rate.
func multiTurn(t *testing.T, capacity int) float64 {
	t.Helper()
	c := newKVCache(16, capacity, 0)
	const convs, turns = 8, 6
	prompts := make([]string, convs)
	for turn := range turns {
		for i := range convs {
			prompts[i] += tokens(fmt.Sprintf("c%dt%d", i, turn), 512)
			n := len(prompts[i]) / BytesPerToken
			held, _, _ := c.acquire(blockHashes(prompts[i], n, 16), n)
			c.release(held)
		}
	}
	if c.queries == 0 {
		t.Fatal("no queries counted")
	}
	return float64(c.gpuHits) / float64(c.queries)
}

func TestHitRateFollowsCapacity(t *testing.T) {
	// One conversation grows to 3072 tokens; eight of them need 24576.
	caps := []int{2048, 8192, 16384, 32768}
	var rates []float64
	for _, k := range caps {
		rates = append(rates, multiTurn(t, k))
	}
	t.Logf("capacity %v tokens: hit rate %v", caps, rates)
	for i := 1; i < len(rates); i++ {
		if !(rates[i] > rates[i-1]) {
			t.Fatalf("hit rate not increasing with capacity: caps %v rates %v", caps, rates)
		}
	}
	// With room for every conversation, every turn after the first hits
	// all of the previous prompt: sum over turns of 512·turn / sum 512·(turn+1).
	if want := 15.0 / 21.0; rates[len(rates)-1] < want-0.01 {
		t.Fatalf("hit rate at full capacity = %v, want about %v", rates[len(rates)-1], want)
	}
	if rates[0] > 0.05 {
		t.Fatalf("hit rate with room for less than one conversation = %v, want about 0", rates[0])
	}
}

func TestEvictionOrderLRU(t *testing.T) {
	c := newKVCache(1, 3, 0)
	for _, h := range []uint64{1, 2, 3} {
		c.release(mustHold(t, c, h))
	}
	// Touch 1 so 2 becomes least recently used.
	c.release(mustHold(t, c, 1))
	c.release(mustHold(t, c, 4))
	if _, ok := c.gpu[2]; ok {
		t.Fatal("block 2 (least recently used) was not evicted")
	}
	for _, h := range []uint64{1, 3, 4} {
		if _, ok := c.gpu[h]; !ok {
			t.Fatalf("block %d evicted; only 2 should have been", h)
		}
	}
	// A released prefix goes tail first: its last block is evicted first.
	c2 := newKVCache(1, 3, 0)
	c2.release(heldOf(c2, []uint64{10, 11, 12}))
	c2.release(mustHold(t, c2, 20))
	if _, ok := c2.gpu[12]; ok {
		t.Fatal("the prefix's tail block 12 should be evicted before its root")
	}
	if _, ok := c2.gpu[10]; !ok {
		t.Fatal("the prefix's root block 10 was evicted before its tail")
	}
}

func heldOf(c *kvCache, hs []uint64) []uint64 {
	held, _, _ := c.acquire(hs, len(hs)*c.blockSize+1)
	return held
}

func mustHold(t *testing.T, c *kvCache, h uint64) []uint64 {
	t.Helper()
	held := heldOf(c, []uint64{h})
	if len(held) != 1 {
		t.Fatalf("block %d not cached", h)
	}
	return held
}

func TestPinnedBlocksNeverEvicted(t *testing.T) {
	c := newKVCache(1, 2, 0)
	a := heldOf(c, []uint64{1, 2})
	if len(a) != 2 || c.usage() != 1 {
		t.Fatalf("held %v usage %v, want both blocks pinned and usage 1", a, c.usage())
	}
	if b := heldOf(c, []uint64{7, 8}); len(b) != 0 {
		t.Fatalf("a request got blocks %v while all were pinned", b)
	}
	for _, h := range []uint64{1, 2} {
		if b, ok := c.gpu[h]; !ok || b.refs != 1 {
			t.Fatalf("pinned block %d evicted or its count changed", h)
		}
	}
	c.release(a)
	if b := heldOf(c, []uint64{7, 8}); len(b) != 2 {
		t.Fatalf("after release a request got %v, want 2 blocks", b)
	}
}

func TestOffloadHitCostsTransfer(t *testing.T) {
	cfg := fast()
	cfg.KVCacheTokens, cfg.KVOffloadTokens, cfg.BlockSize = 64, 256, 16
	cfg.OffloadPerToken = 3 * time.Microsecond
	s := newScheduler(cfg)
	mk := func(tag string) *seq {
		text := tokens(tag, 65)
		return &seq{promptTokens: 65, blocks: blockHashes(text, 65, 16)}
	}
	run := func(q *seq) time.Duration {
		d := s.admit([]*seq{q})
		s.release(q)
		return d
	}
	a := mk("aaaa")
	if d := run(a); d != 0 || a.prefilled != 0 {
		t.Fatalf("first request: transfer %v prefilled %d, want 0 and 0", d, a.prefilled)
	}
	if d := run(mk("bbbb")); d != 0 { // evicts a's 4 blocks to the CPU tier
		t.Fatalf("second request paid transfer %v", d)
	}
	again := mk("aaaa")
	d := run(again)
	if want := 64 * cfg.OffloadPerToken; d != want || again.prefilled != 64 {
		t.Fatalf("CPU hit: transfer %v prefilled %d, want %v and 64", d, again.prefilled, want)
	}
	if c := s.cache; c.cpuHits != 64 || c.gpuHits != 0 || c.toCPUTokens < 64 || c.toGPUTokens != 64 {
		t.Fatalf("counters: cpu hits %d gpu hits %d to CPU %d to GPU %d", c.cpuHits, c.gpuHits, c.toCPUTokens, c.toGPUTokens)
	}
	g := mk("aaaa")
	if d := run(g); d != 0 || g.prefilled != 64 {
		t.Fatalf("GPU hit: transfer %v prefilled %d, want 0 and 64", d, g.prefilled)
	}
}

func TestMetricsMatchBookkeeping(t *testing.T) {
	cfg := fast()
	cfg.KVCacheTokens, cfg.KVOffloadTokens = 4096, 4096
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer func() {
		ts.Close()
		s.Close()
	}()
	srv := ts.URL
	prompt := tokens("conv", 1000)
	for range 3 {
		resp := post(t, srv+"/v1/completions", fmt.Sprintf(`{"model":"m","prompt":%q,"max_tokens":2}`, prompt))
		if _, err := io.ReadAll(resp.Body); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, %v", resp.StatusCode, err)
		}
	}
	resp, err := http.Get(srv + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	cs := s.CacheStats()
	// 999 cacheable tokens: 62 blocks of 16; the second and third requests hit them all.
	if cs.GPUHits != 2*62*16 || cs.Queries != 3000 {
		t.Fatalf("bookkeeping: %+v", cs)
	}
	get := func(name string) float64 {
		f, ok := fams[name]
		if !ok || len(f.Metric) == 0 {
			t.Fatalf("/metrics lacks %s", name)
		}
		m := f.Metric[0]
		var labels []string
		for _, l := range m.Label {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		if !strings.Contains(strings.Join(labels, ","), "model_name=m") {
			t.Fatalf("%s labels %v lack model_name", name, labels)
		}
		if m.Counter != nil {
			return m.Counter.GetValue()
		}
		return m.Gauge.GetValue()
	}
	for name, want := range map[string]float64{
		"vllm:prefix_cache_queries_total":       float64(cs.Queries),
		"vllm:prefix_cache_hits_total":          float64(cs.GPUHits),
		"vllm:prompt_tokens_total":              3000,
		"vllm:generation_tokens_total":          6,
		"vllm:external_prefix_cache_hits_total": 0,
		"vllm:num_requests_running":             0,
	} {
		if got := get(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if typ := fams["vllm:prefix_cache_hits_total"].GetType().String(); typ != "COUNTER" {
		t.Errorf("prefix_cache_hits type %s", typ)
	}
	if typ := fams["vllm:kv_cache_usage_perc"].GetType().String(); typ != "GAUGE" {
		t.Errorf("kv_cache_usage_perc type %s", typ)
	}
	if n := len(fams["vllm:prompt_tokens_by_source_total"].Metric); n != 3 {
		t.Errorf("prompt_tokens_by_source has %d series, want 3", n)
	}
}

func FuzzBlockHashes(f *testing.F) {
	f.Add("hello world, this is a prompt of some length", "and a continuation", 4)
	f.Fuzz(func(t *testing.T, a, b string, bs int) {
		if bs < 1 || bs > 64 {
			return
		}
		ha := blockHashes(a, len(a)/BytesPerToken+1, bs)
		hab := blockHashes(a+b, len(a+b)/BytesPerToken+1, bs)
		if len(hab) < len(ha) {
			t.Fatalf("a longer prompt has fewer blocks: %d < %d", len(hab), len(ha))
		}
		for i := range ha {
			if ha[i] != hab[i] {
				t.Fatalf("block %d of a prefix differs when the prompt grows", i)
			}
		}
	})
}

// BenchmarkCacheRequest is one request's lookup, pin and release on a
// 128k-token context whose prefix is cached, with 256 such contexts
// resident: the per-admission cost the engine loop pays.
func BenchmarkCacheRequest(b *testing.B) {
	const lanes, ctx = 256, 128 * 1024
	c := newKVCache(16, lanes*ctx, 0)
	hashes := make([][]uint64, lanes)
	for i := range hashes {
		text := tokens(fmt.Sprintf("l%03d", i), ctx)
		hashes[i] = blockHashes(text, ctx, 16)
		c.release(heldOf(c, hashes[i]))
	}
	b.ResetTimer()
	for i := range b.N {
		held, _, _ := c.acquire(hashes[i%lanes], ctx)
		c.release(held)
	}
}

// BenchmarkBlockHashes is hashing a 128k-token prompt into blocks, which
// the request handler does before the engine sees it.
func BenchmarkBlockHashes(b *testing.B) {
	text := tokens("bench", 128*1024)
	b.SetBytes(int64(len(text)))
	for range b.N {
		blockHashes(text, 128*1024, 16)
	}
}

// A block in the CPU tier behind a GPU miss is recomputed; its CPU copy
// must go, or the tier's map and list disagree on what it holds.
func TestRecomputedBlockLeavesCPUTier(t *testing.T) {
	c := newKVCache(1, 2, 4)
	c.release(heldOf(c, []uint64{1, 2}))
	c.release(heldOf(c, []uint64{3, 4})) // 1 and 2 go to the CPU tier
	if _, ok := c.cpu[2]; !ok {
		t.Fatal("block 2 not offloaded")
	}
	c.release(heldOf(c, []uint64{9, 2})) // 9 misses everywhere, 2 is recomputed
	if _, ok := c.cpu[2]; ok {
		t.Fatal("block 2 is in both tiers")
	}
	n := 0
	for b := c.cpuLRU.head; b != nil; b = b.next {
		if _, ok := c.cpu[b.hash]; !ok {
			t.Fatalf("CPU list holds block %d the map does not", b.hash)
		}
		n++
	}
	if n != len(c.cpu) {
		t.Fatalf("CPU list has %d blocks, map %d", n, len(c.cpu))
	}
}

func TestGPUKVCacheTokensCountsWholeBlocks(t *testing.T) {
	for _, c := range []struct{ tokens, block, want int }{{0, 16, 0}, {8192, 64, 8192}, {1000, 16, 992}, {15, 16, 0}} {
		cfg := Config{KVCacheTokens: c.tokens, BlockSize: c.block}
		if got := cfg.GPUKVCacheTokens(); got != c.want {
			t.Errorf("%d tokens in blocks of %d: %d, want %d", c.tokens, c.block, got, c.want)
		}
	}
}
