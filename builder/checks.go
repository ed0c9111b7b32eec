package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/leakscan"
)

// Check inspects a staged image before its step counts as built: an image
// a check refuses is never published, nor is any other of the run.
type Check interface {
	// Check returns nil when img may ship, else a *StepError.
	Check(ctx context.Context, img *stagedImage) error
}

// checks are the checks of step s's image, in order: the leak scan when
// its session serves secrets, then the policy gates unless the image is
// checked only because its cache is exported (gates are for published
// images).
func (r *run) checks(s *dag.Step, forCache bool) []Check {
	var out []Check
	if secrets := sessionSecrets(r.closure[s.Label], r.perStep, r.global); len(secrets) > 0 {
		out = append(out, &leakCheck{secrets: secrets, o: r.o})
	}
	if forCache {
		return out
	}
	for _, g := range r.o.gates {
		out = append(out, &gateCheck{gate: g, workDir: r.plan.Build().WorkDir})
	}
	return out
}

// runChecks runs the checks on img, stopping at the first refusal.
func runChecks(ctx context.Context, checks []Check, img *stagedImage) error {
	for _, c := range checks {
		if err := c.Check(ctx, img); err != nil {
			return err
		}
	}
	return nil
}

// leakCheck scans every blob of the image for the secrets its session
// served.
type leakCheck struct {
	secrets map[string][]byte
	o       *options // the verdicts of earlier scans (scanverdicts.go); nil: none
}

var _ Check = (*leakCheck)(nil)

// Check implements Check.
func (c *leakCheck) Check(ctx context.Context, img *stagedImage) error {
	err := img.tr.wrap(ctx, "scan the image for secrets", func(*vertex) error {
		var v leakscan.Verdicts
		if c.o != nil {
			var done func()
			v, done = c.o.scanVerdicts(c.secrets)
			defer done()
		}
		findings, err := leakscan.ScanLayout(img.dir, c.secrets, v)
		if err == nil && len(findings) > 0 {
			err = &leakscan.Error{Image: img.step.Name, Findings: findings}
		}
		return err
	})
	if err != nil {
		return &StepError{Step: img.step.Label, Err: err}
	}
	return nil
}

// gateCheck runs one policy gate, a shell command, on the image's OCI
// layout: {{oci_dir}} and $WELD_OCI_DIR name the folder.
type gateCheck struct {
	gate    Gate
	workDir string
}

var _ Check = (*gateCheck)(nil)

// Check implements Check.
func (c *gateCheck) Check(ctx context.Context, img *stagedImage) error {
	s, g, dir := img.step, c.gate, img.dir
	name := g.Run
	if g.Source != "" {
		name = g.Source + " (" + g.Run + ")"
	}
	var out string
	start := time.Now()
	err := img.tr.wrap(ctx, "gate "+name, func(v *vertex) error {
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", strings.ReplaceAll(g.Run, "{{oci_dir}}", dir))
		cmd.Dir = c.workDir
		cmd.Env = append(os.Environ(), "WELD_IMAGE="+s.Name, "WELD_STEP="+s.Label, "WELD_OCI_DIR="+dir)
		cmd.Stdout, cmd.Stderr = v, v
		err := cmd.Run()
		out = v.output()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee) && (ee.ExitCode() == 126 || ee.ExitCode() == 127):
			err = fmt.Errorf("gate %s could not run (exit %d: is the scanner installed and on PATH?): %w", name, ee.ExitCode(), ErrGateFailed)
		default:
			err = fmt.Errorf("gate %s refused image %s (%v): %w", name, s.Name, err, ErrGateFailed)
		}
		return err
	})
	img.gates = append(img.gates, gateResult(g, err, out, time.Since(start)))
	if err != nil {
		return &StepError{Step: s.Label, Err: err, Tail: lastLines(out, tailLines)}
	}
	return nil
}

// gateResult is how gate g ended: err from its run, out its output.
func gateResult(g Gate, err error, out string, d time.Duration) GateResult {
	r := GateResult{Name: g.Run, Source: g.Source, Passed: err == nil, Duration: Duration(d)}
	if err != nil {
		r.Message = err.Error()
		if last := lastLines(out, 1); len(last) > 0 && last[0] != "" {
			r.Message += ": " + last[0]
		}
	}
	return r
}
