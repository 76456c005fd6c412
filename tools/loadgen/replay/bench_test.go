package replay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/tools/loadgen/chatprompt"
	"github.com/inferencex/inferencex-go/tools/loadgen/engine"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
	"github.com/inferencex/inferencex-go/tools/loadgen/simserver"
	"github.com/inferencex/inferencex-go/tools/loadgen/weka"
)

// simEnv, when set, makes the test binary a simulated server instead (see
// startSimProcess): the benchmarks then measure the client's CPU alone.
const simEnv = "REPLAY_BENCH_SIMSERVER"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(simEnv); cfg != "" {
		serveSim(cfg)
		return
	}
	os.Exit(m.Run())
}

// lightServer answers chat completions at the least CPU cost: it reads and
// drops the body, finds max_completion_tokens at its end, waits a fixed
// time to first token and streams that many tokens a step apart. It
// measures nothing; it leaves the machine to the client being measured.
func lightServer(ttft, step time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			fmt.Fprintln(w, "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running 1")
			return
		}
		body, _ := io.ReadAll(r.Body)
		n := 1
		if i := bytes.LastIndex(body, []byte(`"max_completion_tokens":`)); i >= 0 {
			rest := body[i+len(`"max_completion_tokens":`):]
			j := bytes.IndexAny(rest, ",}")
			if v, err := strconv.Atoi(string(rest[:max(j, 0)])); err == nil {
				n = v
			}
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		time.Sleep(ttft)
		for i := range n {
			if i > 0 {
				time.Sleep(step)
			}
			fmt.Fprint(w, `data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" tok"}}]}`+"\n\n")
			fl.Flush()
		}
		fmt.Fprintf(w, `data: {"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d}}`+"\n\ndata: [DONE]\n\n", len(body)/2, n)
	})
}

// simRecorder wraps the simulated server and records, per request, when it
// arrived and when its first content token was flushed to the connection:
// the server's own TTFT, which the client's is checked against.
type simRecorder struct {
	h     http.Handler
	mu    sync.Mutex
	ttfts map[string]float64 // ms, by X-Request-ID
	itls  map[string]float64 // ms: (last − first content flush) / (content chunks − 1)
}

type flushWatch struct {
	http.ResponseWriter
	arrived     time.Time
	pending     bool
	first, last time.Time
	chunks      int
	onFirstTok  func(time.Duration)
}

func (f *flushWatch) Write(b []byte) (int, error) {
	if strings.Contains(string(b), `"delta":{"content":"`) && !strings.Contains(string(b), `"content":""`) {
		f.pending = true
		f.chunks++
	}
	return f.ResponseWriter.Write(b)
}

func (f *flushWatch) Flush() {
	f.ResponseWriter.(http.Flusher).Flush()
	if !f.pending {
		return
	}
	f.pending = false
	f.last = time.Now()
	if f.first.IsZero() {
		f.first = f.last
		f.onFirstTok(f.first.Sub(f.arrived))
	}
}

func (s *simRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/sim/ttft" {
		s.mu.Lock()
		defer s.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"ttft": s.ttfts, "itl": s.itls})
		return
	}
	id := r.Header.Get("X-Request-ID")
	fw := &flushWatch{ResponseWriter: w, arrived: time.Now(), onFirstTok: func(d time.Duration) {
		s.mu.Lock()
		s.ttfts[id] = float64(d.Nanoseconds()) / 1e6
		s.mu.Unlock()
	}}
	s.h.ServeHTTP(fw, r)
	if fw.chunks > 1 {
		s.mu.Lock()
		s.itls[id] = float64(fw.last.Sub(fw.first).Nanoseconds()) / 1e6 / float64(fw.chunks-1)
		s.mu.Unlock()
	}
}

// serveSim runs a simulated server configured by cfg (JSON) and prints its
// URL; it stops when its standard input closes.
func serveSim(cfg string) {
	var h http.Handler
	var s *simserver.Server
	if cfg == "light" {
		h = lightServer(50*time.Millisecond, 20*time.Millisecond)
	}
	var o simserver.Options
	if err := json.Unmarshal([]byte(cfg), &o); h == nil && err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if h == nil {
		var err error
		if s, err = simserver.New(o.Config()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		h = s
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rec := &simRecorder{h: h, ttfts: map[string]float64{}, itls: map[string]float64{}}
	mux := http.NewServeMux()
	if s != nil {
		mux.HandleFunc("/sim/stats", func(w http.ResponseWriter, r *http.Request) { _ = json.NewEncoder(w).Encode(s.Stats()) })
	}
	mux.Handle("/", rec)
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println("http://" + ln.Addr().String())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	_ = srv.Close()
	if s != nil {
		s.Close()
	}
}

// startSimProcess starts the simulated server in a child process (nil:
// the light server).
func startSimProcess(b *testing.B, cfg *simserver.Options) string {
	b.Helper()
	js := []byte("light")
	if cfg != nil {
		var err error
		if js, err = json.Marshal(cfg); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), simEnv+"="+string(js))
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("simulated server: %v", err)
	}
	return strings.TrimSpace(line)
}

func getJSON(b *testing.B, url string, v any) {
	b.Helper()
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatal(err)
	}
}

func benchCounter(b *testing.B) *chatprompt.Counter {
	b.Helper()
	tok, err := demoTokenizer(context.Background(), "")
	if err != nil {
		b.Fatal(err)
	}
	v, err := chatprompt.NewVocab(tok)
	if err != nil {
		b.Fatal(err)
	}
	c, err := chatprompt.NewCounter(tok, nil, v)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

type benchRun struct {
	floor   []float64 // ms a plain timer fired late, sampled during the run
	stats   Stats
	coll    *collector
	cpu     time.Duration
	heapMiB float64 // heap in use at the end, after a collection
	peakMiB float64 // largest heap in use sampled during the run
}

// replayBench replays traces against url with conc lanes for d.
func replayBench(b *testing.B, url string, traces []*weka.Trace, conc int, d time.Duration) benchRun {
	b.Helper()
	coll := newCollector(false, nil, nil)
	client := engine.NewHTTPClient(4*conc + 16)
	defer client.CloseIdleConnections()
	cfg := Config{URL: url + "/v1/chat/completions", Client: client, Models: []string{"m"}, Counter: benchCounter(b),
		Extra: []chatprompt.Field{{Key: "ignore_eos", Value: []byte("true")}}, Concurrency: conc, BenchmarkID: "bench",
		CacheBust: true, StartMin: 0.25, StartMax: 0.75, Duration: d, GracePeriod: time.Minute, SystemIdleCap: 10 * time.Second,
		OnRecord: coll.add}
	rp, err := New(cfg, traces)
	if err != nil {
		b.Fatal(err)
	}
	var peak float64
	var floor []float64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// The platform's own timer lateness during the run, the floor under
	// the schedule lag: a goroutine that only sleeps and wakes.
	wg.Go(func() {
		t := time.NewTimer(time.Hour)
		defer t.Stop()
		for i := 0; ; i++ {
			d := time.Duration(i*7919%5000) * time.Microsecond
			due := time.Now().Add(d)
			t.Reset(d)
			select {
			case <-stop:
				return
			case <-t.C:
				floor = append(floor, float64(time.Since(due).Nanoseconds())/1e6)
			}
		}
	})
	wg.Go(func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, float64(ms.HeapInuse)/(1<<20))
			}
		}
	})
	cpu0 := engine.CPUTime()
	st := rp.Run(context.Background())
	cpu := engine.CPUTime() - cpu0
	close(stop)
	wg.Wait()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return benchRun{stats: st, coll: coll, cpu: cpu, heapMiB: float64(ms.HeapInuse) / (1 << 20), peakMiB: peak, floor: floor}
}

// BenchmarkReplayFidelity replays agentic traces against the simulated
// server (in its own process, with precise decode steps) at 1, 64 and 256
// lanes and compares the client's median TTFT and per-request ITL with the
// server's own record of the same requests (matched by X-Request-ID): TTFT
// from the request's arrival to the flush of its first content token, ITL
// (last − first content flush) / (content chunks − 1). Target: within 1%.
func BenchmarkReplayFidelity(b *testing.B) {
	for _, conc := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("conc=%d", conc), func(b *testing.B) {
			for range b.N {
				cfg := simserver.DefaultOptions()
				cfg.Model, cfg.MaxModelLen = "m", 1<<22
				cfg.DecodeStepMs, cfg.DecodeMsPerSeq, cfg.PrefillMsPerToken = 20, 0, 0.02
				cfg.MaxBatch, cfg.MaxPrefillTokens, cfg.EOSProbability, cfg.PreciseSteps = 1024, 1<<30, 0, true
				cfg.KVCacheTokens = 1 << 24 // prefix caching on: its cost must not disturb the timing
				url := startSimProcess(b, &cfg)
				o := weka.DefaultSynthOptions()
				o.Traces, o.MinTurns, o.MaxTurns, o.FirstInput, o.SharedPrefix, o.TurnInput, o.Output = 64, 6, 12, 4000, 1024, 400, 24
				o.ThinkTime, o.SubagentRate = 0.3, 0.1
				traces, err := weka.Synthesize(o)
				if err != nil {
					b.Fatal(err)
				}
				run := replayBench(b, url, traces, conc, 6*time.Second)
				var server struct{ TTFT, ITL map[string]float64 }
				getJSON(b, url+"/sim/ttft", &server)
				var st simserver.Stats
				getJSON(b, url+"/sim/stats", &st)
				if run.stats.Completed < conc {
					b.Fatalf("%d requests completed (%d failed)", run.stats.Completed, run.stats.Failed)
				}
				// The same requests on both sides: the profiled ones.
				var mine, theirs, myITL, theirITL []float64
				for _, r := range run.coll.records {
					if r.Metadata.BenchmarkPhase != "profiling" || r.Error != nil {
						continue
					}
					id := r.Metadata.XRequestID
					if v, ok := server.TTFT[id]; ok {
						mine = append(mine, r.Metrics["time_to_first_token"].Value)
						theirs = append(theirs, v)
					}
					if v, ok := server.ITL[id]; ok {
						myITL = append(myITL, r.Metrics["inter_token_latency"].Value)
						theirITL = append(theirITL, v)
					}
				}
				ttft, sTTFT := metrics.Median(metrics.Sorted(mine)), metrics.Median(metrics.Sorted(theirs))
				itl, sITL := metrics.Median(metrics.Sorted(myITL)), metrics.Median(metrics.Sorted(theirITL))
				b.ReportMetric(ttft, "ttft-p50-ms")
				b.ReportMetric(sTTFT, "server-ttft-p50-ms")
				b.ReportMetric(itl, "itl-p50-ms")
				b.ReportMetric(sITL, "server-itl-p50-ms")
				b.ReportMetric(st.MedianSentTPOT, "sim-tpot-p50-ms")
				b.ReportMetric(math.Abs(100*(ttft-sTTFT)/sTTFT), "ttft-err-%")
				b.ReportMetric(math.Abs(100*(itl-sITL)/sITL), "itl-err-%")
				b.ReportMetric(float64(run.stats.Completed), "requests")
				reportCache(b, url)
			}
		})
	}
}

// BenchmarkReplayScale replays 256 lanes of traces whose contexts grow past
// 100k tokens against the simulated server (its own process) and reports
// the schedule lag (send time after the scheduled time), the client's CPU
// per request and its heap: the histories are block-id descriptors shared
// between turns, so memory follows the lanes, not the context lengths.
func BenchmarkReplayScale(b *testing.B) {
	for _, server := range []string{"sim", "light"} {
		b.Run("server="+server, func(b *testing.B) { benchScale(b, server) })
	}
}

func benchScale(b *testing.B, server string) {
	for range b.N {
		var url string
		if server == "sim" {
			cfg := simserver.DefaultOptions()
			cfg.Model, cfg.MaxModelLen = "m", 1<<22
			cfg.DecodeStepMs, cfg.DecodeMsPerSeq, cfg.PrefillMsPerToken = 20, 0, 0.00005
			cfg.MaxBatch, cfg.MaxPrefillTokens, cfg.EOSProbability = 1024, 1<<30, 0
			cfg.KVCacheTokens = 1 << 25 // prefix caching on, at 256 lanes of >100k-token contexts
			url = startSimProcess(b, &cfg)
		} else {
			url = startSimProcess(b, nil)
		}
		o := weka.DefaultSynthOptions()
		o.Traces, o.MinTurns, o.MaxTurns, o.FirstInput, o.SharedPrefix, o.TurnInput, o.Output = 256, 8, 12, 100000, 8192, 4000, 64
		o.MaxContext, o.ThinkTime, o.SubagentRate = 400000, 3, 0.05
		traces, err := weka.Synthesize(o)
		if err != nil {
			b.Fatal(err)
		}
		run := replayBench(b, url, traces, 256, 20*time.Second)
		if run.stats.Completed < 256 {
			b.Fatalf("%d requests completed (%d failed)", run.stats.Completed, run.stats.Failed)
		}
		lags := slices.Clone(run.coll.lags)
		if len(run.coll.fired) > 0 {
			f := metrics.Sorted(run.coll.fired)
			b.ReportMetric(metrics.Percentile(f, 99), "fire-lag-p99-ms")
			b.ReportMetric(metrics.Percentile(f, 50), "fire-lag-p50-ms")
		}
		s := metrics.Sorted(lags)
		maxIn := 0.0
		for _, r := range run.coll.records {
			maxIn = max(maxIn, r.Metrics["input_sequence_length"].Value)
		}
		sent := run.stats.Sent + run.stats.WarmupSent
		fl := metrics.Sorted(run.floor)
		b.ReportMetric(metrics.Percentile(fl, 99), "timer-floor-p99-ms")
		b.ReportMetric(metrics.Percentile(s, 50), "lag-p50-ms")
		b.ReportMetric(metrics.Percentile(s, 99), "lag-p99-ms")
		b.ReportMetric(float64(run.cpu.Microseconds())/1000/float64(sent), "cpu-ms/req")
		b.ReportMetric(run.heapMiB, "heap-MiB")
		b.ReportMetric(run.peakMiB, "peak-heap-MiB")
		if server == "sim" {
			reportCache(b, url)
		}
		b.ReportMetric(float64(sent), "requests")
		b.ReportMetric(maxIn, "max-prompt-tokens")
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
		}
	}
}

// reportCache reports the simulated server's prefix-cache hit rate, to show
// the cache was exercised while the timing was measured.
func reportCache(b *testing.B, url string) {
	b.Helper()
	var cs simserver.CacheStats
	getJSON(b, url+"/sim/cache", &cs)
	if cs.Queries > 0 {
		b.ReportMetric(100*float64(cs.GPUHits)/float64(cs.Queries), "prefix-hit-%")
	}
}
