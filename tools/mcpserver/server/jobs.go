package server

import (
	"context"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/inferencex/inferencex-go/tools/mcpserver/repocache"
	"github.com/inferencex/inferencex-go/tools/mcpserver/srctree"
)

// A job is slow network or disk work (a clone, fetching a version's files)
// that runs on the server's lifetime context rather than the request's.
// Clients give up on a request after a minute or so and cancel it; a first
// clone of a big repository can take longer, and if it died with each
// request it would never finish. A later request for the same work joins
// the running job.
type job struct {
	done  chan struct{}
	val   any
	err   error
	start time.Time
}

// PendingError is a request that stopped waiting for a job that goes on.
type PendingError struct {
	What  string
	Since time.Duration
	Err   error
}

func (e *PendingError) Error() string {
	return fmt.Sprintf("%s is still running in the background (for %s); ask again shortly: %v", e.What, e.Since.Round(time.Second), e.Err)
}

func (e *PendingError) Unwrap() error { return e.Err }

// progressEvery is how often a waiting request reports progress.
const progressEvery = 10 * time.Second

// run does work as the job named key of st, or joins it if it is running,
// and waits for it as long as ctx allows.
func (s *Server) run(ctx context.Context, st *fwState, key, what string, work func(context.Context) (any, error)) (any, error) {
	report := progressFrom(ctx)
	st.mu.Lock()
	j := st.jobs[key]
	if j == nil {
		if err := s.base.Err(); err != nil {
			st.mu.Unlock()
			return nil, fmt.Errorf("%s: server is shutting down: %w", what, err)
		}
		j = &job{done: make(chan struct{}), start: time.Now()}
		st.jobs[key] = j
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			j.val, j.err = work(s.base)
			st.mu.Lock()
			delete(st.jobs, key)
			st.mu.Unlock()
			close(j.done)
		}()
	}
	st.mu.Unlock()
	select {
	case <-j.done:
		return j.val, j.err
	default:
	}
	report(what)
	tick := time.NewTicker(s.progressEvery)
	defer tick.Stop()
	for {
		select {
		case <-j.done:
			return j.val, j.err
		case <-ctx.Done():
			return nil, &PendingError{What: what, Since: time.Since(j.start), Err: ctx.Err()}
		case <-tick.C:
			report(fmt.Sprintf("%s (%s so far)", what, time.Since(j.start).Round(time.Second)))
		}
	}
}

// ensure clones the framework's repository unless it is in the cache.
func (s *Server) ensure(ctx context.Context, st *fwState) error {
	if st.repo.Exists() {
		return nil
	}
	_, err := s.run(ctx, st, "clone", fmt.Sprintf("cloning %s from %s", st.fw.Name, st.repo.URL), func(ctx context.Context) (any, error) {
		return nil, st.repo.Ensure(ctx)
	})
	return err
}

// refresh fetches new tags once per process.
func (s *Server) refresh(ctx context.Context, st *fwState) error {
	if st.repo.Refreshed() {
		return nil
	}
	if err := s.ensure(ctx, st); err != nil {
		return err
	}
	_, err := s.run(ctx, st, "refresh", fmt.Sprintf("fetching new %s tags from %s", st.fw.Name, st.repo.URL), func(ctx context.Context) (any, error) {
		return nil, st.repo.Refresh(ctx, false)
	})
	return err
}

// extract fetches and writes the served files of a commit.
func (s *Server) extract(ctx context.Context, st *fwState, tag, commit string) (*srctree.Tree, error) {
	v, err := s.run(ctx, st, "extract "+commit, fmt.Sprintf("fetching and extracting the %s files of %s", st.fw.Name, tag), func(ctx context.Context) (any, error) {
		return st.repo.Extract(ctx, commit, s.opts.Filter)
	})
	if err != nil {
		return nil, err
	}
	return v.(*srctree.Tree), nil
}

// diff compares two commits; the blobs it fetches stay for the next try
// if the request gives up.
func (s *Server) diff(ctx context.Context, st *fwState, from, to DiffSide, o repocache.DiffOptions) (*repocache.Diff, error) {
	key := fmt.Sprintf("diff %s %s %q %d %v %d", from.Commit, to.Commit, o.Path, o.MaxFiles, o.Patch, o.MaxPatchBytes)
	v, err := s.run(ctx, st, key, fmt.Sprintf("comparing %s %s with %s", st.fw.Name, from.Tag, to.Tag), func(ctx context.Context) (any, error) {
		return st.repo.Diff(ctx, from.Commit, to.Commit, s.opts.Filter, o)
	})
	if err != nil {
		return nil, err
	}
	return v.(*repocache.Diff), nil
}

type progressKey struct{}

// withProgress lets the work done for a request report progress to its
// client, if the client asked for it with a progress token.
func withProgress(ctx context.Context, ss *mcp.ServerSession, token any) context.Context {
	if ss == nil || token == nil {
		return ctx
	}
	n := 0.0
	return context.WithValue(ctx, progressKey{}, func(msg string) {
		n++
		// Best effort: a client that went away does not fail the work.
		_ = ss.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: token, Message: msg, Progress: n})
	})
}

func progressFrom(ctx context.Context) func(string) {
	if f, ok := ctx.Value(progressKey{}).(func(string)); ok {
		return f
	}
	return func(string) {}
}
