package builder

import (
	"context"
	"fmt"
	"os"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/weld-build/weld/internal/leakscan"
)

// --artifacts-dir writes files of the step's image to the host, where CI
// systems upload them: a way out of the build like an image, whether the
// step is published or not. So before they are written, the artifacts
// alone (def, the layer hostArtifacts exports) are exported to a private
// OCI layout and scanned for every secret the session served, as an image
// is: an artifact that holds one is never written.

// scanArtifacts refuses the artifacts of def when they hold a secret of
// the session.
func (ss *stepSession) scanArtifacts(ctx context.Context, def *llb.Definition) error {
	s := ss.step
	secrets := sessionSecrets(ss.closure[s.Label], ss.perStep, ss.global)
	if len(secrets) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "weld-artifactscan-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opt, err := ss.solveOpt(ctx, s, false)
	if err != nil {
		return err
	}
	opt.Exports = []client.ExportEntry{{Type: client.ExporterOCI, Attrs: map[string]string{"tar": "false"}, OutputDir: dir}}
	err = ss.tr.helperBuild(ctx, ss.solver, opt, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		return c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	})
	if err != nil {
		return &StepError{Step: s.Label, Err: fmt.Errorf("exporting the artifacts for the leak scan: %w", err)}
	}
	err = ss.tr.wrap(ctx, "scan the artifacts for secrets", func(*vertex) error {
		v, done := ss.o.scanVerdicts(secrets)
		defer done()
		findings, err := leakscan.ScanLayout(dir, secrets, v)
		if err == nil && len(findings) > 0 {
			err = fmt.Errorf("%w; not written to %s", &leakscan.Error{Image: s.Name + " (artifacts)", Findings: findings}, ss.o.artifactsDir)
		}
		return err
	})
	if err != nil {
		return &StepError{Step: s.Label, Err: err}
	}
	return nil
}
