package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/sched"
)

// This file holds how a step waits (internal/sched has the primitives):
// under --jobs, for the futures of the steps it needs; when it publishes,
// at the publish gate, which every step passes or fails.

// waitDeps waits until the step's direct dependencies have built and
// reports whether they all did. It is used when --jobs caps concurrency: a
// capped step then holds a slot only while it really works. A published
// step's session only ends after the publish gate, so a future resolves
// when its step has built, never at the session's end.
func (r *run) waitDeps(ctx context.Context, s *dag.Step) error {
	for _, d := range s.DependsOn {
		f, ok := r.futures[d]
		if !ok || r.host[d] == s.Label {
			continue // a step it hosts is built in its own session (fold.go)
		}
		if err := f.Wait(ctx); err != nil {
			if context.Cause(ctx) != nil {
				return fmt.Errorf("step %q: %w", s.Label, context.Canceled)
			}
			return fmt.Errorf("step %q: %w: %s", s.Label, ErrDependencyFailed, d)
		}
	}
	return nil
}

// errStepFailed resolves the future of a step that did not build.
var errStepFailed = errors.New("the step did not build")

// waitGate holds a built step until publishing may start (nil), or tells
// it that another step failed (ErrNotPublished), or that the run ended.
func (r *run) waitGate(ctx context.Context, s *dag.Step) error {
	switch err := r.gate.Wait(ctx); {
	case err == nil:
		return nil
	case errors.Is(err, sched.ErrBroken):
		return ErrNotPublished
	default:
		return fmt.Errorf("step %q: %w", s.Label, context.Canceled)
	}
}
