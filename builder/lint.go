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

// Lint runs BuildKit's Dockerfile checks on the selected steps through the
// Dockerfile frontend's lint subrequest, what docker build --check runs:
// with the steps' real contexts, build args, targets and named contexts, and
// the bases' real configs. Nothing is built. The results are keyed by step
// label.
func (b *Builder) Lint(ctx context.Context, p *dag.Plan, labels ...string) (map[string]*lint.LintResults, error) {
	steps, err := p.Select(labels...)
	if err != nil {
		return nil, err
	}
	r, err := b.newRun(p, steps, labels)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*lint.LintResults, len(steps))
	results := make([]*lint.LintResults, len(steps))
	g, ctx := errgroup.WithContext(ctx)
	for i, s := range steps {
		g.Go(func() error {
			res, err := r.lintStep(ctx, s)
			results[i] = res
			return err
		})
	}
	err = g.Wait()
	r.redacting.close()
	if err != nil {
		return nil, redactErr(r.red, err)
	}
	for i, s := range steps {
		out[s.Label] = results[i]
	}
	return out, nil
}

func (r *run) lintStep(ctx context.Context, s *dag.Step) (*lint.LintResults, error) {
	opt, err := r.solveOpt(ctx, s, false)
	if err != nil {
		return nil, fmt.Errorf("step %q: %w", s.Label, err)
	}
	tr := newTracker(s.Label, r.sink, nil)
	var out lint.LintResults
	err = tr.helperBuild(ctx, r.solver, opt, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		ss := &stepSession{run: r, c: c, step: s, solved: map[string]*solved{}, tr: tr}
		req, err := ss.request(ctx, s)
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
