package monitor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
)

// counting is a Reader of two GPUs whose readings count up; every third
// read of GPU 1 fails.
type counting struct {
	mu    sync.Mutex
	reads int
}

func (c *counting) Read(now Clock) ([]gpumetrics.Sample, []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	out := []gpumetrics.Sample{{UnixMilli: now().UnixMilli(), Index: 0, UUID: "G0", PowerW: float64(c.reads)}}
	if c.reads%3 == 0 {
		return out, []error{fmt.Errorf("GPU 1 power: read %d failed", c.reads)}
	}
	return append(out, gpumetrics.Sample{UnixMilli: now().UnixMilli(), Index: 1, UUID: "G1", PowerW: float64(c.reads)}), nil
}

type pollBackend struct {
	r      *counting
	closed bool
}

func (p *pollBackend) Name() string { return "test" }
func (p *pollBackend) Close() error { p.closed = true; return nil }
func (p *pollBackend) Run(ctx context.Context, iv time.Duration, emit func([]gpumetrics.Sample) error, warn func(error)) error {
	return Poll(ctx, p.r, time.Now, iv, emit, warn)
}

// writes records each Write call.
type writes struct {
	mu    sync.Mutex
	calls []string
}

func (w *writes) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, string(b))
	return len(b), nil
}

func TestRunWritesEachBatchWholeAndAFinalOne(t *testing.T) {
	b := &pollBackend{r: &counting{}}
	var out writes
	var log bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var st Stats
	var err error
	go func() {
		st, err = Run(ctx, Options{Backend: b, Interval: 5 * time.Millisecond, Out: &out, Log: &log, MaxWarnings: 2})
		close(done)
	}()
	for {
		b.r.mu.Lock()
		n := b.r.reads
		b.r.mu.Unlock()
		if n >= 10 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if err != nil || !b.closed {
		t.Fatalf("err %v, closed %v", err, b.closed)
	}
	if out.calls[0] != gpumetrics.Header+"\n" {
		t.Fatalf("first write %q", out.calls[0])
	}
	// Every later write is one batch: one or two complete rows.
	rows := 0
	for _, c := range out.calls[1:] {
		n := strings.Count(c, "\n")
		if n < 1 || n > 2 || !strings.HasSuffix(c, "\n") {
			t.Errorf("a write of %d rows: %q", n, c)
		}
		rows += n
	}
	if int64(rows) != st.Rows {
		t.Errorf("%d rows written, %d counted", rows, st.Rows)
	}
	if len(out.calls)-1 != b.r.reads {
		t.Errorf("%d batches written for %d reads (the last after the stop included)", len(out.calls)-1, b.r.reads)
	}
	if st.Warnings != int64(b.r.reads/3) || strings.Count(log.String(), "failed\n") != 2 || !strings.Contains(log.String(), "counting them") {
		t.Errorf("warnings %d, log:\n%s", st.Warnings, log.String())
	}
	f, err := gpumetrics.Parse([]byte(strings.Join(out.calls, "")))
	if err != nil || len(f.Rows) != rows || f.Truncated {
		t.Errorf("the file does not parse back: %v", err)
	}
}

type failing struct{ pollBackend }

func (failing) Run(context.Context, time.Duration, func([]gpumetrics.Sample) error, func(error)) error {
	return errors.New("device vanished")
}

func TestRunReportsBackendAndWriteErrors(t *testing.T) {
	if _, err := Run(context.Background(), Options{Backend: &failing{}, Interval: time.Second, Out: &writes{}, Log: &bytes.Buffer{}}); err == nil || !strings.Contains(err.Error(), "device vanished") {
		t.Errorf("backend error: %v", err)
	}
	if _, err := Run(context.Background(), Options{Backend: &failing{}, Interval: 0, Out: &writes{}, Log: &bytes.Buffer{}}); err == nil {
		t.Error("a zero interval was accepted")
	}
	bad := errWriter{}
	if _, err := Run(context.Background(), Options{Backend: &failing{}, Interval: time.Second, Out: bad, Log: &bytes.Buffer{}}); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("unwritable output: %v", err)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// BenchmarkWriteBatch is one sample of 8 GPUs written: what gpumon does
// every interval.
func BenchmarkWriteBatch(b *testing.B) {
	w, err := NewWriter(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]gpumetrics.Sample, 8)
	for i := range batch {
		batch[i] = gpumetrics.Sample{UnixMilli: 1796404503108, Index: i, UUID: "GPU-5d1e1a36-4b0e-3d5a-8f6e-0123456789ab", PowerW: 699.123, EnergyJ: 2377699.123, HasEnergy: true}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(batch); err != nil {
			b.Fatal(err)
		}
	}
}

// oneBatch is a backend that emits one fixed batch and stops.
type oneBatch struct {
	pollBackend
	batch []gpumetrics.Sample
}

func (o *oneBatch) Run(_ context.Context, _ time.Duration, emit func([]gpumetrics.Sample) error, _ func(error)) error {
	return emit(o.batch)
}

// TestRunKeepsUnreadableReadingsOutOfTheFile: what a backend reads wrong
// (NaN, infinite, negative) must not reach the CSV, where resultproc would
// refuse the row; it is reported as a failed reading instead.
func TestRunKeepsUnreadableReadingsOutOfTheFile(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	b := &oneBatch{batch: []gpumetrics.Sample{
		{UnixMilli: 1000, Index: 0, UUID: "G0", PowerW: 100, EnergyJ: 5, HasEnergy: true},
		{UnixMilli: 1000, Index: 1, UUID: "G1", PowerW: nan, EnergyJ: 5, HasEnergy: true},
		{UnixMilli: 1000, Index: 2, UUID: "G2", PowerW: 100, EnergyJ: nan, HasEnergy: true},
		{UnixMilli: 1000, Index: 3, UUID: "G3", PowerW: -1},
		{UnixMilli: 1000, Index: 4, UUID: "G4", PowerW: 100, EnergyJ: inf, HasEnergy: true},
	}}
	out, log := &writes{}, &bytes.Buffer{}
	st, err := Run(context.Background(), Options{Backend: b, Interval: time.Second, Out: out, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(out.calls, "")
	want := gpumetrics.Header + "\n1.000,0,G0,100.000,5.000\n1.000,2,G2,100.000,\n1.000,4,G4,100.000,\n"
	if got != want || st.Rows != 3 || st.Warnings != 4 {
		t.Errorf("%d rows, %d warnings:\n%s\nwant:\n%s", st.Rows, st.Warnings, got, want)
	}
	f, err := gpumetrics.Parse([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Rows {
		if r.Err != nil {
			t.Errorf("a written row does not read back: %v", r.Err)
		}
	}
	if strings.Count(log.String(), "expected a finite non-negative number") != 4 {
		t.Errorf("log:\n%s", log)
	}
}
