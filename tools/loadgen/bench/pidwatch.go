package bench

import (
	"context"
	"fmt"
	"time"
)

// watchPID stops the run when process pid is gone, as benchmark_lib.sh's
// monitor loop did around the Python client, but from inside: what was
// measured is still written.
func watchPID(ctx context.Context, pid int, every time.Duration, stop context.CancelCauseFunc) {
	if every <= 0 {
		every = time.Second
	}
	if !alive(pid) {
		stop(fmt.Errorf("server process %d is not running", pid))
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !alive(pid) {
			stop(fmt.Errorf("server process %d exited", pid))
			return
		}
	}
}
