package builder

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/redact"
	"github.com/weld-build/weld/policy"
)

// ErrInvalid marks input that Run refuses before any daemon work because
// the input itself is wrong: a build arg that holds a secret (unless the
// policy allows it), image replacements that lead back to themselves.
// weld exits 2 on it, as on dag.ErrInvalid, ErrSecret and ErrOutput.
var ErrInvalid = errors.New("bad input")

// WithPolicy has Run enforce p the way weld build does, in this order and
// before anything is built:
//   - a build arg that looks like a secret stops the run (ErrInvalid),
//     unless the policy allows it (rules: {SecretInArgEnv: warning}): then it
//     is redacted from everything the run reports;
//   - every base, image, frontend and source the Dockerfiles name is judged
//     by the allowlists; a refusal stops the run (a policy.Refusals error),
//     with no daemon contacted;
//   - the policy's replacements join WithImages' (the policy wins);
//   - every base a require_signed_bases rule matches must carry a
//     signature one of its keys verifies (a SignedBaseError among the
//     policy.Refusals, with no daemon contacted);
//   - with pin_digests, every base is resolved to a digest through the
//     daemon and built from exactly that digest;
//   - the daemon enforces the policy on every source (WithSourcePolicy) and
//     runs only the frontends it allows (WithFrontends);
//   - its gates run on every image before publishing (WithGates);
//   - the Dockerfile checks (Lint, then policy.Lint) run: an error-severity
//     finding stops the run (a *LintError), the others are EventWarnings.
//
// Each step's bases and their digests are in StepResult.Bases. Without
// WithPolicy (or with nil) Run does none of this; policy.Find's empty
// policy gives weld build's defaults.
func WithPolicy(p *policy.Policy) Option {
	return func(o *options) error { o.policy = p; return nil }
}

// prepare runs what Run does before it builds (see WithPolicy): it returns
// a Builder with the run's own options (the policy's replacements, pins,
// source policy, gates and redactions, the revision label) and the bases'
// pins per step label.
func (b *Builder) prepare(ctx context.Context, p *dag.Plan, steps []*dag.Step, labels []string, sec runSecrets) (*Builder, map[string][]BasePin, error) {
	o := b.o.clone()
	if err := loadSigners(o); err != nil { // signing.go
		return nil, nil, err
	}
	setRevision(ctx, o, p.Build().WorkDir)
	setEpoch(ctx, o, p.Build().WorkDir) // reproducible.go
	in := policy.Input{Build: p.Build(), Steps: steps, BuildArgs: o.buildArgs, Selected: labels}
	var uses []policy.BaseUse
	var refs []policy.Reference
	if o.policy != nil {
		if err := checkBuildArgs(o, in); err != nil {
			return nil, nil, err
		}
		var err error
		if uses, refs, err = checkSources(in, o.policy); err != nil {
			return nil, nil, redactErr(redact.NewSecrets(o.redact...), err)
		}
	}
	pins, err := b.resolveImages(ctx, o, p, uses, refs)
	if err != nil {
		return nil, nil, redactErr(redact.NewSecrets(o.redact...), err)
	}
	rb := &Builder{solver: b.solver, o: o}
	if o.policy != nil {
		if err := rb.lintGate(ctx, p, in, sec); err != nil {
			return nil, nil, redactErr(redact.NewSecrets(o.redact...), err)
		}
	}
	return rb, pins, nil
}

// resolveImages sets the images the run builds from: the caller's, with
// the policy's replacements and, once connected, the pinned digests; and
// the policy's source policy, frontends and gates.
func (b *Builder) resolveImages(ctx context.Context, o *options, p *dag.Plan, uses []policy.BaseUse, refs []policy.Reference) (map[string][]BasePin, error) {
	if o.policy != nil {
		images, events, err := policyImages(o.policy, uses, o.images)
		if err != nil {
			return nil, err
		}
		o.images = images
		emitAll(o, events)
	}
	if err := imageCycle(o.images); err != nil {
		return nil, err
	}
	emitAll(o, unusedImages(p, o.images))
	if err := checkSignedBases(ctx, o, uses); err != nil { // signedbases.go
		return nil, err
	}
	if err := connect(ctx, b.solver); err != nil {
		return nil, err
	}
	if p, ok := b.solver.(*Pool); ok { // pool.go: the daemons left out
		for _, err := range p.Left() {
			emitAll(o, []Event{{Type: EventWarning, Message: "leaving out a daemon of the pool that does not answer: " + err.Error()}})
		}
	}
	if o.policy == nil {
		return nil, nil
	}
	o.sourcePolicies = append(o.sourcePolicies, o.policy.SourcePolicies()...)
	maps.Copy(o.frontends, allowedFrontends(o.policy, refs))
	pins, pinned, err := pinBases(ctx, b.solver, o, uses)
	if err != nil {
		return nil, err
	}
	maps.Copy(o.images, pinned)
	if err := checkBannedBases(o, uses, pins); err != nil { // bannedbases.go
		return nil, err
	}
	for _, g := range o.policy.Gates {
		o.gates = append(o.gates, Gate{Run: g.Run, Source: g.Pos.String()})
	}
	return pins, nil
}

// Check runs the checks Run runs before it builds, on the steps Run would
// build, without a daemon and without building (weld lint): the policy's
// allowlists first, whose refusals are returned as the error (a
// policy.Refusals) with no findings; then the findings of every severity of
// the build args that look like secrets (which Run refuses unless the
// policy allows them) and of the Dockerfile checks, BuildKit's rules run
// in-process. The bases require_signed_bases names are verified in their
// registry or layout, as Run does. Without WithPolicy it checks with an
// empty policy.
func (b *Builder) Check(ctx context.Context, p *dag.Plan, labels ...string) (policy.Findings, error) {
	steps, err := p.Select(labels...)
	if err != nil {
		return nil, err
	}
	pol := b.o.policy
	if pol == nil {
		pol = &policy.Policy{}
	}
	in := policy.Input{Build: p.Build(), Steps: steps, BuildArgs: b.o.buildArgs, Selected: labels}
	args, _ := policy.CheckBuildArgs(pol, steps, b.o.buildArgs) // findings here, not a refusal
	secrets := slices.Clone(b.o.redact)
	for _, a := range args {
		secrets = append(secrets, redact.Secret{ID: a.Name, Value: []byte(a.Value)})
	}
	red := redact.NewSecrets(secrets...)
	uses, _, err := checkSources(in, pol)
	if err != nil {
		return nil, red.Error(err)
	}
	if err := lintSignedBases(ctx, b.o, pol, uses); err != nil { // signedbases.go
		return nil, red.Error(err)
	}
	findings, err := policy.Lint(ctx, in, pol)
	if err != nil {
		return nil, red.Error(err)
	}
	return redactFindings(red, append(policy.BuildArgFindings(args), findings...)), nil
}

// connector is a Solver that connects on first use (*LazyClient): Run
// connects it once its checks have passed, so a failure to connect is
// reported once, not by every step.
type connector interface {
	Connect(ctx context.Context) (*Client, error)
}

func connect(ctx context.Context, s Solver) error {
	if c, ok := s.(connector); ok {
		_, err := c.Connect(ctx)
		return err
	}
	return nil
}

// emitAll sends events from before the run to the caller's sink, with the
// values of WithRedact redacted.
func emitAll(o *options, events []Event) {
	red := redact.NewSecrets(o.redact...)
	for _, e := range events {
		if e.Time.IsZero() {
			e.Time = time.Now()
		}
		e.Message = red.String(e.Message)
		o.events(e)
	}
}

// clone copies o for one run, so that what the run adds (the policy's
// images, pins, gates, redactions) stays the run's.
func (o *options) clone() *options {
	c := *o
	c.buildArgs, c.images = maps.Clone(o.buildArgs), maps.Clone(o.images)
	c.labels, c.frontends = maps.Clone(o.labels), maps.Clone(o.frontends)
	c.gates, c.redact = slices.Clip(o.gates), slices.Clip(o.redact)
	c.sourcePolicies = slices.Clip(o.sourcePolicies)
	c.signers = slices.Clip(o.signers)
	return &c
}
