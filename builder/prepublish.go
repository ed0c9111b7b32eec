package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/weld-build/weld/internal/leakscan"
)

// ErrSecretLeak marks an image that holds the bytes of a secret it was built
// with: it is never published.
var ErrSecretLeak = leakscan.ErrLeak

// ErrGateFailed marks an image that a gate refused, or whose gate could
// not run: it is never published.
var ErrGateFailed = errors.New("not published")

// prepublish checks an image the step is about to publish (or, never
// published, whose cache --cache-to exports: cachesecrets.go), before anything
// is published: it exports the image exactly as it will ship (with its
// attestations) into a private OCI layout, scans every blob of it for the
// secrets the session served, then runs each gate command on the layout.
func (ss *stepSession) prepublish(ctx context.Context, sv *solved) error {
	s := ss.step
	forCache := ss.scansForCache(s) // cachesecrets.go: its cache goes out
	if !ss.publish[s.Label] && !forCache {
		return nil
	}
	secrets := sessionSecrets(ss.closure[s.Label], ss.perStep, ss.global)
	gates := ss.o.gates
	if forCache {
		gates = nil // gates are for published images
	}
	if len(secrets) == 0 && len(gates) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "weld-prepublish-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := ss.exportTo(ctx, sv, dir); err != nil {
		return &StepError{Step: s.Label, Err: fmt.Errorf("exporting the image for its checks: %w", err)}
	}
	if len(secrets) > 0 {
		v := ss.tr.vertex("scan the image for secrets")
		findings, err := leakscan.ScanLayout(dir, secrets)
		if err == nil && len(findings) > 0 {
			err = &leakscan.Error{Image: s.Name, Findings: findings}
		}
		v.complete(err)
		if err != nil {
			return &StepError{Step: s.Label, Err: err}
		}
	}
	for _, g := range gates {
		if err := ss.runGate(ctx, g, dir); err != nil {
			return err
		}
	}
	return nil
}

// runGate runs one gate on the image's OCI layout in dir.
func (ss *stepSession) runGate(ctx context.Context, g Gate, dir string) error {
	s := ss.step
	name := g.Run
	if g.Source != "" {
		name = g.Source + " (" + g.Run + ")"
	}
	v := ss.tr.vertex("gate " + name)
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", strings.ReplaceAll(g.Run, "{{oci_dir}}", dir))
	cmd.Dir = ss.workDir()
	cmd.Env = append(os.Environ(), "WELD_IMAGE="+s.Name, "WELD_STEP="+s.Label, "WELD_OCI_DIR="+dir)
	cmd.Stdout, cmd.Stderr = v, v
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && (ee.ExitCode() == 126 || ee.ExitCode() == 127):
		err = fmt.Errorf("gate %s could not run (exit %d: is the scanner installed and on PATH?): %w", name, ee.ExitCode(), ErrGateFailed)
	default:
		err = fmt.Errorf("gate %s refused image %s (%v): %w", name, s.Name, err, ErrGateFailed)
	}
	v.complete(err)
	if err != nil {
		return &StepError{Step: s.Label, Err: err, Tail: lastLines(v.output(), tailLines)}
	}
	return nil
}

// exportTo writes the step's image, as it will be published, to an OCI
// layout folder, through a helper session (everything is cached by then).
func (ss *stepSession) exportTo(ctx context.Context, sv *solved, dir string) error {
	s := ss.step
	def := sv.def
	opt, err := ss.solveOpt(ctx, s, false)
	if err != nil {
		return err
	}
	attrs := map[string]string{"tar": "false"}
	if s.Name != "" {
		attrs["name"] = s.Name
	}
	opt.Exports = []client.ExportEntry{{Type: client.ExporterOCI, Attrs: attrs, OutputDir: dir}}
	if mode := ss.provenanceMode(); mode != "" {
		opt.FrontendAttrs["attest:provenance"] = "mode=" + mode
	}
	return ss.tr.helperBuild(ctx, ss.solver, opt, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		res, err := c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
		if err != nil {
			return nil, err
		}
		res.AddMeta(exptypes.ExporterImageConfigKey, sv.config)
		return res, nil
	})
}
