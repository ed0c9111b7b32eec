package builder

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/placement"
)

// A step of several platforms, in a pool whose daemons are native for
// different ones of them, is split: each daemon native for some of its
// platforms builds those in a session of its own (a platform no daemon
// runs natively goes to the step's placed daemon, under emulation there),
// as buildx's multi-node builders split a build by platform. A published
// step's parts export into its one staged layout; weld then writes the
// index a single session would have exported (mergeParts), and readies,
// checks and publishes that as any other step's image. A step not
// published (a compile step) only builds: its dependents' parts, split the
// same way, build each platform of it again from the cache of the daemon
// native for it. A part whose daemon is lost runs again on another, within
// the step's retry budget. Not split (one session on one daemon, emulating
// what it must): a step whose image is checked inside its session, or that
// has an after_build_command to run once, artifacts for --artifacts-dir,
// or a cache for --cache-to.

// part is the platforms of a split step that one daemon builds.
type part struct {
	daemon    int
	platforms []string
}

// partResult is what one part's session left.
type partResult struct {
	o      outcome
	tr     *tracker
	resp   *client.SolveResponse
	daemon int
	ended  time.Time
}

// splittable reports whether step s may build its platforms in sessions on
// several daemons.
func (r *run) splittable(s *dag.Step) bool {
	switch {
	case len(s.Platforms) < 2, r.checksInSession(s), len(r.opts.cacheTo) > 0:
		return false
	case r.opts.afterBuild && s.AfterBuildCommand != "":
		return false
	case r.opts.artifactsDir != "" && len(s.Artifacts) > 0:
		return false
	}
	return true
}

// parts splits step s over the live daemons native for its platforms
// (placement.Split). Nil when s is not split: it is not splittable, its
// placed daemon was lost, or every platform lands on one daemon.
func (f *fleet) parts(r *run, s *dag.Step) []part {
	if !r.splittable(s) {
		return nil
	}
	f.pool.mu.Lock()
	defer f.pool.mu.Unlock()
	home := f.placed(s.Label)
	if f.daemons[home].lost {
		return nil
	}
	t := f.tasks[s.Label]
	t.Platforms = s.Platforms
	return groupParts(s.Platforms, placement.Split(t, home, f.pooled(), func(i int) bool { return !f.daemons[i].lost }))
}

// groupParts groups platforms by the daemon each is assigned to, in the
// order of their first platform; nil when that is one daemon.
func groupParts(platforms []string, daemons []int) []part {
	var out []part
	at := map[int]int{}
	for i, p := range platforms {
		d := daemons[i]
		if j, ok := at[d]; ok {
			out[j].platforms = append(out[j].platforms, p)
			continue
		}
		at[d] = len(out)
		out = append(out, part{daemon: d, platforms: []string{p}})
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// runParts runs every part of split step s at once, each in a session of
// its own on its daemon, then readies and publishes their merged image.
// The first part to fail cancels the others, and its error is the step's.
func (f *fleet) runParts(ctx context.Context, r *run, s *dag.Step, parts []part) outcome {
	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	res := make([]partResult, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() {
			ps := *s // the step, for this part's platforms only
			ps.Platforms = p.platforms
			res[i] = f.runPart(pctx, r, &ps, p.daemon, i > 0)
			if res[i].o.err != nil {
				cancel(res[i].o.err)
			}
		})
	}
	wg.Wait()
	if cause := context.Cause(pctx); cause != nil && ctx.Err() == nil {
		for _, pr := range res {
			if pr.o.err == cause {
				return pr.o
			}
		}
	}
	for _, pr := range res {
		if pr.o.err != nil {
			return pr.o
		}
	}
	o, tr := f.joinParts(s, res)
	if !r.publish[s.Label] { // its dependents' parts build it again, from their daemons' caches
		r.stepBuilt(s, o.clock)
		return o
	}
	resp, err := mergedResponse(r, s, res)
	if err != nil {
		o.err = &StepError{Step: s.Label, Err: fmt.Errorf("merging the platforms built on %s: %w", o.daemon, err)}
		return o
	}
	r.publishStep(ctx, s, tr, resp, &o)
	for i := range o.platforms { // each platform's image names its daemon
		for j, p := range parts {
			if slices.ContainsFunc(p.platforms, func(q string) bool { return platformKey(q) == platformKey(o.platforms[i].Platform) }) {
				o.platforms[i].Daemon = f.daemons[res[j].daemon].name
			}
		}
	}
	return o
}

// runPart runs one part's session (s has that part's platforms), on home
// or, when that daemon is lost, on another that can build them.
func (f *fleet) runPart(ctx context.Context, r *run, s *dag.Step, home int, quiet bool) partResult {
	var pr partResult
	t := f.tasks[s.Label]
	t.Platforms = s.Platforms
	what := fmt.Sprintf("step %q (%s)", s.Label, strings.Join(s.Platforms, ", "))
	pr.o = f.attempts(ctx, r, s, what, "its "+strings.Join(s.Platforms, ", ")+" part", func() (int, bool) { return f.pickFor(home, t) }, func(d int) outcome {
		pr.o, pr.tr, pr.resp = r.sessionOn(ctx, s, f.slotOn(r, s, d, quiet))
		pr.daemon, pr.ended = d, time.Now()
		return pr.o
	})
	return pr
}

// joinParts is the outcome of split step s whose parts all built, and
// the progress to go on with: the clock and progress of the part that
// ended last, every part's vertices, its work as the longest part's, the
// daemons in part order (each once).
func (f *fleet) joinParts(s *dag.Step, res []partResult) (outcome, *tracker) {
	last := 0
	var names []string
	var work time.Duration
	for i, pr := range res {
		if pr.ended.After(res[last].ended) {
			last = i
		}
		if n := f.daemons[pr.daemon].name; !slices.Contains(names, n) { // a part run again elsewhere may share one
			names = append(names, n)
		}
		work = max(work, pr.o.work[s.Label])
	}
	o := res[last].o
	o.vertices, o.cached, o.gates = 0, 0, nil
	for _, pr := range res {
		o.vertices += pr.o.vertices
		o.cached += pr.o.cached
		o.gates = append(o.gates, pr.o.gates...)
	}
	o.work = map[string]time.Duration{s.Label: work}
	o.daemon = strings.Join(names, ", ")
	return o, res[last].tr
}

// mergedResponse merges the indexes the parts of published step s
// exported into its staged layout (mergeParts).
func mergedResponse(r *run, s *dag.Step, res []partResult) (*client.SolveResponse, error) {
	dir, err := r.stagedLayout(s)
	if err != nil {
		return nil, err
	}
	resps := make([]*client.SolveResponse, len(res))
	for i, pr := range res {
		resps[i] = pr.resp
	}
	return mergeParts(dir, s.Platforms, resps)
}
