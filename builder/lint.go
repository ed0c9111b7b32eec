package builder

import (
	"context"
	"encoding/json"
	"fmt"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"golang.org/x/sync/errgroup"

	"github.com/weld-build/weld/dag"
)

// Lint runs BuildKit's Dockerfile checks on the selected steps, what
// docker build --check runs: the Dockerfile frontend's lint, on the request
// each step's session would send (its build args, target and named
// contexts), with the bases' real configs. Nothing is built. The results
// are keyed by step label.
//
// The frontend runs in-process (lintlocal.go): a step built FROM another
// sees that step's config as converted here, an OCI layout of WithImages is
// read from its folder, and every other base is resolved once for the whole
// run, in one helper session on the daemon, under the run's source policies
// and registry auth. A step that WithFrontends lets run its own frontend is
// linted by that frontend, through the daemon, in a session of its own.
func (b *Builder) Lint(ctx context.Context, p *dag.Plan, labels ...string) (map[string]*lint.LintResults, error) {
	return b.lintReading(ctx, p, labels, func(ctx context.Context, r *run) (map[string]*lint.LintResults, error) {
		return r.lint(ctx, daemonFetcher{r})
	})
}

// lintReading reads the selected steps' secrets and runs fn, a lint, on
// their run.
func (b *Builder) lintReading(ctx context.Context, p *dag.Plan, labels []string, fn func(context.Context, *run) (map[string]*lint.LintResults, error)) (map[string]*lint.LintResults, error) {
	steps, err := p.Select(labels...)
	if err != nil {
		return nil, err
	}
	sec, err := readRunSecrets(steps, b.o.secrets)
	if err != nil {
		return nil, err
	}
	return b.lintRun(ctx, p, labels, sec, fn)
}

// lintRun runs fn, a lint, on the run of the selected steps.
func (b *Builder) lintRun(ctx context.Context, p *dag.Plan, labels []string, sec runSecrets, fn func(context.Context, *run) (map[string]*lint.LintResults, error)) (map[string]*lint.LintResults, error) {
	steps, err := p.Select(labels...)
	if err != nil {
		return nil, err
	}
	r, err := b.newRun(p, steps, labels, sec)
	if err != nil {
		return nil, err
	}
	out, err := fn(ctx, r)
	r.redacting.close()
	if err != nil {
		return nil, redactErr(r.red, err)
	}
	return out, nil
}

// lint lints the run's steps, resolving registry bases through f.
func (r *run) lint(ctx context.Context, f imageFetcher) (map[string]*lint.LintResults, error) {
	l, err := r.newLocalLint(ctx, f)
	if err != nil {
		return nil, err
	}
	results := make([]*lint.LintResults, len(r.steps))
	g, ctx := errgroup.WithContext(ctx)
	for i, s := range r.steps {
		g.Go(func() error {
			if r.o.frontends[s.Label] != "" {
				res, err := r.lintStep(ctx, s)
				results[i] = res
				return err
			}
			res, err := l.lint(ctx, s)
			if err != nil {
				return fmt.Errorf("step %q: checking its Dockerfile: %w", s.Label, asDenied(s, err))
			}
			results[i] = res
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]*lint.LintResults, len(r.steps))
	for i, s := range r.steps {
		out[s.Label] = results[i]
	}
	return out, nil
}

// lintStep lints a step with its own frontend, through the daemon: the
// frontend's lint subrequest, in a session of its own.
func (r *run) lintStep(ctx context.Context, s *dag.Step) (*lint.LintResults, error) {
	opt, err := r.solveOpt(ctx, s, false)
	if err != nil {
		return nil, fmt.Errorf("step %q: %w", s.Label, err)
	}
	tr := newTracker(s.Label, r.sink, nil)
	var out lint.LintResults
	err = tr.helperBuild(ctx, r.solver, opt, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		ss := &stepSession{run: r, c: c, step: s, solved: map[string]*solved{}, tr: tr}
		req, err := ss.request(ctx, s, "")
		if err != nil {
			return nil, err
		}
		req.FrontendOpt["requestid"] = lint.RequestLint
		res, err := c.Solve(ctx, req)
		if err != nil {
			return nil, err
		}
		dt, ok := res.Metadata["result.json"]
		if !ok {
			return nil, fmt.Errorf("the Dockerfile frontend answered the lint subrequest without result.json")
		}
		if err := json.Unmarshal(dt, &out); err != nil {
			return nil, fmt.Errorf("parsing the lint result: %w", err)
		}
		return gateway.NewResult(), nil
	})
	if err != nil {
		return nil, fmt.Errorf("step %q: checking its Dockerfile: %w", s.Label, asDenied(s, err))
	}
	return &out, nil
}
