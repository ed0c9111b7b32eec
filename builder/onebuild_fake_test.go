package builder

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/itest"
)

// policySolver is a fakeSolver that also answers what a run with a policy
// asks of the daemon: a base's digest (pin_digests) and the Dockerfile
// frontend's lint subrequest (no findings). It counts its sessions.
type policySolver struct {
	fakeSolver
	digests  map[string]digest.Digest // by ref as asked
	sessions atomic.Int32
	mu       sync.Mutex
	resolved []string
}

var _ Solver = (*policySolver)(nil)

// Build implements Solver.
func (s *policySolver) Build(ctx context.Context, opt client.SolveOpt, _ string, fn gateway.BuildFunc, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	s.sessions.Add(1)
	if ch != nil {
		defer close(ch)
	}
	res, err := fn(ctx, &policyClient{fakeClient: fakeClient{f: &s.fakeSolver}, s: s})
	if err != nil {
		return nil, err
	}
	if len(opt.Exports) > 0 && res != nil && res.Ref != nil {
		s.fakeSolver.mu.Lock()
		s.exported = append(s.exported, res.Ref.(*fakeRef).label)
		s.fakeSolver.mu.Unlock()
		if err := fakeExport(opt.Exports); err != nil {
			return nil, err
		}
	}
	return &client.SolveResponse{ExporterResponse: map[string]string{"containerimage.digest": "sha256:fake"}}, nil
}

type policyClient struct {
	fakeClient
	s *policySolver
}

// ResolveImageConfig implements gateway.Client: the digests the test knows.
func (c *policyClient) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	c.s.mu.Lock()
	c.s.resolved = append(c.s.resolved, ref)
	c.s.mu.Unlock()
	d, ok := c.s.digests[ref]
	if !ok {
		return "", "", nil, fmt.Errorf("%s: not found", ref)
	}
	return ref, d, []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}`), nil
}

// Solve implements gateway.Client: the lint subrequest finds nothing.
func (c *policyClient) Solve(ctx context.Context, req gateway.SolveRequest) (*gateway.Result, error) {
	if req.FrontendOpt["requestid"] == lint.RequestLint {
		res := gateway.NewResult()
		res.AddMeta("result.json", []byte(`{}`))
		return res, nil
	}
	return c.fakeClient.Solve(ctx, req)
}

// policyProject writes a project (build.yml and its files) and plans it.
func policyProject(t *testing.T, files map[string]string) *dag.Plan {
	t.Helper()
	dir := itest.WriteProject(t, files)
	b, err := dag.Load(filepath.Join(dir, "build.yml"))
	if err != nil {
		t.Fatalf("dag.Load: %v", err)
	}
	p, err := dag.NewPlan(b)
	if err != nil {
		t.Fatalf("dag.NewPlan: %v", err)
	}
	return p
}

// BuildOpts implements gateway.Client: a daemon with no workers listed (the
// lint then builds for this host's platform).
func (c *policyClient) BuildOpts() gateway.BuildOpts { return gateway.BuildOpts{SessionID: "fake"} }
