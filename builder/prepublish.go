package builder

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/leakscan"
)

// ErrSecretLeak marks an image that holds the bytes of a secret it was built
// with: it is never published.
var ErrSecretLeak = leakscan.ErrLeak

// ErrGateFailed marks an image that a gate refused, or whose gate could
// not run: it is never published.
var ErrGateFailed = errors.New("not published")

// prepublish checks, inside the step's session, an image whose cache
// --cache-to exports when the session ends: a published step whose session
// serves secrets, or a step never published (cachesecrets.go). The scan
// must come before that cache goes out, so the image is exported for it
// exactly as it will ship (with its attestations) into a private OCI
// layout through a helper session, and checked there (checks.go). Every
// other published image is exported once by its own session and checked
// in staging instead (publish.go).
func (ss *stepSession) prepublish(ctx context.Context, svs []*solved) error {
	s := ss.step
	if !ss.checksInSession(s) {
		return nil
	}
	checks := ss.checks(s, !ss.publish[s.Label])
	if len(checks) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "weld-prepublish-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := ss.exportTo(ctx, svs, dir); err != nil {
		return &StepError{Step: s.Label, Err: fmt.Errorf("exporting the image for its checks: %w", err)}
	}
	if ss.publish[s.Label] { // the checks read the SBOM it will ship with
		if err := ss.attachStagedSBOM(ctx, s, ss.tr, dir, nil); err != nil {
			return err
		}
	}
	img := &stagedImage{step: s, dir: dir, tr: ss.tr}
	err = runChecks(ctx, checks, img)
	ss.gates = img.gates
	return err
}

// checksInSession says whether step s's image is checked inside its
// session (prepublish) rather than in staging after it: when --cache-to
// exports the cache of a session that serves secrets, or of a step that is
// not published (scansForCache).
func (r *run) checksInSession(s *dag.Step) bool {
	if !r.publish[s.Label] {
		return r.scansForCache(s)
	}
	return len(r.o.cacheTo) > 0 && len(sessionSecrets(r.closure[s.Label], r.perStep, r.global)) > 0
}

// exportTo writes the step's image, as it will be published, to an OCI
// layout folder, through a helper session (everything is cached by then).
func (ss *stepSession) exportTo(ctx context.Context, svs []*solved, dir string) error {
	s := ss.step
	opt, err := ss.solveOpt(ctx, s, false)
	if err != nil {
		return err
	}
	attrs := map[string]string{"tar": "false"}
	if s.Name != "" {
		attrs["name"] = s.Name
	}
	ss.o.repro.exporterAttrs(s, attrs) // reproducible.go
	forceGzip(attrs)                   // compression.go
	opt.Exports = []client.ExportEntry{{Type: client.ExporterOCI, Attrs: attrs, OutputDir: dir}}
	if mode := ss.provenanceMode(); mode != "" {
		opt.FrontendAttrs["attest:provenance"] = "mode=" + mode
	}
	return ss.tr.helperBuild(ctx, ss.solver, opt, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		var refs []*solved
		for _, sv := range svs {
			r, err := c.Solve(ctx, gateway.SolveRequest{Definition: sv.def.ToPB()})
			if err != nil {
				return nil, err
			}
			ref, err := r.SingleRef()
			if err != nil {
				return nil, err
			}
			own := *sv
			own.ref = ref
			refs = append(refs, &own)
		}
		res := gateway.NewResult()
		return res, setResult(res, refs, true) // platforms.go
	})
}
