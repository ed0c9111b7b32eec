package builder

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/weld-build/weld/dag"
)

// This file holds the publish gate and the futures that the scheduler's
// steps wait on.

// future tells the steps that wait on a step (under --jobs) when it has
// built, and whether it failed. A published step's session only ends after
// the publish phase, which waits for every step: so dependents wait for
// built, never for the session's end.
type future struct {
	built  chan struct{}
	once   sync.Once
	failed atomic.Bool
}

// markBuilt releases the step's waiters; failed says whether it failed.
func (f *future) markBuilt(failed bool) {
	if failed {
		f.failed.Store(true)
	}
	f.once.Do(func() { close(f.built) })
}

// waitDeps waits until the step's direct dependencies have built and
// reports whether they all did. It is used when --jobs caps concurrency: a capped
// step then holds a slot only while it really works.
func (r *run) waitDeps(ctx context.Context, s *dag.Step) error {
	for _, d := range s.DependsOn {
		f, ok := r.futures[d]
		if !ok || r.host[d] == s.Label {
			continue // a step it hosts is built in its own session (fold.go)
		}
		select {
		case <-f.built:
			if f.failed.Load() {
				return fmt.Errorf("step %q: %w: %s", s.Label, ErrDependencyFailed, d)
			}
		case <-ctx.Done():
			return fmt.Errorf("step %q: %w", s.Label, context.Canceled)
		}
	}
	return nil
}

// publishGate holds exporting sessions until every step has built and passed
// its checks, or releases them with an error when any failed.
type publishGate struct {
	mu      sync.Mutex
	pending int
	ok      chan struct{}
	failed  chan struct{}
	once    sync.Once
}

func newPublishGate(n int) *publishGate {
	g := &publishGate{pending: n, ok: make(chan struct{}), failed: make(chan struct{})}
	if n == 0 {
		close(g.ok)
	}
	return g
}

// built marks one step as built and verified.
func (g *publishGate) built() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending--
	if g.pending == 0 {
		close(g.ok)
	}
}

// fail releases every waiting session without publishing.
func (g *publishGate) fail() { g.once.Do(func() { close(g.failed) }) }

// wait blocks until publishing may start (nil) or must not.
func (g *publishGate) wait(ctx context.Context) error {
	select {
	case <-g.failed:
		return ErrNotPublished
	case <-ctx.Done():
		select {
		case <-g.failed: // canceled because another step failed
			return ErrNotPublished
		default:
			return context.Cause(ctx)
		}
	case <-g.ok:
		// A failure may have raced with the last success.
		select {
		case <-g.failed:
			return ErrNotPublished
		default:
			return nil
		}
	}
}
