package builder

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/artifacts"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/sched"
)

// runStep runs one step as its own BuildKit session and returns what it
// produced: on the one daemon, or on the pool's daemon placed for it
// (fleet.go).
func (r *run) runStep(ctx context.Context, s *dag.Step) outcome {
	if r.fleet != nil {
		return r.fleet.runStep(ctx, r, s)
	}
	on := daemonSlot{solver: r.solver, limit: r.limit}
	if r.limit != nil { // --jobs: hold a slot only while working, critical path first
		on.wait = func(ctx context.Context) error { return r.waitDeps(ctx, s) }
		on.rank = r.ranks[s.Label]
	}
	return r.runOn(ctx, s, on)
}

// daemonSlot is where a step runs: its daemon, the limiter of the slots
// it takes there, and what it waits for before it takes one.
type daemonSlot struct {
	solver Solver
	name   string   // as the result shows it; "" for addrOf(solver)
	native []string // a pool daemon's native platforms (poolplatforms.go); nil: its worker's
	rank   float64  // its place in the queue for a slot: higher first (fleet.go's ranks)
	limit  *sched.Limiter
	wait   func(context.Context) error
	quiet  bool // it does not say the step started: one part of a split step (fleetsplit.go)
}

// runOn runs one step's session on a daemon, then readies and publishes
// its image, or hands it over.
func (r *run) runOn(ctx context.Context, s *dag.Step, on daemonSlot) outcome {
	o, tr, resp := r.sessionOn(ctx, s, on)
	switch {
	case o.err != nil:
	case !r.publish[s.Label]:
		if o.err = r.handOverBuilt(ctx, s, tr); o.err == nil { // handover.go
			r.stepBuilt(s, o.clock)
		}
	default:
		r.publishStep(ctx, s, tr, resp, &o)
	}
	return o
}

// sessionOn runs one step's session on a daemon: what it built, its
// progress and its exporter's response (an error is explained in o.err).
func (r *run) sessionOn(ctx context.Context, s *dag.Step, on daemonSlot) (outcome, *tracker, *client.SolveResponse) {
	clk := newClock()
	if on.wait != nil {
		if err := on.wait(ctx); err != nil {
			return failed(clk, err), nil, nil
		}
		clk.phase(PhaseQueued) // for its dependencies
	}
	sl := &slot{label: s.Label, limit: on.limit, rank: on.rank, clk: clk} // slot.go
	defer sl.give()
	if !on.quiet {
		r.emit(Event{Step: s.Label, Type: EventStarted})
	}
	opt, err := r.solveOpt(ctx, s, true)
	if err != nil {
		return failed(clk, fmt.Errorf("step %q: %w", s.Label, err)), nil, nil
	}
	ch := make(chan *client.SolveStatus)
	tr := newTracker(s.Label, r.sink, func(d digest.Digest) string { return r.failedIn(s, d) })
	tr.dockerfiles = r.dockerfileOwners(s)
	tr.red = r.red
	drained := make(chan struct{})
	go func() { tr.drain(ch, true); close(drained) }()
	clk.begin()
	sid := r.shared.on(ctx, on.solver) // sharedsession.go
	// The build function's error travels to the daemon and back as text;
	// keep the typed one to report.
	var fnErr error
	var gates []GateResult
	resp, err := on.solver.Build(ctx, opt, "weld", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		ss := &stepSession{run: r, solver: on.solver, native: on.native, daemon: on.name, c: c, step: s, solved: map[string]*solved{}, tr: tr, clk: clk, sharedID: sid, slot: sl}
		res, err := ss.build(ctx)
		fnErr, gates = err, ss.gates
		return res, err
	}, ch)
	if err != nil && fnErr != nil && !errors.Is(err, ErrDaemonLost) {
		err = fnErr
	}
	<-drained
	o := r.counted(s, tr, outcome{clock: clk, gates: gates, daemon: cmp.Or(on.name, addrOf(on.solver))})
	if err != nil {
		o.err = r.explain(ctx, s, tr, err)
	}
	return o, tr, resp
}

// counted adds the vertex counts of the step, and of the steps its session
// hosted (fold.go), to o.
func (r *run) counted(s *dag.Step, tr *tracker, o outcome) outcome {
	o.vertices, o.cached = tr.counts()
	o.work = map[string]time.Duration{s.Label: tr.workFor(s.Label)}
	for _, u := range r.hosted(s.Label) {
		o.work[u.Label] = tr.workFor(u.Label)
		if o.hosted == nil {
			o.hosted = map[string][2]int{}
		}
		all, cached := tr.countsFor(u.Label)
		o.hosted[u.Label] = [2]int{all, cached}
	}
	return o
}

func (r *run) stepByLabel(label string) *dag.Step { return r.byLabel[label] }

// stepSession is the client side of one step's session.
type stepSession struct {
	*run
	solver Solver // the daemon it runs on (a pool's member in a fleet)
	// native and daemon are that pool member's native platforms and name
	// (nil and "" on one daemon).
	native []string
	daemon string
	c      gateway.Client
	step   *dag.Step
	solved map[string]*solved
	tr     *tracker
	clk    *clock // the step's phases (phases.go)
	// sharedID is the run's shared session on this daemon, "" for none
	// (sharedsession.go).
	sharedID string
	// gates are the results of the gates its checks ran (prepublish).
	gates []GateResult
	// slot is its place among the steps its daemon solves at once.
	slot *slot
}

// solved is one step's result inside a session.
type solved struct {
	ref   gateway.Reference
	state llb.State
	// def is state, marshalled once.
	def    *llb.Definition
	config []byte
	// baseConfig is the frontend's base image config: the exporter keeps
	// the base's layers as they are when it rewrites timestamps.
	baseConfig []byte
	// platform is the os/arch it was built for; "" for the daemon's own.
	platform string
}

// build solves the step, checks it, runs its command and tests, and returns
// the result for the session's exports: its cache, and the image of a
// published step, into this run's staging.
func (ss *stepSession) build(ctx context.Context) (*gateway.Result, error) {
	s := ss.step
	if len(ss.hosted(s.Label)) > 0 { // the folded steps evaluate from the start
		if err := ss.slot.take(ctx); err != nil {
			return nil, err
		}
	}
	fold := ss.startFolded(ctx) // fold.go
	defer fold.stop()
	svs, err := ss.solveStep(ctx, s) // platforms.go: one result per platform
	if err != nil {
		return nil, err
	}
	ss.clk.phase(PhaseFrontend)
	if err := ss.slot.take(ctx); err != nil { // nothing was evaluated yet
		return nil, err
	}
	if err := evaluateAll(ctx, svs); err != nil {
		return nil, err
	}
	for _, sv := range svs {
		if err := ss.checkArtifacts(ctx, s, sv); err != nil {
			return nil, err
		}
	}
	if err := fold.wait(s); err != nil {
		return nil, err
	}
	ss.clk.phase(PhaseSolve)
	for _, sv := range svs {
		if err := ss.verify(ctx, sv); err != nil {
			return nil, platformErr(sv, err)
		}
	}
	if err := ss.hostArtifacts(ctx, svs); err != nil { // a folder per platform
		return nil, err
	}
	if err := ss.prepublish(ctx, svs); err != nil {
		return nil, err
	}
	if err := ss.afterBuild(ctx); err != nil {
		return nil, err
	}
	ss.clk.phase(PhaseChecks)
	ss.handOff(ctx) // slot.go: the session's exports hold no slot
	res := gateway.NewResult()
	if !ss.publish[s.Label] {
		// The ref is returned only so that --cache-to exports its cache;
		// the step counts as built when its session has ended well
		// (runStep), cache export included, so that nothing is published
		// before that is known.
		// A step that hands over exports its image with its config (handover.go).
		return res, setResult(res, svs, ss.fleet.handsOver(s.Label))
	}
	// The session exports the image once, into staging; it is checked
	// and published from there (publish.go).
	ss.noteBaseConfigs(svs)               // relayer.go
	return res, setResult(res, svs, true) // platforms.go
}

// stepBuilt records that a step has built and passed its checks: it may
// release the steps waiting on it, and counts towards the publish gate.
func (r *run) stepBuilt(s *dag.Step, clk *clock) {
	clk.built = time.Now()
	r.gate.Arrive()
	r.futures[s.Label].Resolve(nil)
	r.emit(Event{Step: s.Label, Type: EventBuilt})
}

// checkArtifacts fails when the image of step s lacks one of its artifacts.
func (ss *stepSession) checkArtifacts(ctx context.Context, s *dag.Step, sv *solved) error {
	for _, a := range s.Artifacts {
		if _, err := sv.ref.StatFile(ctx, gateway.StatRequest{Path: a.Source}); err != nil {
			return &StepError{Step: s.Label, Err: fmt.Errorf("%s: artifact %s is not in the image: %w", a.Pos, a.Source, ErrMissingArtifact)}
		}
	}
	return nil
}

// ErrMissingArtifact marks an artifact path that the step's image lacks.
var ErrMissingArtifact = errors.New("missing artifact")

// solve returns the lazily evaluated result of a step inside this session,
// solving the steps it needs first (also lazily: nothing runs until the
// result is evaluated, so a dependent's own work overlaps its dependencies).
func (ss *stepSession) solve(ctx context.Context, s *dag.Step) (*solved, error) {
	return ss.solveFor(ctx, s, "")
}

// solveFor is solve for platform plat ("" for the daemon's own).
func (ss *stepSession) solveFor(ctx context.Context, s *dag.Step, plat string) (*solved, error) {
	key := solvedKey(s.Label, plat)
	if sv, ok := ss.solved[key]; ok {
		return sv, nil
	}
	if s != ss.step && plat == "" {
		if sv, ok, err := ss.handedOver(ctx, s); ok || err != nil { // handover.go
			ss.solved[key] = sv
			return sv, err
		}
	}
	req, err := ss.request(ctx, s, plat)
	if err != nil {
		return nil, err
	}
	res, err := ss.c.Solve(ctx, req)
	if err != nil {
		if s != ss.step { // a dependency's Dockerfile, in this session
			return nil, fmt.Errorf("step %q: %w", s.Label, err)
		}
		return nil, err
	}
	ref, err := res.SingleRef()

	if err != nil {
		return nil, err
	}
	sv := &solved{config: res.Metadata[exptypes.ExporterImageConfigKey], baseConfig: res.Metadata[exptypes.ExporterImageBaseConfigKey], platform: plat}
	// Everything below uses the result with its secrets keyed (secretkey.go).
	if sv.ref, sv.state, err = ss.keySecrets(ctx, req, ref); err != nil {
		return nil, err
	}
	if len(s.Cleanup) > 0 {
		if sv, err = ss.cleanup(ctx, s, sv); err != nil {
			return nil, err
		}
	}
	if sv.def, err = sv.state.Marshal(ctx); err != nil {
		return nil, err
	}
	if s != ss.step {
		ss.own(sv.def, s.Label)
	} else {
		ss.recordOwnDef(sv.def)
	}
	ss.solved[key] = sv
	return sv, nil
}

// request is the Dockerfile frontend request of a step in this session:
// its context (with the artifacts of the steps it needs merged in), its
// Dockerfile, and the named contexts of the steps it builds FROM, which it
// solves first (lazily).
func (ss *stepSession) request(ctx context.Context, s *dag.Step, plat string) (gateway.SolveRequest, error) {
	attrs, err := ss.frontendAttrs(s)
	if err != nil {
		return gateway.SolveRequest{}, err
	}
	if plat != "" {
		attrs["platform"] = plat
	}
	inputs := map[string]*pb.Definition{}
	if plat == "" { // a platform's base is the frontend's to pick from an index
		if err := ss.shared.useBases(ss.sharedID, s.Label, attrs, inputs); err != nil { // sharedbases.go
			return gateway.SolveRequest{}, err
		}
	}
	// A fixed unique ID makes the step's ops the same bytes in every
	// session, so the daemon shares them by digest and a failure inside
	// them carries a digest every session knows.
	// The frontend reads no .dockerignore from a context given as an
	// input, so weld applies it here, and leaves its own state out.
	id := ss.shared.idFor(ss.sharedID, s.Label)
	name := ss.shared.localNames(ss.sharedID, s.Label).ctx // shared: the same op for every step that sends this folder
	uniq := "weld-" + s.Label
	if id != "" {
		uniq = "weld-" + name
	}
	lopts := []llb.LocalOption{llb.LocalUniqueID(uniq),
		llb.ExcludePatterns(ss.filters[s.Label].Excludes),
		llb.SharedKeyHint(name),
		llb.WithCustomName(fmt.Sprintf("[%s] load build context", s.Label))}
	if id != "" {
		lopts = append(lopts, llb.SessionID(id))
	}
	local := llb.Local(name, lopts...)
	layers, err := ss.dependencyInputs(ctx, s, plat, attrs, inputs)
	if err != nil {
		return gateway.SolveRequest{}, err
	}
	def, err := artifacts.Context(local, layers, s.Label).Marshal(ctx)
	if err != nil {
		return gateway.SolveRequest{}, err
	}
	inputs["context"] = def.ToPB()
	return gateway.SolveRequest{Frontend: "dockerfile.v0", FrontendOpt: attrs, FrontendInputs: inputs}, nil
}

func (ss *stepSession) workDir() string { return ss.plan.Build().WorkDir }

// frontendAttrs are the Dockerfile frontend's options for a step.
func (ss *stepSession) frontendAttrs(s *dag.Step) (map[string]string, error) {
	attrs := map[string]string{
		"filename":      filepath.Base(s.Dockerfile),
		"dockerfilekey": dockerfileLocal(s.Label),
	}
	if s.Target != "" {
		attrs["target"] = s.Target
	}
	for k, v := range s.Args {
		attrs["build-arg:"+k] = v
	}
	for k, v := range ss.o.buildArgs {
		attrs["build-arg:"+k] = v
	}
	ss.o.repro.frontendAttrs(attrs)            // reproducible.go: after the build args, which win
	attrs[cacheMountNSArg] = ss.cacheMountNS() // after the build args: they cannot set it
	if s.NoCache || ss.o.noCache {
		attrs["no-cache"] = ""
	}
	for k, v := range ss.bases.attrs {
		attrs[k] = v
	}
	for k, v := range ss.imageLabels(s) {
		attrs["label:"+k] = v
	}
	// A sharing step's Dockerfile comes from the shared session
	// (sharedsession.go): the same vertex in every session. Not as a
	// frontend input: BuildKit's provenance records each input's request,
	// so a chain of n FROM <step> doubled it n times (4.6 MB at 10). The
	// session ID lands in the provenance, which reprovenance.go scrubs.
	if id := ss.shared.idFor(ss.sharedID, s.Label); id != "" {
		df := ss.shared.localNames(ss.sharedID, s.Label).df
		attrs["dockerfilekey"] = df
		attrs["local-sessionid:"+df] = id
	}
	ss.setFrontend(s, attrs)
	return attrs, nil
}
