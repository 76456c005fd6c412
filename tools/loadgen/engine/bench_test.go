package engine

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
	"github.com/inferencex/inferencex-go/tools/loadgen/simserver"
)

// firehose serves a pre-rendered vLLM stream of n tokens in one write, so
// that nearly all the CPU a benchmark measures is the client's.
func firehose(b *testing.B, n int) string {
	b.Helper()
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, `data: {"id":"cmpl-5b1f3c2a9d","object":"text_completion","created":1739000000,"model":"m","choices":[{"index":0,"text":" tok%d","logprobs":null,"finish_reason":null,"stop_reason":null}]}`+"\n\n", i%10)
	}
	fmt.Fprintf(&sb, `data: {"id":"cmpl-5b1f3c2a9d","object":"text_completion","created":1739000000,"model":"m","choices":[],"usage":{"prompt_tokens":8,"total_tokens":%d,"completion_tokens":%d}}`+"\n\ndata: [DONE]\n\n", n+8, n)
	body := []byte(sb.String())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(body)
	}))
	b.Cleanup(ts.Close)
	return ts.URL
}

// BenchmarkEngineOverhead measures the client's cost per request and per
// streamed token against a server that costs next to nothing.
func BenchmarkEngineOverhead(b *testing.B) {
	for _, tokens := range []int{16, 256} {
		for _, conc := range []int{1, 16} {
			b.Run(fmt.Sprintf("tokens=%d/conc=%d", tokens, conc), func(b *testing.B) {
				url := firehose(b, tokens)
				e := newEngine(b, url, "vllm", func(c *Config) { c.MaxConcurrency = conc })
				ps := prompts(b.N, tokens)
				b.ReportAllocs()
				b.ResetTimer()
				run := e.Run(context.Background(), ps)
				b.StopTimer()
				m := run.Aggregator.Finish([]float64{99})
				if m.Completed != b.N {
					b.Fatalf("completed %d of %d: %+v", m.Completed, b.N, m.Errors)
				}
				perToken := float64(b.Elapsed().Nanoseconds()) / float64(b.N*tokens)
				b.ReportMetric(perToken, "ns/token")
				b.ReportMetric(float64(run.CPU.Nanoseconds())/float64(b.N*tokens), "cpu-ns/token")
			})
		}
	}
}

// BenchmarkFidelity runs one wave of requests against the simulated
// server with a fixed decode step and no other costs, so that the true
// inter-token interval is the step the server measures for itself; it
// reports how far the client's median ITL and TPOT are from that truth, in
// percent. Target: within 1% at every concurrency.
func BenchmarkFidelity(b *testing.B) {
	cases := []struct {
		conc, tokens int
		step         time.Duration
	}{
		{1, 200, 10 * time.Millisecond},
		{64, 100, 20 * time.Millisecond},
		{1024, 50, 50 * time.Millisecond},
		{2048, 40, 100 * time.Millisecond},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("conc=%d", c.conc), func(b *testing.B) {
			for range b.N {
				cfg := simserver.Defaults()
				cfg.Model = "m"
				cfg.DecodeStep = c.step
				cfg.DecodePerSeq = 0
				cfg.PrefillPerToken = 0
				cfg.MaxBatch = c.conc
				cfg.MaxPrefillTokens = 1 << 30 // the whole wave prefills in one step
				cfg.EOSProbability = 0
				cfg.PreciseSteps = true
				sim, err := simserver.New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				ts := httptest.NewServer(sim)
				e := newEngine(b, ts.URL, "vllm", func(cf *Config) { cf.MaxConcurrency = c.conc })
				run := e.Run(context.Background(), prompts(c.conc, c.tokens))
				m := run.Aggregator.Finish([]float64{99})
				st := sim.Stats()
				ts.Close()
				sim.Close()
				if m.Completed != c.conc {
					b.Fatalf("completed %d of %d: %+v", m.Completed, c.conc, m.Errors)
				}
				// The truth is what the server flushed to the connections,
				// in the same definitions: it is the step when the server
				// keeps time, and later when the machine cannot keep up.
				itlErr := 100 * (m.ITL.Median*1000 - st.MedianSentITLMs) / st.MedianSentITLMs
				tpotErr := 100 * (m.TPOT.Median*1000 - st.MedianSentTPOT) / st.MedianSentTPOT
				b.ReportMetric(st.MedianSentITLMs, "sent-itl-p50-ms")
				b.ReportMetric(st.MedianSentTPOT, "sent-tpot-p50-ms")
				b.ReportMetric(m.ITL.Median*1000, "itl-p50-ms")
				b.ReportMetric(m.TPOT.Median*1000, "tpot-p50-ms")
				b.ReportMetric(math.Abs(itlErr), "itl-err-%")
				b.ReportMetric(math.Abs(tpotErr), "tpot-err-%")
				b.ReportMetric(100*run.CPU.Seconds()/(run.Duration.Seconds()*float64(runtime.GOMAXPROCS(0))), "cpu-%")
			}
		})
	}
}

// BenchmarkAggregatorMemory folds in three million requests of 128 tokens
// with the default exact limit and reports the heap after each million:
// once every metric is past the limit it stops growing. It keeps the
// per-request lengths, as a run with --save-result does (16 bytes a
// request, allocated at the start).
func BenchmarkAggregatorMemory(b *testing.B) {
	for range b.N {
		const n = 3_000_000
		a := metrics.NewAggregator(metrics.Config{NumRequests: n, Lengths: true})
		r := &metrics.Request{PromptLen: 1024, Sent: true, Success: true, OutputTokens: 128, ServerPromptTokens: -1,
			FirstToken: 100 * time.Millisecond, LastToken: 100*time.Millisecond + 127*20*time.Millisecond, Chunks: 128}
		for i := range 127 {
			r.ITL = append(r.ITL, 0.02+float64(i%7)*1e-4)
		}
		var heap []float64
		for i := range n {
			a.Add(r)
			if (i+1)%1_000_000 == 0 {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap = append(heap, float64(ms.HeapInuse)/(1<<20))
			}
		}
		for i, h := range heap {
			b.ReportMetric(h, fmt.Sprintf("heap-MiB@%dM", i+1))
		}
		runtime.KeepAlive(a)
	}
}
