package builder

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/artifacts"
	"github.com/weld-build/weld/dag"
)

// cleanup runs the step's cleanup.commands in its image, then squashes every
// layer above the base into one. Merge(base, Diff(base, cleaned)) alone would
// keep the old layers, since BuildKit reuses the layers between an ancestor
// and its descendant, and a removed file would stay in a lower layer; so the
// cleaned filesystem is first flattened into scratch, then diffed against
// the base.
func (ss *stepSession) cleanup(ctx context.Context, s *dag.Step, sv *solved) (*solved, error) {
	var img ocispecs.Image
	if len(sv.config) > 0 {
		if err := json.Unmarshal(sv.config, &img); err != nil {
			return nil, fmt.Errorf("step %q: parsing image config: %w", s.Label, err)
		}
	}
	base, err := ss.baseState(ctx, s)
	if err != nil {
		return nil, err
	}
	final := artifacts.Cleanup(sv.state, base, s.Cleanup, artifacts.Image{Env: img.Config.Env, WorkingDir: img.Config.WorkingDir}, s.Label)
	def, err := final.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := ss.c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return nil, fmt.Errorf("step %q: cleanup: %w", s.Label, err)
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	img.History = append(img.History, ocispecs.History{
		CreatedBy:  "weld cleanup.commands, layers above the base squashed into one",
		EmptyLayer: true,
	})
	config, err := json.Marshal(img)
	if err != nil {
		return nil, err
	}
	return &solved{ref: ref, state: final, config: config}, nil
}

// baseState is the state the built stage starts from: scratch, a step's
// result, or an external image (honouring --image replacements).
func (ss *stepSession) baseState(ctx context.Context, s *dag.Step) (llb.State, error) {
	fb := s.FinalBase
	switch {
	case fb.Scratch:
		return llb.Scratch(), nil
	case fb.Step != "":
		dv, err := ss.solve(ctx, ss.stepByLabel(fb.Step))
		if err != nil {
			return llb.State{}, err
		}
		return dv.state, nil
	case fb.Ref != "":
		return ss.bases.state(fb.Ref, ss.c.BuildOpts().SessionID)
	}
	return llb.State{}, fmt.Errorf("step %q: cleanup: the base of the built stage is unknown", s.Label)
}
