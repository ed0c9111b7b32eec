package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// fakeSolver runs build functions against fakeClients, without a daemon.
// Each step's Dockerfile solve yields a ref whose Evaluate sleeps for the
// step's delay and fails when the step is listed in fail.
type fakeSolver struct {
	delay map[string]time.Duration // by Dockerfile name (= step label in tests)
	fail  map[string]error
	deps  map[string][]string // a step's evaluation includes its dependencies'
	// failAfter fails a step's session after its build function succeeded
	// (as a failing --cache-to export would).
	failAfter map[string]error
	// timed sends, for each session, one vertex that ran as long as its
	// build function (the step's work, as durations.go records it).
	timed bool

	// exportDelay is how long a session's export takes.
	exportDelay time.Duration

	running, maxRunning atomic.Int32
	// exporting counts the exports under way; frontendsWhileSolving the
	// frontends run while a step was evaluated, solvesWhileExporting the
	// evaluations started while a session exported.
	exporting, frontendsWhileSolving, solvesWhileExporting atomic.Int32

	mu        sync.Mutex
	exported  []string // labels whose image was published (publishObserver)
	evaluated []string
}

var _ Solver = (*fakeSolver)(nil)

// Build implements Solver.
func (f *fakeSolver) Build(ctx context.Context, opt client.SolveOpt, _ string, fn gateway.BuildFunc, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	defer close(ch)
	start := time.Now()
	res, err := fn(ctx, &fakeClient{f: f})
	if f.timed {
		end := time.Now()
		ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: digest.FromString(start.String()), Name: "work", Started: &start, Completed: &end}}}
	}
	if err != nil {
		return nil, err
	}
	if res != nil && res.Ref != nil {
		if err := f.failAfter[res.Ref.(*fakeRef).label]; err != nil {
			time.Sleep(50 * time.Millisecond) // an export takes a while
			return nil, err
		}
	}
	if len(opt.Exports) > 0 && res != nil && res.Ref != nil {
		f.exporting.Add(1)
		time.Sleep(f.exportDelay)
		f.exporting.Add(-1)
		if err := fakeExport(opt.Exports); err != nil {
			return nil, err
		}
	}
	return &client.SolveResponse{ExporterResponse: map[string]string{"containerimage.digest": "sha256:fake"}}, nil
}

// published implements publishObserver.
func (f *fakeSolver) published(label string) {
	f.mu.Lock()
	f.exported = append(f.exported, label)
	f.mu.Unlock()
}

// fakeExport writes what the OCI exporter would: a layout folder, or a tar
// through the exporter's writer.
func fakeExport(exports []client.ExportEntry) error {
	for _, e := range exports {
		switch dir := exportDir(e); {
		case dir != "":
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
				return err
			}
		case e.Output != nil:
			w, err := e.Output(nil)
			if err != nil {
				return err
			}
			if _, err := w.Write([]byte("tar")); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// exportDir is the folder an OCI export writes: its OutputDir, or the
// layout of weld's staged store (stagedstore.go).
func exportDir(e client.ExportEntry) string {
	if s, ok := e.OutputStore.(*stagedStore); ok {
		return s.dir
	}
	return e.OutputDir
}

type fakeClient struct {
	gateway.Client
	f *fakeSolver
}

// Solve implements gateway.Client: the "Dockerfile" is the step label.
func (c *fakeClient) Solve(_ context.Context, req gateway.SolveRequest) (*gateway.Result, error) {
	label := req.FrontendOpt["filename"]
	if c.f.running.Load() > 0 {
		c.f.frontendsWhileSolving.Add(1)
	}
	res := gateway.NewResult()
	res.SetRef(&fakeRef{f: c.f, label: label})
	return res, nil
}

type fakeRef struct {
	gateway.Reference
	f     *fakeSolver
	label string
}

// ToState implements gateway.Reference: a state whose single op digest
// stands for the step, so failures can be attributed.
func (r *fakeRef) ToState() (llb.State, error) {
	return llb.Scratch().File(llb.Mkdir("/"+r.label, 0o755)), nil
}

// Evaluate implements gateway.Reference.
func (r *fakeRef) Evaluate(ctx context.Context) error {
	if r.f.exporting.Load() > 0 {
		r.f.solvesWhileExporting.Add(1)
	}
	n := r.f.running.Add(1)
	defer r.f.running.Add(-1)
	for {
		m := r.f.maxRunning.Load()
		if n <= m || r.f.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	for _, d := range r.f.deps[r.label] {
		if err := (&fakeRef{f: r.f, label: d}).evalOnly(ctx); err != nil {
			return err
		}
	}
	return r.evalOnly(ctx)
}

func (r *fakeRef) evalOnly(ctx context.Context) error {
	select {
	case <-time.After(r.f.delay[r.label]):
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	r.f.mu.Lock()
	r.f.evaluated = append(r.f.evaluated, r.label)
	r.f.mu.Unlock()
	if err := r.f.fail[r.label]; err != nil {
		st, _ := r.ToState()
		def, _ := st.Marshal(ctx)
		return errdefs.WrapVertex(err, digest.FromBytes(def.Def[len(def.Def)-2]))
	}
	return nil
}

// StatFile implements gateway.Reference: every artifact exists.
func (r *fakeRef) StatFile(context.Context, gateway.StatRequest) (*fstypes.Stat, error) {
	return &fstypes.Stat{}, nil
}

var errBoom = errors.New("boom")
