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
	t := time.NewTicker(every) // run checked it once before starting this
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !alive(pid) {
			stop(exited(pid))
			return
		}
	}
}

// serverGone tells, after a request could not connect or lost its stream,
// whether the server process is gone. A process that is exiting closes its
// sockets before it is marked dead, so one that still looks alive gets a
// moment more: a failure waits that long to be recorded, which only a run
// with --server-pid and a failing transport pays.
func serverGone(pid int) error {
	if alive(pid) {
		time.Sleep(exitGrace)
		if alive(pid) {
			return nil
		}
	}
	return exited(pid)
}

func exited(pid int) error { return fmt.Errorf("server process %d exited", pid) }

// exitGrace is how long a process's exit may take between closing its
// sockets and becoming a zombie.
const exitGrace = 100 * time.Millisecond
