// Package progress shows how far a run has got: a bar redrawn in place on a
// terminal, or a plain line every few seconds in a CI log, where carriage
// returns would pile up into one unreadable line.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Counts is a snapshot of the run.
type Counts struct {
	Done, Failed, OutputTokens int64
}

// Reporter prints progress until stopped.
type Reporter struct {
	w        io.Writer
	tty      bool
	total    int
	label    string
	src      func() Counts
	start    time.Time
	now      func() time.Time
	interval time.Duration

	mu      sync.Mutex
	stopped bool
	quit    chan struct{}
	done    chan struct{}
}

// Intervals between updates.
const (
	TTYInterval = 200 * time.Millisecond
	LogInterval = 5 * time.Second
)

// IsTerminal tells whether f is a terminal (a character device).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

// New returns a Reporter of total requests labelled label ("benchmark",
// "warmup"); Start begins printing.
func New(w io.Writer, tty bool, label string, total int, src func() Counts) *Reporter {
	interval := LogInterval
	if tty {
		interval = TTYInterval
	}
	return &Reporter{w: w, tty: tty, total: total, label: label, src: src, now: time.Now, interval: interval}
}

// Start prints an update every interval until Stop.
func (r *Reporter) Start() {
	r.start = r.now()
	r.quit, r.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.interval)
		defer t.Stop()
		for {
			select {
			case <-r.quit:
				return
			case <-t.C:
				r.print(false)
			}
		}
	}()
}

// Stop prints the final state and ends the updates.
func (r *Reporter) Stop() {
	if r == nil { // no reporter was wanted
		return
	}
	r.mu.Lock()
	if r.stopped || r.quit == nil {
		r.mu.Unlock()
		return
	}
	r.stopped = true
	r.mu.Unlock()
	close(r.quit)
	<-r.done
	r.print(true)
}

func (r *Reporter) print(final bool) {
	c := r.src()
	elapsed := r.now().Sub(r.start)
	secs := max(elapsed.Seconds(), 1e-9)
	rate := float64(c.Done) / secs
	tokRate := float64(c.OutputTokens) / secs
	failed := ""
	if c.Failed > 0 {
		failed = fmt.Sprintf(", %d failed", c.Failed)
	}
	if !r.tty {
		fmt.Fprintf(r.w, "%s: %d/%d requests (%.0f%%)%s, %.2f req/s, %.0f output tok/s, %s elapsed\n",
			r.label, c.Done, r.total, percent(c.Done, r.total), failed, rate, tokRate, clock(elapsed))
		return
	}
	const width = 30
	filled := 0
	if r.total > 0 {
		filled = int(float64(width) * float64(c.Done) / float64(r.total))
	}
	filled = min(max(filled, 0), width)
	eta := ""
	if c.Done > 0 && int(c.Done) < r.total {
		eta = ", ETA " + clock(time.Duration(float64(elapsed)*float64(int64(r.total)-c.Done)/float64(c.Done)))
	}
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(r.w, "\r%s [%s%s] %d/%d%s %.2f req/s %.0f tok/s %s%s\x1b[K%s", r.label,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), c.Done, r.total, failed, rate, tokRate,
		clock(elapsed), eta, end)
}

func percent(n int64, total int) float64 {
	if total <= 0 {
		return 100
	}
	return 100 * float64(n) / float64(total)
}

func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
