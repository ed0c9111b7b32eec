package builder

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/placement"
	"github.com/weld-build/weld/internal/sched"
)

// A fleet is a run on a Pool of more than one live daemon. Every step has
// a session of its own (no folding) on the daemon placement chose for it
// (internal/placement: critical path first, by the durations of earlier
// runs in <work dir>/.weld/durations.json, cache affinity on ties), within
// that daemon's capacity. A step that a dependent placed elsewhere needs
// hands its image over through the staging registry (handover.go); the
// dependent waits for it before it takes a slot, so no slot is held while
// waiting for another daemon. A step whose daemon is lost mid-build runs
// again on another (at most retries times), and a daemon lost is never
// used again by the run.
type fleet struct {
	daemons   []*poolDaemon
	pool      *Pool
	limits    []*sched.Limiter
	plan      placement.Plan
	staging   string          // REGISTRY/PREFIX, "" without WithStaging
	handing   map[string]bool // the steps that hand their image over
	ranks     map[string]float64
	tasks     map[string]placement.Task // by label: what placement saw
	retries   int
	mu        sync.Mutex
	handovers map[string]*handover
}

// handoverCost is what placement counts for moving a result between
// daemons: a push and a pull of its layers through the staging registry
// (measured on loopback: 0.1 s push, 0.2 s pull of a 1.1 MB image, plus its
// export; a constant, so it undercounts big images on a real network).
const handoverCost = 0.5

// fleetRetries is how many times a step runs again after its daemon was lost.
const fleetRetries = 2

// newFleet places the steps when the Builder's Solver is a Pool with more
// than one live daemon; nil otherwise (one daemon: nothing changes).
func (b *Builder) newFleet(p *dag.Plan, steps []*dag.Step) (*fleet, error) {
	pool, ok := b.solver.(*Pool)
	if !ok {
		return nil, nil
	}
	live := pool.daemons()
	if len(live) < 2 {
		return nil, nil
	}
	f := &fleet{daemons: live, pool: pool, staging: b.o.staging, retries: fleetRetries,
		handing: map[string]bool{}, handovers: map[string]*handover{}}
	h := handoverCost
	if f.staging == "" {
		h = 1e6 // without a staging registry a dependent re-solves what it needs
	}
	ts := tasks(steps, b.o.durationsOf(p).load(), defaultPlatform(f.pooled()))
	f.plan = placement.Place(ts, f.pooled(), h)
	f.ranks = placement.Ranks(ts, h)
	f.tasks = map[string]placement.Task{}
	for _, t := range ts {
		f.tasks[t.ID] = t
	}
	for _, d := range live {
		f.limits = append(f.limits, sched.NewLimiter(d.capacity))
	}
	selected := map[string]*dag.Step{}
	for _, s := range steps {
		selected[s.Label] = s
	}
	for _, s := range steps {
		for _, d := range s.DependsOn {
			// A multi-platform result is not handed over (yet): its dependent
			// solves it on its own daemon.
			if dep := selected[d]; dep != nil && f.staging != "" && f.placed(d) != f.placed(s.Label) && len(dep.Platforms) == 0 {
				f.handing[d] = true
			}
		}
	}
	for l := range f.handing {
		f.handovers[l] = &handover{done: sched.NewFuture()}
	}
	return f, nil
}

func (f *fleet) pooled() []placement.Daemon {
	var out []placement.Daemon
	for _, d := range f.daemons {
		out = append(out, placement.Daemon{Name: d.addr, Capacity: d.capacity, Native: d.native, Runs: d.runs})
	}
	return out
}

// rankSteps are the steps' upward ranks (their longest path to the end in
// the durations of earlier runs, 1 s each when unknown): the order in
// which steps take --jobs slots, critical path first.
func rankSteps(at durationsAt, steps []*dag.Step) map[string]float64 {
	return placement.Ranks(tasks(steps, at.load(), ""), 0)
}

// tasks are the steps as placement sees them: their dependencies, their
// durations of earlier runs (1 s when unknown), their cache key and their
// platforms (def for a step without: poolplatforms.go).
func tasks(steps []*dag.Step, durations map[string]float64, def string) []placement.Task {
	selected := map[string]bool{}
	for _, s := range steps {
		selected[s.Label] = true
	}
	var out []placement.Task
	for _, s := range steps {
		t := placement.Task{ID: s.Label, Cost: durations[s.Label], Key: s.Label + "\x00" + s.Context, Platforms: stepPlatforms(s, def)}
		for _, d := range s.DependsOn {
			if selected[d] {
				t.Deps = append(t.Deps, d)
			}
		}
		out = append(out, t)
	}
	return out
}

func (f *fleet) placed(label string) int { return f.plan.Slots[label].Daemon }

// handsOver reports whether the step's image goes to the staging registry.
func (f *fleet) handsOver(label string) bool { return f != nil && f.handing[label] }

// pick is the daemon to run a step on: its placed one, unless that was
// lost (pickFor).
func (f *fleet) pick(s *dag.Step) (int, bool) { return f.pickFor(f.placed(s.Label), f.tasks[s.Label]) }

// pickFor is home, unless that daemon was lost; then, of the live daemons
// t's platforms allow, the one t's cache key prefers.
func (f *fleet) pickFor(home int, t placement.Task) (int, bool) {
	f.pool.mu.Lock()
	defer f.pool.mu.Unlock()
	if !f.daemons[home].lost {
		return home, true
	}
	var live []int
	var ds []placement.Daemon
	for i, d := range f.pooled() {
		if !f.daemons[i].lost {
			live, ds = append(live, i), append(ds, d)
		}
	}
	ok := placement.Eligible(t, ds)
	for _, j := range placement.Rendezvous(t.Key, ds) {
		if slices.Contains(ok, j) {
			return live[j], true
		}
	}
	return 0, false
}

// slotOn is where step s runs on daemon d: its client, its slots, and the
// handovers it waits for there.
func (f *fleet) slotOn(r *run, s *dag.Step, d int, quiet bool) daemonSlot {
	return daemonSlot{solver: f.daemons[d].Client, name: f.daemons[d].name, native: f.daemons[d].native, limit: f.limits[d], rank: f.ranks[s.Label], quiet: quiet,
		wait: func(ctx context.Context) error { return f.waitHandovers(ctx, r, s, d) }}
}

// runStep runs a step on its daemon, and again on another when that
// daemon is lost, within the step's retry budget; a split step's parts
// on theirs (fleetsplit.go).
func (f *fleet) runStep(ctx context.Context, r *run, s *dag.Step) outcome {
	if parts := f.parts(r, s); parts != nil {
		return f.runParts(ctx, r, s, parts)
	}
	o := f.attempts(ctx, r, s, fmt.Sprintf("step %q", s.Label), "the step", func() (int, bool) { return f.pick(s) }, func(d int) outcome {
		return r.runOn(ctx, s, f.slotOn(r, s, d, false))
	})
	if h := f.handovers[s.Label]; h != nil && o.err != nil {
		h.done.Resolve(o.err)
	}
	return o
}

// attempts runs work on the daemon pick gives, and again on the next one
// when that daemon is lost, at most f.retries times again; what names the
// work in errors and warnings, again in the warning of a retry.
func (f *fleet) attempts(ctx context.Context, r *run, s *dag.Step, what, again string, pick func() (int, bool), work func(d int) outcome) outcome {
	var o outcome
	for attempt := 0; ; attempt++ {
		d, ok := pick()
		if !ok {
			o.err = fmt.Errorf("%s: %w: every daemon of the pool was lost", what, ErrDaemonLost)
			return o
		}
		o = work(d)
		if o.err == nil || context.Cause(ctx) != nil || !f.lost(ctx, d, o.err) {
			return o
		}
		if attempt >= f.retries {
			o.err = fmt.Errorf("%s: lost its daemon %d times (its retry budget is %d): %w", what, attempt+1, f.retries, o.err)
			return o
		}
		next, _ := pick()
		r.emit(Event{Step: s.Label, Type: EventWarning, Message: fmt.Sprintf("step %s: daemon %s was lost; running %s again on %s (retry %d of %d)",
			s.Label, f.daemons[d].name, again, f.daemons[next].name, attempt+1, f.retries)})
	}
}

// lost reports whether daemon d failed the step because it went away (it
// no longer answers), and if so marks it lost for the rest of the run.
func (f *fleet) lost(ctx context.Context, d int, err error) bool {
	if !errors.Is(err, ErrDaemonLost) {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, perr := f.daemons[d].ListWorkers(pctx)
		cancel()
		if perr == nil {
			return false // it answers: the step itself failed
		}
	}
	f.pool.mu.Lock()
	defer f.pool.mu.Unlock()
	f.daemons[d].lost = true
	return true
}

// Placement is where a run on a pool of daemons would put each step, as
// weld plan --builders shows it.
type Placement struct {
	// Daemons are the pool's addresses, redacted; Slot.Daemon indexes them.
	Daemons []string
	// Plan is the placement: per step its daemon and expected times.
	Plan placement.Plan
	// LowerBound is a makespan no placement can beat with these durations:
	// with Exact, the best placement's (placement.Best tried every one),
	// else a bound below it (placement.LowerBound).
	LowerBound float64
	Exact      bool
	// Pool and Tasks are the daemons (their native platforms from the
	// builders file) and the steps as placement saw them, in order.
	Pool  []placement.Daemon
	Tasks []placement.Task
	// Splits are, for each step whose platforms a build splits over
	// several daemons (fleetsplit.go), the daemon of each of its platforms,
	// in its order.
	Splits map[string][]int
}

// Place is the placement a run of steps on daemons of the given
// capacities makes, with the durations of earlier runs in workDir.
func Place(steps []*dag.Step, workDir string, daemons []PoolMember) Placement {
	var pd []placement.Daemon
	out := Placement{}
	for _, m := range daemons {
		pd = append(pd, placement.Daemon{Name: m.Connect.Addr, Capacity: max(m.Capacity, 1), Native: normalized(m.Platforms)})
	}
	if p, err := NewPool(daemons...); err == nil {
		out.Daemons = p.Names()
	}
	ts := tasks(steps, LoadDurations(workDir), defaultPlatform(pd))
	out.Pool, out.Tasks = pd, ts
	out.Plan = placement.Place(ts, pd, handoverCost)
	out.LowerBound = placement.LowerBound(ts, pd)
	if best, ok := placement.Best(ts, pd, handoverCost); ok {
		out.LowerBound, out.Exact = best, true
	}
	out.Splits = map[string][]int{}
	for i, s := range steps {
		if len(ts[i].Platforms) < 2 {
			continue
		}
		sp := placement.Split(ts[i], out.Plan.Slots[s.Label].Daemon, pd, nil)
		if groupParts(ts[i].Platforms, sp) != nil {
			out.Splits[s.Label] = sp
		}
	}
	return out
}
