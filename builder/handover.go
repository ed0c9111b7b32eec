package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/sched"
)

// A step whose image a dependent on another daemon needs hands it over:
// its session exports the image once into this run's staging (a published
// step's staged layout, or a private one), weld pushes that layout by
// digest to the staging repository (WithStaging; no tag is written, so
// staging is not publishing), and the dependent's session uses
// docker-image://REPO@sha256:… in place of re-solving the step, for FROM
// <step> (with the image's config) and for artifacts alike.

// handover is a step's image in the staging registry.
type handover struct {
	done   *sched.Future // resolved once pushed, or once the step has failed
	ref    string        // REPO@sha256:… of its image manifest
	config []byte        // its image config
}

// WithStaging names the repository (REGISTRY/PREFIX) through which a
// pool's daemons hand results to each other, by digest. Without it, a
// dependent on another daemon builds what it needs itself.
func WithStaging(repo string) Option {
	return func(o *options) error {
		var err error
		o.staging, err = ParseStaging(repo)
		return err
	}
}

// ParseStaging checks a staging repository (WithStaging) and returns its
// normalized name; "" stays "" (no staging). A bad one is ErrInvalid.
func ParseStaging(repo string) (string, error) {
	if repo == "" {
		return "", nil
	}
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return "", fmt.Errorf("%w: --staging %q: %v (write REGISTRY/PREFIX, e.g. 127.0.0.1:5000/weld-staging)", ErrInvalid, repo, err)
	}
	if !reference.IsNameOnly(named) {
		return "", fmt.Errorf("%w: --staging %q names a tag or digest; give the repository only (REGISTRY/PREFIX): handovers are pushed by digest", ErrInvalid, repo)
	}
	return named.Name(), nil
}

// handoverExport is the export of a step that hands over and is not
// published: its image, once, into a private staging folder of the run.
func (r *run) handoverExport(s *dag.Step) ([]client.ExportEntry, error) {
	dir, err := r.handoverDir(s)
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{"tar": "false"}
	forceGzip(attrs) // compression.go
	return []client.ExportEntry{{Type: client.ExporterOCI, Attrs: attrs, OutputDir: dir}}, nil
}

func (r *run) handoverDir(s *dag.Step) (string, error) {
	dir, err := r.stage.private()
	if err != nil {
		return "", err
	}
	return childPath(dir, "handover-"+s.Label)
}

// handOverBuilt hands over the image of a step that is not published,
// from its private staging folder.
func (r *run) handOverBuilt(ctx context.Context, s *dag.Step, tr *tracker) error {
	if !r.fleet.handsOver(s.Label) {
		return nil
	}
	dir, err := r.handoverDir(s)
	if err != nil {
		return &StepError{Step: s.Label, Err: err}
	}
	if err := r.handOver(ctx, s, tr, dir); err != nil {
		return &StepError{Step: s.Label, Err: err}
	}
	return nil
}

// handOver pushes the staged layout dir of step s to the staging
// repository by digest, and lets the dependents waiting for it go.
func (r *run) handOver(ctx context.Context, s *dag.Step, tr *tracker, dir string) error {
	if !r.fleet.handsOver(s.Label) {
		return nil
	}
	img := &stagedImage{step: s, dir: dir, tr: tr}
	root, err := img.root()
	if err != nil {
		return err
	}
	config, err := layoutConfig(dir, root.Digest, platforms.DefaultSpec()) // lintlayout.go
	if err != nil {
		return err
	}
	ref := r.fleet.staging + "@" + root.Digest.String()
	err = tr.wrap(ctx, "handing over to the staging registry "+ref, func(*vertex) error {
		pusher, err := (&registryExporter{auth: r.o.auth}).resolver(ctx).Pusher(ctx, ref)
		if err != nil {
			return err
		}
		return remotes.PushContent(ctx, pusher, root, layoutProvider{dir: dir}, nil, platforms.All, nil)
	})
	if err != nil {
		return fmt.Errorf("handing over to %s: %w", r.fleet.staging, err)
	}
	h := r.fleet.handovers[s.Label]
	h.ref, h.config = ref, config
	h.done.Resolve(nil)
	return nil
}

// waitHandovers waits, before step s takes a slot on daemon d, for every
// step its session needs that hands over from another daemon.
func (f *fleet) waitHandovers(ctx context.Context, r *run, s *dag.Step, d int) error {
	for _, l := range r.closure[s.Label] {
		h := f.handovers[l]
		if l == s.Label || h == nil || f.placed(l) == d {
			continue
		}
		if err := h.done.Wait(ctx); err != nil {
			if context.Cause(ctx) != nil {
				return fmt.Errorf("step %q: %w", s.Label, context.Canceled)
			}
			return fmt.Errorf("step %q: %w: %s", s.Label, ErrDependencyFailed, l)
		}
	}
	return nil
}

// handedOver is, in a session on another daemon than the one step s was
// placed on, s's image from the staging registry (ok); not ok when s does
// not hand over to it, and the session solves s itself.
func (ss *stepSession) handedOver(ctx context.Context, s *dag.Step) (*solved, bool, error) {
	f := ss.fleet
	if !f.handsOver(s.Label) || ss.solver == Solver(f.daemons[f.placed(s.Label)].Client) {
		return nil, false, nil
	}
	h := f.handovers[s.Label]
	if err := h.done.Wait(ctx); err != nil {
		return nil, true, fmt.Errorf("step %q: %w: %s", ss.step.Label, ErrDependencyFailed, s.Label)
	}
	if h.ref == "" {
		return nil, true, errors.New("handover of step " + s.Label + " has no image")
	}
	st := llb.Image(h.ref, llb.WithCustomName(fmt.Sprintf("[%s] handed over: %s", s.Label, h.ref)))
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, true, err
	}
	res, err := ss.c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return nil, true, fmt.Errorf("step %q: pulling the handover of %s: %w", ss.step.Label, s.Label, err)
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, true, err
	}
	ss.own(def, s.Label)
	return &solved{ref: ref, state: st, def: def, config: h.config}, true, nil
}
