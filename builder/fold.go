package builder

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/weld-build/weld/dag"
)

// A step that is not published and has nothing to check on its own (no
// command, tests, after_build_command, artifacts for --artifacts-dir, nor a
// cache of its own to export) needs no session of its own: the steps that
// depend on it solve it in theirs anyway. It is folded into its host, the
// first step in build order that needs it and has a session, which
// evaluates it beside its own build and reports it as the step it is:
// started, built or failed, with its own duration and vertices. This saves
// a session, a context transfer and a frontend run per such step and per
// step above it: a chain of n FROM <step> ran n(n+1)/2 frontends.

// foldHosts returns, for each foldable step, the label of its host; a
// step that cannot be folded is not in the map.
func (r *runConfig) foldHosts() map[string]string {
	can := map[string]bool{}
	for _, s := range r.steps {
		can[s.Label] = r.foldable(s)
	}
	hosts := map[string]string{}
	for _, s := range r.steps {
		if !can[s.Label] {
			continue
		}
		// The first session that solves it: a foldable dependent has none.
		for _, d := range r.dependents(s.Label) {
			if !can[d.Label] {
				hosts[s.Label] = d.Label
				break
			}
		}
	}
	return hosts
}

// dependents are the selected steps whose sessions solve step label (they
// need it, directly or not), in build order.
func (r *runConfig) dependents(label string) []*dag.Step {
	var out []*dag.Step
	for _, l := range r.plan.Dependents(label) {
		if d, ok := r.byLabel[l]; ok {
			out = append(out, d)
		}
	}
	return out
}

// foldable reports whether s has nothing that needs a session of its own.
func (r *runConfig) foldable(s *dag.Step) bool {
	switch {
	case r.publish[s.Label], s.Command != "", len(s.Tests) > 0:
		return false
	case r.opts.afterBuild && s.AfterBuildCommand != "":
		return false
	case r.opts.artifactsDir != "" && len(s.Artifacts) > 0:
		return false
	case len(r.opts.cacheTo) > 0:
		return false
	case len(s.Platforms) > 0: // its host would evaluate one platform of it
		return false
	}
	return len(r.dependents(s.Label)) > 0
}

// hosted returns the steps folded into host, in build order.
func (r *runConfig) hosted(host string) []*dag.Step {
	var out []*dag.Step
	for _, s := range r.steps {
		if r.host[s.Label] == host {
			out = append(out, s)
		}
	}
	return out
}

// folded are the evaluations of the steps a session hosts.
type folded struct {
	g      errgroup.Group
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	errs   map[string]error
	order  []*dag.Step
}

// errHostStopped cancels the hosted evaluations of a session that ends
// before them: those steps then run on their own (unfinishedHosted).
var errHostStopped = errors.New("the hosting session stopped")

// startFolded solves the steps this session hosts and evaluates each of
// them beside the session's own work.
func (ss *stepSession) startFolded(ctx context.Context) *folded {
	fctx, cancel := context.WithCancelCause(ctx)
	f := &folded{errs: map[string]error{}, cancel: cancel, order: ss.hosted(ss.step.Label)}
	for _, u := range f.order {
		clk := newClock()
		ss.emit(Event{Step: u.Label, Type: EventStarted})
		sv, err := ss.solve(fctx, u)
		if err == nil {
			ss.recordDef(u.Label, sv.def)
			clk.phase(PhaseFrontend)
		}
		f.g.Go(func() error {
			if err == nil {
				err = sv.ref.Evaluate(fctx)
			}
			if err == nil {
				err = ss.checkArtifacts(fctx, u, sv)
				clk.phase(PhaseSolve)
			}
			if errors.Is(context.Cause(fctx), errHostStopped) && context.Cause(ctx) == nil {
				return nil // not ended: it runs on its own
			}
			ss.foldedDone(ctx, u, clk, err)
			f.mu.Lock()
			f.errs[u.Label] = err
			f.mu.Unlock()
			return nil
		})
	}
	return f
}

// wait waits for the hosted steps; a failed one fails the host as a
// dependency failure (reported once, against the hosted step).
func (f *folded) wait(s *dag.Step) error {
	_ = f.g.Wait()
	for _, u := range f.order {
		if err := f.errs[u.Label]; err != nil {
			return fmt.Errorf("step %q: %w: %s", s.Label, ErrDependencyFailed, u.Label)
		}
	}
	return nil
}

// stop ends the hosted evaluations that are still running (the session is
// ending without them) and waits for them.
func (f *folded) stop() {
	f.cancel(errHostStopped)
	_ = f.g.Wait()
}

// foldedDone records how a hosted step ended; its vertex counts come
// with its host's outcome (runStep's counted).
func (ss *stepSession) foldedDone(ctx context.Context, u *dag.Step, clk *clock, err error) {
	if err == nil {
		ss.stepBuilt(u, clk)
	} else {
		err = ss.explain(ctx, u, ss.tr, err)
	}
	ss.finish(ctx, u, outcome{err: err, clock: clk, folded: true, daemon: addrOf(ss.solver)})
}

// unfinishedHosted are the steps host was to fold that never ended (the
// host stopped before it evaluated them): they run on their own.
func (r *run) unfinishedHosted(host string) []*dag.Step {
	var out []*dag.Step
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range r.hosted(host) {
		if !r.results[u.Label].folded {
			out = append(out, u)
		}
	}
	return out
}
