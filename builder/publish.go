package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"

	"github.com/weld-build/weld/dag"
)

// publishStep takes a published step on from the end of its session, which
// exported its image once into staging: the checks on that layout, then
// the step counts as built; after the publish gate (every step built and
// checked) each output publishes from the same layout.
func (r *run) publishStep(ctx context.Context, s *dag.Step, tr *tracker, resp *client.SolveResponse, release func()) error {
	dir, err := r.stagedLayout(s)
	if err != nil {
		return &StepError{Step: s.Label, Err: err}
	}
	r.phase(s.Label, PhaseExport) // phases.go
	img := &stagedImage{step: s, dir: dir, tr: tr}
	if !r.checksInSession(s) { // else prepublish checked it
		if err := runChecks(ctx, r.checks(s, false), img); err != nil {
			return r.explain(ctx, s, tr, err)
		}
		r.phase(s.Label, PhaseChecks)
	}
	release()
	r.stepBuilt(s)
	if err := r.gate.wait(ctx); err != nil {
		if errors.Is(err, ErrNotPublished) {
			return err
		}
		return fmt.Errorf("step %q: %w", s.Label, context.Canceled)
	}
	r.phase(s.Label, PhaseWait)
	e, err := r.exporter(s)
	if err != nil {
		return &PublishError{Step: s.Label, Err: err}
	}
	published, err := e.Publish(ctx, img)
	r.phase(s.Label, PhasePublish)
	res := r.results[s.Label]
	if err != nil {
		res.Outputs = append(res.Outputs, published...)
		return &PublishError{Step: s.Label, Err: err}
	}
	if o, ok := r.solver.(publishObserver); ok {
		o.published(s.Label)
	}
	if resp != nil {
		res.ExporterResponse = resp.ExporterResponse
		res.Digest = resp.ExporterResponse[exptypes.ExporterImageDigestKey]
		res.ConfigDigest = resp.ExporterResponse[exptypes.ExporterImageConfigDigestKey]
	}
	res.Outputs = published
	r.emit(Event{Step: s.Label, Type: EventPublished, Message: res.Digest})
	return nil
}
