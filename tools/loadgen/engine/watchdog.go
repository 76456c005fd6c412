package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// flight is a streaming request the watchdog looks after.
type flight struct {
	lastRead   atomic.Int64 // offset from the run's start of the latest read
	firstToken atomic.Bool
	cancel     context.CancelCauseFunc
}

// watchdog cancels streams that have gone silent. One goroutine checks
// every stream a few times per timeout, so that the reading path pays only
// an atomic store per read rather than a timer reset.
type watchdog struct {
	timeout time.Duration
	start   time.Time
	mu      sync.Mutex
	flights map[*flight]struct{}
	quit    chan struct{}
	done    chan struct{}
}

func newWatchdog(timeout time.Duration, start time.Time) *watchdog {
	w := &watchdog{timeout: timeout, start: start, flights: map[*flight]struct{}{}}
	if timeout <= 0 {
		return w
	}
	w.quit, w.done = make(chan struct{}), make(chan struct{})
	go w.loop()
	return w
}

func (w *watchdog) track(cancel context.CancelCauseFunc) *flight {
	f := &flight{cancel: cancel}
	if w.quit == nil {
		return f
	}
	w.mu.Lock()
	w.flights[f] = struct{}{}
	w.mu.Unlock()
	return f
}

func (w *watchdog) untrack(f *flight) {
	if w.quit == nil {
		return
	}
	w.mu.Lock()
	delete(w.flights, f)
	w.mu.Unlock()
}

func (w *watchdog) loop() {
	defer close(w.done)
	tick := min(max(w.timeout/4, 5*time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
		now := time.Since(w.start)
		w.mu.Lock()
		for f := range w.flights {
			// Before the first token only the request timeout applies: a
			// long queue before prefill is the server's normal behaviour
			// under load, not a stall.
			if f.firstToken.Load() && now-time.Duration(f.lastRead.Load()) > w.timeout {
				f.cancel(errStall)
			}
		}
		w.mu.Unlock()
	}
}

func (w *watchdog) stop() {
	if w.quit == nil {
		return
	}
	close(w.quit)
	<-w.done
}
