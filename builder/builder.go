package builder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/docker"
	"github.com/weld-build/weld/internal/sched"
)

// Solver runs one BuildKit session with a client-side build function.
// *client.Client implements it; unit tests use fakes.
type Solver interface {
	Build(ctx context.Context, opt client.SolveOpt, product string, fn gateway.BuildFunc, ch chan *client.SolveStatus) (*client.SolveResponse, error)
}

var _ Solver = (*client.Client)(nil)

// Builder runs plans on one BuildKit daemon.
type Builder struct {
	solver Solver
	o      *options
}

// New returns a Builder that solves with s.
func New(s Solver, opts ...Option) (*Builder, error) {
	if s == nil {
		return nil, errors.New("builder.New: a Solver is required, e.g. a *client.Client from builder.Connect")
	}
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	return &Builder{solver: s, o: o}, nil
}

// DefaultOutputs is where images go when the caller names no output: into
// the Docker engine at $DOCKER_HOST if one answers, else into one OCI layout
// at dir, each image tagged with its name.
func DefaultOutputs(ctx context.Context, dir string) []Output {
	if docker.Ping(ctx, docker.Host("")) == nil {
		return []Output{{Type: OutputDocker}}
	}
	return []Output{{Type: OutputStore, Dest: dir}}
}

// Run builds the steps with the given labels and everything they need (all
// steps when none are given), runs their commands and tests, and then, only
// if everything passed, publishes the selected named steps. With
// WithPolicy, the policy's checks, replacements, pins and Dockerfile checks
// come first (see WithPolicy). Once the build has started, the returned
// Result holds every step's outcome, also when err is not nil; an error
// found before (a bad selection, a refusal, an unreadable secret, outputs
// that cannot work) comes with a nil Result.
func (b *Builder) Run(ctx context.Context, p *dag.Plan, labels ...string) (*Result, error) {
	steps, err := p.Select(labels...)
	if err != nil {
		return nil, err
	}
	sec, err := readRunSecrets(steps, b.o.secrets) // once per build
	if err != nil {
		return nil, err
	}
	rb, pins, err := b.prepare(ctx, p, steps, labels, sec) // onebuild.go
	if err != nil {
		return nil, err
	}
	r, err := rb.newRun(p, steps, labels, sec)
	if err != nil {
		return nil, err
	}
	res, err := r.execute(ctx)
	setBases(res, pins)
	redactResult(r.red, res)
	return res, redactErr(r.red, err)
}

// run is one Builder.Run: its configuration (runconfig.go), fixed before
// it starts, and the state of its steps.
type run struct {
	*Builder
	*runConfig
	futures   map[string]*sched.Future // per step: resolved when it has built, or did not
	limit     *sched.Limiter           // --jobs; nil: no cap
	ranks     map[string]float64       // under --jobs: each step's longest path to the end (fleet.go)
	gate      *sched.Barrier           // the publish gate: every step built and checked
	mu        sync.Mutex
	results   map[string]*StepResult
	work      map[string]time.Duration          // per step: its uncached vertices' run time (durations.go)
	sink      func(*client.SolveStatus)         // the progress sink, de-duplicated
	stage     *staging                          // this run's private staging folders
	redacting *progressRedactor                 // redacts what reaches the progress sink
	ownDefs   map[string]map[digest.Digest]bool // per step, as solved in its own session
	ownLines  map[string]map[string]int         // per step: vertex name → Dockerfile line
	baseCfgs  sync.Map                          // per published step: its baseConfigs (relayer.go)
	checked   sync.Map                          // per step with secrets: *afterChecks (keepchecked.go)
	skipped   sync.Map                          // per published step: *skippedLayers (stagedskip.go)
	cancel    context.CancelCauseFunc
	startedAt time.Time
	shared    *sharedSessions // the contexts' sessions, one per daemon (sharedsession.go)
}

// checkOutputs finds, before anything builds, the outputs that cannot
// work: two that each write an OCI layout folder (a session has one store
// for them), and a push of a step that has no image name.
func (r *run) checkOutputs() error {
	if err := r.checkLabels(); err != nil {
		return err
	}
	if err := r.checkOwnEntries(); err != nil {
		return err
	}
	dirs := 0
	for _, o := range r.o.outputs {
		if (o.Type == OutputOCI && !o.Tar) || o.Type == OutputStore {
			dirs++
		}
		if o.Type != OutputRegistry {
			continue
		}
		for _, s := range r.steps {
			if r.publish[s.Label] && s.Name == "" {
				return fmt.Errorf("%w: step %q has no name: to push it, give it one", ErrOutput, s.Label)
			}
		}
	}
	if dirs > 1 {
		return fmt.Errorf("%w: only one output can write an OCI layout folder; make the others tar=true", ErrOutput)
	}
	return nil
}

// newRun makes the run of the selected steps, with their secrets (read
// once per build: readSecrets).
func (b *Builder) newRun(p *dag.Plan, steps []*dag.Step, labels []string, sec runSecrets) (*run, error) {
	cfg, err := b.newConfig(p, steps, labels, sec)
	if err != nil {
		return nil, err
	}
	redacting := newProgressRedactor(cfg.red, b.o.progress)
	r := &run{
		Builder: b, runConfig: cfg,
		futures: map[string]*sched.Future{}, results: map[string]*StepResult{},
		ownDefs: map[string]map[digest.Digest]bool{}, ownLines: map[string]map[string]int{}, work: map[string]time.Duration{},
		sink: dedupe(redacting.write), stage: newStaging(), redacting: redacting,
		limit: sched.NewLimiter(b.o.jobs), gate: sched.NewBarrier(len(steps)),
	}
	if r.limit != nil {
		r.ranks = rankSteps(b.o.durationsOf(p), steps)
	}
	for _, s := range steps {
		r.futures[s.Label] = sched.NewFuture()
		r.results[s.Label] = &StepResult{Label: s.Label, ImageName: s.Name, Artifacts: artifactPaths(s), Outputs: []string{}}
	}
	if err := r.checkOutputs(); err != nil {
		return nil, err
	}
	return r, nil
}

func artifactPaths(s *dag.Step) []string {
	out := []string{}
	for _, a := range s.Artifacts {
		out = append(out, a.Path())
	}
	return out
}

// execute starts every step at once; each waits only for what it needs.
func (r *run) execute(ctx context.Context) (*Result, error) {
	ctx, r.cancel = context.WithCancelCause(ctx)
	defer r.cancel(nil)
	defer r.stage.removeAll()
	r.shared = r.newSharedSessions(ctx)
	defer r.shared.close()
	r.startedAt = time.Now()
	r.warnOwnState()
	var g errgroup.Group
	for _, s := range r.steps {
		if _, folded := r.host[s.Label]; folded {
			continue // its host's session builds it (fold.go)
		}
		g.Go(func() error {
			r.finish(ctx, s, r.runStep(ctx, s))
			for _, u := range r.unfinishedHosted(s.Label) {
				r.finish(ctx, u, r.runStep(ctx, u))
			}
			return nil
		})
	}
	_ = g.Wait()
	r.redacting.close()
	res, err := r.result(ctx)
	if err == nil { // the durations placement and --jobs rank by next time (durations.go)
		if serr := saveDurations(r.o.durationsOf(r.plan), res, r.workDone()); serr != nil {
			r.emit(Event{Type: EventWarning, Message: "recording the step durations: " + serr.Error()})
		}
	}
	return res, err
}

// finish records how a step ended, from its outcome (the one place that
// writes a step's result), and cancels the rest on a first real failure
// unless keep-going is set.
func (r *run) finish(ctx context.Context, s *dag.Step, o outcome) {
	err := redactErr(r.red, o.err)
	status := stepStatus(ctx, err)
	if err != nil && o.clock != nil {
		r.endPhase(s, o.clock) // phase_open.go
	}
	r.record(s, o, status, err)
	switch status {
	case StatusPublishFailed:
		// Other images go on publishing: the report then says exactly
		// which were published and which were not.
		r.emit(Event{Step: s.Label, Type: EventFailed, Err: err, Message: err.Error()})
	case StatusFailed:
		r.emit(Event{Step: s.Label, Type: EventFailed, Err: err, Message: err.Error()})
		// The gate first: a step waiting to publish must learn that it is
		// held back before it sees the cancel.
		r.gate.Fail()
		if !r.o.keepGoing {
			r.cancel(err)
		}
	}
	if err != nil && status != StatusPublishFailed {
		r.gate.Fail()
	}
	if err != nil {
		r.futures[s.Label].Resolve(errStepFailed) // a step that built resolved it already
	}
}

// stepStatus says how a step ended from its error.
func stepStatus(ctx context.Context, err error) Status {
	switch {
	case err == nil:
		return StatusDone
	case errors.Is(err, ErrDependencyFailed):
		return StatusDependencyFailed
	case context.Cause(ctx) != nil && errors.Is(err, context.Canceled):
		return StatusCanceled
	case errors.Is(err, ErrNotPublished):
		return StatusHeldBack
	case errors.As(err, new(*PublishError)):
		return StatusPublishFailed
	}
	return StatusFailed
}

// result assembles the Result and the run's error: the first real failure,
// or the interruption.
func (r *run) result(ctx context.Context) (*Result, error) {
	r.markDependencyFailures()
	out := &Result{}
	var failed []error
	pe := &PublishFailure{}
	for _, s := range r.steps {
		res := r.results[s.Label]
		out.Steps = append(out.Steps, res)
		switch {
		case res.Status == StatusFailed:
			failed = append(failed, res.err)
		case res.Status == StatusPublishFailed:
			pe.NotPublished = append(pe.NotPublished, res.err)
		case res.Status == StatusDone && r.publish[s.Label]:
			pe.Published = append(pe.Published, s.Label+" ("+s.Name+")")
		}
	}
	if len(failed) > 0 {
		return out, &BuildError{Failed: failed}
	}
	if len(pe.NotPublished) > 0 {
		return out, pe
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return out, cause
	}
	for _, res := range out.Steps {
		if res.Status != StatusDone {
			return out, res.err
		}
	}
	return out, nil
}

// markDependencyFailures gives the steps that were stopped because a step
// they need failed the status that says so.
func (r *run) markDependencyFailures() {
	for _, s := range r.steps { // build order: a dependency is marked first
		res := r.results[s.Label]
		// A step that named a failed step in depends_on is a dependency
		// failure, also when its own build did not need that result (it
		// built, or was held back, under --keep-going).
		if res.Status != StatusCanceled && res.Status != StatusHeldBack && res.Status != StatusDone {
			continue
		}
		for _, d := range s.DependsOn {
			if st := r.results[d].Status; st == StatusFailed || st == StatusDependencyFailed {
				res.Status = StatusDependencyFailed
				res.err = fmt.Errorf("step %q: %w: %s", s.Label, ErrDependencyFailed, d)
				res.Error = res.err.Error()
				break
			}
		}
	}
}

func (r *run) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Message, e.Err = r.red.String(e.Message), redactErr(r.red, e.Err)
	r.o.events(e)
}
