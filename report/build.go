package report

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// StatusNotRun is the status of a step the build never reached (there is
// no Result: the build stopped before the builder ran).
const StatusNotRun = "not run"

// Option adds to what Build puts in the report.
type Option func(*options)

type options struct {
	err      error
	selected []string
	redact   func(string) string
	findings []Finding
	gates    []GateResult
	running  bool // WithRunning
}

// WithError gives the error the build ended with (nil: it succeeded, if
// every step is done); canceling (context.Canceled) makes it interrupted,
// and the Dockerfile checks' errors or the policy's refusals that stopped
// it become findings.
func WithError(err error) Option { return func(o *options) { o.err = err } }

// WithSelection names the steps the build was asked for (none: every
// step); when there is no Result, they and what they need are the report's
// steps, not run.
func WithSelection(labels ...string) Option {
	return func(o *options) { o.selected = append(o.selected, labels...) }
}

// WithRedactor passes every text of the report through f (the caller's
// redactor of the secrets and build args it knows), on top of the
// builder's redaction of the Result.
func WithRedactor(f func(string) string) Option {
	return func(o *options) {
		if f != nil {
			o.redact = f
		}
	}
}

// WithFindings adds the policy's findings.
func WithFindings(fs ...Finding) Option {
	return func(o *options) { o.findings = append(o.findings, fs...) }
}

// WithRunning says the build has not ended: the report's status is
// StatusRunning whatever its steps say so far.
func WithRunning() Option {
	return func(o *options) { o.running = true }
}

// WithGates adds the gates' results.
func WithGates(gs ...GateResult) Option {
	return func(o *options) { o.gates = append(o.gates, gs...) }
}

// Build makes the report of a build of plan p (not nil) that ended with
// res (nil when the build stopped before any step ran: then the selected
// steps, WithSelection, are "not run"). It reads the failing Dockerfile line of a failed step
// from its Dockerfile, through the one bounded reader.
func Build(p *dag.Plan, res *builder.Result, opts ...Option) *Report {
	o := options{redact: func(s string) string { return s }}
	for _, opt := range opts {
		opt(&o)
	}
	r := &Report{Version: Version, File: p.Build().File, Steps: []Step{}, Edges: []Edge{}, CriticalPath: []string{}}
	in := map[string]bool{}
	for _, sr := range stepResults(p, res, o.selected) {
		s := p.Build().Step(sr.Label)
		if s == nil {
			continue
		}
		r.Steps = append(r.Steps, newStep(s, sr))
		in[s.Label] = true
	}
	r.Edges = edges(p, r.Steps, in)
	r.Status, r.Error = status(r.Steps, o.err)
	if o.running {
		r.Status = StatusRunning
	}
	r.Findings = append(slices.Clone(o.findings), stopFindings(o.err)...)
	r.Gates = append(stepGates(res), o.gates...)
	r.times()
	r.critical(p)
	r.redact(o.redact)
	return r
}

// stepResults are res's steps, or the selected steps of p, not run.
func stepResults(p *dag.Plan, res *builder.Result, selected []string) []*builder.StepResult {
	if res != nil {
		return res.Steps
	}
	steps, err := p.Select(selected...)
	if err != nil {
		steps = p.Order()
	}
	var out []*builder.StepResult
	for _, s := range steps {
		out = append(out, &builder.StepResult{Label: s.Label, Status: StatusNotRun})
	}
	return out
}

// newStep is the report of step s from its result.
func newStep(s *dag.Step, sr *builder.StepResult) Step {
	st := Step{
		Label: s.Label, Image: s.Name, Status: string(sr.Status), Error: sr.Error, Source: sr.Source,
		Digest: sr.Digest, Outputs: slices.Clone(sr.Outputs), Seconds: time.Duration(sr.Duration).Seconds(),
		Vertices: sr.Vertices, CachedVertices: sr.CachedVertices, Phases: []Phase{},
		DependsOn: slices.Clone(s.DependsOn), Daemon: sr.Daemon,
	}
	if st.Outputs == nil {
		st.Outputs = []string{}
	}
	for _, pi := range sr.Platforms {
		st.Platforms = append(st.Platforms, PlatformImage{Platform: pi.Platform, Digest: pi.Digest, Daemon: pi.Daemon})
	}
	if st.DependsOn == nil {
		st.DependsOn = []string{}
	}
	for _, ph := range sr.Phases {
		st.Phases = append(st.Phases, Phase{Name: ph.Name, Span: Span{Start: ph.Start, End: ph.End}})
	}
	var se *builder.StepError
	if errors.As(sr.Err(), &se) {
		st.Tail = slices.Clone(se.Tail)
		if st.Source == "" {
			st.Source = se.Source
		}
	}
	if st.Source != "" {
		st.SourceLine = dockerfileLine(s.Dockerfile, st.Source)
	}
	return st
}

// stepGates are the gates' results of res's steps, in build order.
func stepGates(res *builder.Result) []GateResult {
	if res == nil {
		return nil
	}
	var out []GateResult
	for _, s := range res.Steps {
		for _, g := range s.Gates {
			out = append(out, GateResult{Step: s.Label, Gate: g.Name, Source: g.Source, Passed: g.Passed,
				Message: g.Message, Seconds: time.Duration(g.Duration).Seconds()})
		}
	}
	return out
}

// edges are the dependencies among the steps in the report, in build
// order of the dependent.
func edges(p *dag.Plan, steps []Step, in map[string]bool) []Edge {
	out := []Edge{}
	for _, st := range steps {
		s := p.Build().Step(st.Label)
		for _, d := range s.DependsOn {
			dep := p.Build().Step(d)
			if dep == nil || !in[d] {
				continue
			}
			e := Edge{From: d, To: s.Label, Image: slices.Contains(s.FromSteps, d)}
			for _, a := range dep.Artifacts {
				e.Artifacts = append(e.Artifacts, a.Path())
			}
			out = append(out, e)
		}
	}
	return out
}

// status is the build's status and error: interrupted when err is a
// cancel, failed when err is set or a step is not done.
func status(steps []Step, err error) (string, string) {
	switch {
	case errors.Is(err, context.Canceled):
		return StatusInterrupted, err.Error()
	case err != nil:
		return StatusFailed, err.Error()
	}
	for _, s := range steps {
		if s.Status != string(builder.StatusDone) {
			return StatusFailed, ""
		}
	}
	return StatusSucceeded, ""
}

// times sets the report's bounds from its steps' phases.
func (r *Report) times() {
	for _, s := range r.Steps {
		for _, ph := range s.Phases {
			if r.Start.IsZero() || ph.Start.Before(r.Start) {
				r.Start = ph.Start
			}
			if ph.End.After(r.End) {
				r.End = ph.End
			}
		}
	}
	r.WallSeconds = Span{Start: r.Start, End: r.End}.Seconds()
}

// stopFindings are what stopped a build before it ran, as findings: the
// Dockerfile checks' errors (a *builder.LintError), the policy's refusals.
func stopFindings(err error) []Finding {
	var out []Finding
	var le *builder.LintError
	if errors.As(err, &le) {
		for _, f := range le.Findings {
			if f.Severity == policy.SeverityError {
				out = append(out, Finding{Rule: f.Rule, Severity: string(f.Severity), Step: f.Step, Source: f.Pos.String(), Message: f.Message})
			}
		}
	}
	var rs policy.Refusals
	if errors.As(err, &rs) {
		for _, r := range rs {
			out = append(out, Finding{Rule: "refused", Severity: string(policy.SeverityError), Message: r.Error()})
		}
	}
	return out
}
