package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// errInProcess is what the in-process lint cannot do: solve, run a
// container, or resolve a source other than an image.
var errInProcess = errors.New("not available to weld's in-process Dockerfile lint")

// lintClient stands in for the daemon's gateway when weld runs the
// Dockerfile frontend's conversion in-process: the frontend's own request
// parsing (dockerui: build args, target, named contexts, the
// BUILDKIT_DOCKERFILE_CHECK build arg) reads the step's request from it as
// from the daemon, and its image lookups are answered by lintBases. Nothing
// is solved.
type lintClient struct {
	opts   gateway.BuildOpts
	inputs map[string]llb.State
	bases  *lintBases
}

var _ gateway.Client = (*lintClient)(nil)

// newLintClient returns the gateway of one conversion: attrs are the
// frontend attrs of the step's request (its own copy: dockerui writes to
// it), inputs its frontend inputs.
func newLintClient(attrs map[string]string, inputs map[string]llb.State, lb *lintBases) *lintClient {
	return &lintClient{
		opts: gateway.BuildOpts{
			Opts:      attrs,
			SessionID: "weld-lint",
			Workers:   []gateway.WorkerInfo{{ID: "weld-lint", Platforms: []ocispecs.Platform{lb.images.defaultPlatform()}}},
			Product:   "weld",
			LLBCaps:   pb.Caps.CapSet(pb.Caps.All()),
			Caps:      gwpb.Caps.CapSet(gwpb.Caps.All()),
		},
		inputs: inputs,
		bases:  lb,
	}
}

// BuildOpts implements gateway.Client.
func (c *lintClient) BuildOpts() gateway.BuildOpts { return c.opts }

// Inputs implements gateway.Client.
func (c *lintClient) Inputs(context.Context) (map[string]llb.State, error) { return c.inputs, nil }

// ResolveImageConfig implements gateway.Client.
func (c *lintClient) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return c.bases.ResolveImageConfig(ctx, ref, opt)
}

// ResolveSourceMetadata implements gateway.Client: the frontend asks it
// only for a SOURCE_DATE_EPOCH taken from a git or HTTP context, which weld
// never passes.
func (c *lintClient) ResolveSourceMetadata(_ context.Context, op *pb.SourceOp, _ sourceresolver.Opt) (*sourceresolver.MetaResponse, error) {
	return nil, fmt.Errorf("resolving %s: %w", op.GetIdentifier(), errInProcess)
}

// Solve implements gateway.Client.
func (c *lintClient) Solve(context.Context, gateway.SolveRequest) (*gateway.Result, error) {
	return nil, fmt.Errorf("solving: %w", errInProcess)
}

// NewContainer implements gateway.Client.
func (c *lintClient) NewContainer(context.Context, gateway.NewContainerRequest) (gateway.Container, error) {
	return nil, fmt.Errorf("running a container: %w", errInProcess)
}

// Warn implements gateway.Client; the lint collects its warnings itself.
func (c *lintClient) Warn(context.Context, digest.Digest, string, gateway.WarnOpts) error { return nil }

// lintBases answers the image lookups of one in-process Lint as the daemon
// would have: an OCI layout of WithImages from its folder, any other image
// through the run's imageResolver (the daemon, once per ref). A step that
// another builds FROM never gets here: it is a named context whose config
// the request carries (lintlocal.go), as in the build.
type lintBases struct {
	images *imageResolver
	dirs   map[string]string // OCI store ID → layout folder
}

var _ llb.ImageMetaResolver = (*lintBases)(nil)

// ResolveImageConfig implements llb.ImageMetaResolver.
func (lb *lintBases) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	if o := opt.OCILayoutOpt; o != nil {
		dir, ok := lb.dirs[o.Store.StoreID]
		if !ok {
			return "", "", nil, fmt.Errorf("resolving %s: no OCI layout %q in this run", ref, o.Store.StoreID)
		}
		named, err := reference.ParseNormalizedNamed(ref)
		if err != nil {
			return "", "", nil, err
		}
		dgstd, ok := named.(reference.Digested)
		if !ok {
			return "", "", nil, fmt.Errorf("resolving %s: the OCI layout ref has no digest", ref)
		}
		p := lb.images.defaultPlatform()
		if o.Platform != nil {
			p = *o.Platform
		}
		cfg, err := layoutConfig(dir, dgstd.Digest(), p)
		return ref, dgstd.Digest(), cfg, err
	}
	var p *ocispecs.Platform
	if opt.ImageOpt != nil {
		p = opt.ImageOpt.Platform
	}
	a := lb.images.resolve(ctx, ref, p)
	return a.ref, a.dgst, a.config, a.err
}
