package builder

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/solver/pb"

	"github.com/weld-build/weld/artifacts"
	"github.com/weld-build/weld/dag"
)

// dependencyInputs solves step s's dependencies for platform plat in the
// session: it returns the artifact layers to merge over its context, and
// adds each FROM <step> parent to inputs and attrs as a named context.
func (ss *stepSession) dependencyInputs(ctx context.Context, s *dag.Step, plat string, attrs map[string]string, inputs map[string]*pb.Definition) ([]llb.State, error) {
	var layers []llb.State
	for _, d := range s.DependsOn {
		dep := ss.stepByLabel(d)
		dv, err := ss.solveFor(ctx, dep, plat) // the dependency for the same platform
		if err != nil {
			return nil, err
		}
		placed, _ := artifacts.Place(dep.Artifacts, ss.workDir(), s.Context)
		if len(placed) > 0 {
			layer := artifacts.Layer(dv.state, placed, dep.Label)
			ldef, err := layer.Marshal(ctx)
			if err != nil {
				return nil, err
			}
			ss.own(ldef, dep.Label)
			layers = append(layers, layer)
		}
		if !slices.Contains(s.FromSteps, d) {
			continue
		}
		def := dv.def
		key, err := ContextKey(dep.Name)
		if err != nil {
			return nil, err
		}
		in := "step-" + d
		inputs[in] = def.ToPB()
		md, err := json.Marshal(map[string][]byte{exptypes.ExporterImageConfigKey: dv.config})
		if err != nil {
			return nil, err
		}
		attrs["context:"+key] = "input:" + in
		attrs["input-metadata:"+in] = string(md)
	}
	return layers, nil
}
