package builder

import (
	"context"
	"fmt"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"

	"github.com/weld-build/weld/dag"
)

// publishStep takes a published step on from the end of its session, which
// exported its image once into staging: the checks on that layout, then
// the step counts as built; after the publish gate (every step built and
// checked) each output publishes from the same layout. It fills o.
func (r *run) publishStep(ctx context.Context, s *dag.Step, tr *tracker, resp *client.SolveResponse, o *outcome) {
	img, err := r.readyStaged(ctx, s, tr, resp, o)
	if err != nil {
		o.err = err
		return
	}
	r.stepBuilt(s, o.clock)
	if o.err = r.waitGate(ctx, s); o.err != nil {
		return
	}
	o.clock.phase(PhaseWait)
	e, err := r.exporter(s)
	if err != nil {
		o.err = &PublishError{Step: s.Label, Err: err}
		return
	}
	unchanged := unchangedIn(ctx, e, img) // unchanged.go
	o.outputs, err = e.Publish(ctx, img)
	o.clock.phase(PhasePublish)
	if err != nil {
		o.err = &PublishError{Step: s.Label, Err: err}
		return
	}
	if p, ok := r.solver.(publishObserver); ok {
		p.published(s.Label)
	}
	if resp != nil {
		o.exporter = resp.ExporterResponse
	}
	o.unchanged = unchanged
	r.emit(Event{Step: s.Label, Type: EventPublished, Message: o.exporter[exptypes.ExporterImageDigestKey]})
}

// readyStaged makes step s's staged image what ships, before the publish
// gate: reproducible, with its SBOM, checked (unless its session did),
// signed, and handed over to the daemons that need it.
func (r *run) readyStaged(ctx context.Context, s *dag.Step, tr *tracker, resp *client.SolveResponse, o *outcome) (*stagedImage, error) {
	dir, err := r.stagedLayout(s)
	if err != nil {
		return nil, &StepError{Step: s.Label, Err: err}
	}
	o.clock.phase(PhaseExport)
	if err := writeStagedIndex(dir, resp); err != nil { // stagedstore.go
		return nil, &StepError{Step: s.Label, Err: fmt.Errorf("writing the staged index: %w", err)}
	}
	if err := r.reproduceStaged(s, dir, resp); err != nil { // reproducible.go
		return nil, &StepError{Step: s.Label, Err: err}
	}
	if err := r.attachStagedSBOM(ctx, s, tr, dir, resp); err != nil { // sbom.go
		return nil, err
	}
	img := &stagedImage{step: s, dir: dir, tr: tr}
	if len(s.Platforms) > 0 {
		if o.platforms, err = platformImages(img); err != nil { // platforms.go
			return nil, &StepError{Step: s.Label, Err: err}
		}
	}
	if !r.checksInSession(s) { // else prepublish checked it
		err := runChecks(ctx, r.checks(s, false), img)
		o.gates = append(o.gates, img.gates...)
		if err != nil {
			return nil, r.explain(ctx, s, tr, err)
		}
		o.clock.phase(PhaseChecks)
	}
	r.keepChecked(s) // keepchecked.go
	setConfigDigest(img, resp)
	if err := r.signStaged(ctx, img); err != nil { // signing.go
		return nil, &StepError{Step: s.Label, Err: err}
	}
	if err := r.handOver(ctx, s, tr, dir); err != nil { // handover.go
		return nil, &StepError{Step: s.Label, Err: err}
	}
	return img, nil
}
