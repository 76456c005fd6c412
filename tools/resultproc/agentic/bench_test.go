package agentic

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// writeSyntheticRun writes a replay's artifacts with n profiling records
// (and a warmup and an error row per hundred), shaped as our loadgen
// writes them, under dir/results/aiperf_artifacts.
func writeSyntheticRun(tb testing.TB, dir string, n int) {
	tb.Helper()
	art := filepath.Join(dir, "results", "aiperf_artifacts")
	if err := os.MkdirAll(art, 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(filepath.Join(art, "profile_export.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(7, 11))
	base := int64(1_796_452_392_421_366_461)
	for i := 0; i < n; i++ {
		phase, errText := "profiling", "null"
		switch i % 100 {
		case 0:
			phase = "warmup"
		case 1:
			errText = `{"code": 500, "type": "ServerError", "message": "Internal Server Error"}`
		}
		start := base + int64(i)*30_000_000 + rng.Int64N(5_000_000_000)
		e2e := 50 + rng.Float64()*9000
		fmt.Fprintf(w, `{"metadata":{"session_num":%d,"x_request_id":"r-%d","x_correlation_id":"c-%d","conversation_id":"synth-%04d::sa:%d",`+
			`"turn_index":%d,"credit_issued_ns":%d,"request_start_ns":%d,"request_ack_ns":%d,"request_end_ns":%d,"worker_id":"lane-%d",`+
			`"record_processor_id":"loadgen","benchmark_phase":"%s","was_cancelled":false,"cancellation_time_ns":null,"agent_depth":0,`+
			`"parent_correlation_id":null,"root_correlation_id":"c-%d"},"metrics":{"input_sequence_length":{"value":%d,"unit":"tokens"},`+
			`"output_sequence_length":{"value":%d,"unit":"tokens"},"output_token_count":{"value":%d,"unit":"tokens"},`+
			`"request_latency":{"value":%v,"unit":"ms"},"time_to_first_token":{"value":%v,"unit":"ms"},`+
			`"inter_token_latency":{"value":%v,"unit":"ms"}},"error":%s}`+"\n",
			i, i, i, i%97, i%3, i%9, start, start, start+1000, start+int64(e2e*1e6), i%64, phase, i,
			100+rng.IntN(90000), 1+rng.IntN(2000), 1+rng.IntN(2000), e2e, 5+rng.Float64()*800, 2+rng.Float64()*60, errText)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	agg := `{"request_count": {"avg": 1, "unit": "requests"}, "metadata": {"dataset": {"name": "synth"}}}`
	if err := os.WriteFile(filepath.Join(art, "profile_export_aiperf.json"), []byte(agg), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkAggregate is one `resultproc agentic` run, reading the
// records to writing the result, at 20k and 100k records.
func BenchmarkAggregate(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			writeSyntheticRun(b, dir, n)
			env := map[string]string{"RESULT_FILENAME": "agg", "AGENTIC_OUTPUT_DIR": "out", "KV_OFFLOADING": "none",
				"FRAMEWORK": "vllm", "TP": "8", "CONC": "64", "HF_HUB_CACHE": "none", "HOME": dir}
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			b.ResetTimer()
			for b.Loop() {
				if rc := Run(Options{Lookup: lookup, Dir: dir, Stdout: io.Discard, Stderr: os.Stderr}); rc != 0 {
					b.Fatalf("exit %d", rc)
				}
			}
		})
	}
}

// BenchmarkQPSFarNegative is the window count for one bogus completion
// at -9e18 ns among 20k ordinary ones: 10^10 one-second windows, which
// the empty-window skips must cover in time proportional to the records.
func BenchmarkQPSFarNegative(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	records := make([]Record, 20_000)
	base := int64(1_796_452_392_421_366_461)
	for i := range records {
		ns := base + int64(i)*30_000_000 + rng.Int64N(5_000_000_000)
		if i == 0 {
			ns = -9_000_000_000_000_000_000
		}
		records[i].Meta = map[string]any{"request_end_ns": json.Number(strconv.FormatInt(ns, 10))}
	}
	for b.Loop() {
		if _, err := qps(records); err != nil {
			b.Fatal(err)
		}
	}
}
