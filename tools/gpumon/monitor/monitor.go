// Package monitor is gpumon's sampling loop: it reads every GPU of a
// backend at a fixed interval and writes each batch of readings to the CSV
// file as soon as it has them, in one write, so that a gpumon killed
// without warning loses at most its last batch. When asked to stop it
// takes one more batch first: the benchmark window ends just before the
// stop, and integration needs a sample past it.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
)

// Backend is one source of GPU telemetry.
type Backend interface {
	// Name is what the messages call it ("NVML", "amd-smi", "fake").
	Name() string
	// Run reads every GPU every interval, handing each batch to emit,
	// until ctx is done; then it reads one more batch and returns. A
	// reading that fails is reported through warn and left out; Run
	// returns an error only when it cannot go on at all.
	Run(ctx context.Context, interval time.Duration, emit func([]gpumetrics.Sample) error, warn func(error)) error
	// Close releases the backend (after Run).
	Close() error
}

// Clock tells the time (time.Now outside tests).
type Clock func() time.Time

// Reader reads every GPU once; a polling backend (NVML, fake) is one.
type Reader interface {
	Read(now Clock) ([]gpumetrics.Sample, []error)
}

// Poll runs a Reader on a ticker, the loop of a polling backend's Run.
func Poll(ctx context.Context, r Reader, now Clock, interval time.Duration, emit func([]gpumetrics.Sample) error, warn func(error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	read := func() error {
		batch, errs := r.Read(now)
		for _, err := range errs {
			warn(err)
		}
		if len(batch) == 0 {
			return nil
		}
		return emit(batch)
	}
	if err := read(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			// The sample past the window's end.
			return read()
		case <-t.C:
			if err := read(); err != nil {
				return err
			}
		}
	}
}

// Writer writes gpumon's CSV: the header, then one write per batch.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	rows int64
	buf  []byte
}

// NewWriter writes the header to w.
func NewWriter(w io.Writer) (*Writer, error) {
	if _, err := io.WriteString(w, gpumetrics.Header+"\n"); err != nil {
		return nil, err
	}
	return &Writer{w: w}, nil
}

// Write appends a batch of rows, whole.
func (w *Writer) Write(batch []gpumetrics.Sample) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = w.buf[:0]
	for _, s := range batch {
		w.buf = gpumetrics.AppendRow(w.buf, s)
	}
	if _, err := w.w.Write(w.buf); err != nil {
		return err
	}
	w.rows += int64(len(batch))
	return nil
}

// Rows is how many rows were written.
func (w *Writer) Rows() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rows
}

// Options configure a monitoring run.
type Options struct {
	Backend  Backend
	Interval time.Duration
	Out      io.Writer // the CSV
	Log      io.Writer // warnings
	// MaxWarnings caps how many failed readings are reported one by one
	// (the rest are counted); 0 means 20.
	MaxWarnings int
}

// Stats is what a run did.
type Stats struct {
	Rows     int64
	Warnings int64
}

// Run monitors until ctx is done (and the last batch is written).
func Run(ctx context.Context, o Options) (Stats, error) {
	if o.Interval <= 0 {
		return Stats{}, errors.New("the sampling interval must be positive")
	}
	w, err := NewWriter(o.Out)
	if err != nil {
		return Stats{}, fmt.Errorf("writing the CSV header: %w", err)
	}
	maxWarn := int64(o.MaxWarnings)
	if maxWarn == 0 {
		maxWarn = 20
	}
	var warnings int64
	var mu sync.Mutex
	warn := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		warnings++
		switch {
		case warnings <= maxWarn:
			fmt.Fprintf(o.Log, "gpumon: %s: %v\n", o.Backend.Name(), err)
		case warnings == maxWarn+1:
			fmt.Fprintf(o.Log, "gpumon: %s: more failed readings; counting them from now on\n", o.Backend.Name())
		}
	}
	runErr := o.Backend.Run(ctx, o.Interval, func(batch []gpumetrics.Sample) error {
		return w.Write(sane(batch, warn))
	}, warn)
	closeErr := o.Backend.Close()
	mu.Lock()
	st := Stats{Rows: w.Rows(), Warnings: warnings}
	mu.Unlock()
	return st, errors.Join(runErr, closeErr)
}

// sane keeps a reading the CSV's own reader would reject out of the file:
// a power that is not a finite non-negative number drops that GPU's row, a
// counter that is not one is left empty, and each is reported as a failed
// reading. A backend's bug then costs a sample, not a file resultproc
// must refuse.
func sane(batch []gpumetrics.Sample, warn func(error)) []gpumetrics.Sample {
	ok := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) } // false for NaN too
	out := batch[:0:0]
	for _, s := range batch {
		if !ok(s.PowerW) {
			warn(fmt.Errorf("GPU %d: power reading %v W, expected a finite non-negative number; row left out", s.Index, s.PowerW))
			continue
		}
		if s.HasEnergy && !ok(s.EnergyJ) {
			warn(fmt.Errorf("GPU %d: energy counter %v J, expected a finite non-negative number; left empty", s.Index, s.EnergyJ))
			s.HasEnergy = false
		}
		out = append(out, s)
	}
	return out
}
