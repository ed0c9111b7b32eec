package builder

import (
	"context"

	"github.com/moby/buildkit/frontend/subrequests/lint"
	"golang.org/x/sync/errgroup"

	"github.com/weld-build/weld/dag"
)

// LintSubrequest lints every selected step through the Dockerfile
// frontend's lint subrequest on the daemon, one session per step, as Lint
// did before it ran in-process: what the integration tests compare Lint's
// results with.
func (b *Builder) LintSubrequest(ctx context.Context, p *dag.Plan, labels ...string) (map[string]*lint.LintResults, error) {
	return b.lintReading(ctx, p, labels, func(ctx context.Context, r *run) (map[string]*lint.LintResults, error) {
		results := make([]*lint.LintResults, len(r.steps))
		g, ctx := errgroup.WithContext(ctx)
		for i, s := range r.steps {
			g.Go(func() (err error) {
				results[i], err = r.lintStep(ctx, s)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		out := map[string]*lint.LintResults{}
		for i, s := range r.steps {
			out[s.Label] = results[i]
		}
		return out, nil
	})
}

// WithDaemonRewrite leaves the layers' time rewrite of a reproducible run
// to BuildKit's exporter (rewrite-timestamp), as weld did before
// relayer.go: the integration tests compare the two paths' digests.
func WithDaemonRewrite() Option {
	return func(o *options) error { o.repro.daemonRewrite = true; return nil }
}
