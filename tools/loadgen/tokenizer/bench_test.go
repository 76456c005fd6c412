package tokenizer

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer/tokenizertest"
)

// benchCorpus is the fixed corpus of the encode benchmarks; the reference
// side of the comparison (scripts/oracle/bench.js) builds the same one:
// the hand-written corpus as one document, and 64 documents decoded from
// 2,048 consecutive ids at a random offset, as benchmark prompts are made.
func benchCorpus(b *testing.B, tok *Tokenizer) []string {
	b.Helper()
	docs := []string{strings.Join(readCorpus(b), "\n")}
	rng := mulberry32(1234)
	vocab := tok.VocabSize()
	for k := 0; k < 64; k++ {
		off := int(rng.next() % uint32(vocab))
		ids := make([]int, 2048)
		for j := range ids {
			ids[j] = (off + j) % vocab
		}
		s, err := tok.Decode(ids)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, s)
	}
	return docs
}

// BenchmarkEncode measures encode throughput on the fixed corpus, on one
// core and on all of them; scripts/bench-tokenizer.sh runs it beside the
// Rust reference.
func BenchmarkEncode(b *testing.B) {
	for _, m := range tokenizertest.Models {
		tok := loadModel(b, m, Options{IgnoreConfig: true})
		docs := benchCorpus(b, tok)
		bytes := 0
		for _, d := range docs {
			bytes += len(d)
		}
		b.Run(string(m)+"/1core", func(b *testing.B) {
			b.SetBytes(int64(bytes))
			n := 0
			for b.Loop() {
				for _, d := range docs {
					ids, err := tok.Encode(d, false)
					if err != nil {
						b.Fatal(err)
					}
					n += len(ids)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
		})
		b.Run(string(m)+"/allcores", func(b *testing.B) {
			b.SetBytes(int64(bytes))
			var n atomic.Int64
			for b.Loop() {
				var wg sync.WaitGroup
				next := atomic.Int64{}
				for w := 0; w < runtime.GOMAXPROCS(0); w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := int(next.Add(1)) - 1; i < len(docs); i = int(next.Add(1)) - 1 {
							ids, err := tok.Encode(docs[i], false)
							if err != nil {
								b.Error(err)
								return
							}
							n.Add(int64(len(ids)))
						}
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	tok := loadModel(b, tokenizertest.DeepSeekV3, Options{IgnoreConfig: true})
	ids := make([]int, 8192)
	for i := range ids {
		ids[i] = (i * 7) % tok.VocabSize()
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tok.Decode(ids); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ids)*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkLoad(b *testing.B) {
	for _, m := range tokenizertest.Models {
		dir := tokenizertest.ModelDir(b, m)
		b.Run(string(m), func(b *testing.B) {
			for b.Loop() {
				if _, err := Load(dir); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
