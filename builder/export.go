package builder

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/artifacts"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/docker"
)

// exports are the exporters of a published step.
func (r *run) exports(ctx context.Context, s *dag.Step) ([]client.ExportEntry, error) {
	var out []client.ExportEntry
	for _, o := range r.o.outputs {
		attrs := map[string]string{}
		if s.Name != "" {
			attrs["name"] = s.Name
		}
		e := client.ExportEntry{Attrs: attrs}
		switch o.Type {
		case OutputOCI, OutputStore:
			e.Type = client.ExporterOCI
			dir := filepath.Join(o.Dest, s.Label)
			if o.Type == OutputStore {
				dir = r.storeTemp(o, s)
			}
			if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
				return nil, fmt.Errorf("creating the output folder: %w", err)
			}
			if o.Tar {
				path := filepath.Join(o.Dest, s.Label+".tar")
				e.Output = func(map[string]string) (io.WriteCloser, error) { return os.Create(path) }
				break
			}
			attrs["tar"] = "false"
			e.OutputDir = dir
		case OutputRegistry:
			e.Type = client.ExporterImage
			attrs["push"] = "true"
		case OutputDocker:
			e.Type = client.ExporterDocker
			host := docker.Host(o.DockerHost)
			e.Output = func(map[string]string) (io.WriteCloser, error) { return newDockerLoader(ctx, host), nil }
		default:
			return nil, fmt.Errorf("unknown output type %q", o.Type)
		}
		out = append(out, e)
	}
	return out, nil
}

// tidyOutputs removes what BuildKit's client leaves in an OCI layout folder:
// its ingest folder always, and the whole folder when nothing was exported
// (a held-back or failed step), so no half layout is left behind.
func (r *run) tidyOutputs(s *dag.Step, ok bool) {
	if !r.publish[s.Label] {
		return
	}
	for _, o := range r.o.outputs {
		if o.Tar || (o.Type != OutputOCI && o.Type != OutputStore) {
			continue
		}
		dir := filepath.Join(o.Dest, s.Label)
		if o.Type == OutputStore {
			dir = r.storeTemp(o, s)
		}
		_ = os.RemoveAll(filepath.Join(dir, "ingest"))
		if _, err := os.Stat(filepath.Join(dir, ocispecs.ImageIndexFile)); !ok || err != nil {
			_ = os.RemoveAll(dir)
		}
	}
}

// outputNames says where a published step's image went.
func (r *run) outputNames(s *dag.Step) []string {
	var out []string
	for _, o := range r.o.outputs {
		switch {
		case o.Type == OutputOCI && o.Tar:
			out = append(out, "oci:"+filepath.Join(o.Dest, s.Label+".tar"))
		case o.Type == OutputOCI:
			out = append(out, "oci:"+filepath.Join(o.Dest, s.Label))
		case o.Type == OutputStore:
			out = append(out, "oci:"+o.Dest+" ("+s.Name+")")
		case o.Type == OutputRegistry:
			out = append(out, "registry:"+s.Name)
		case o.Type == OutputDocker:
			out = append(out, "docker:"+s.Name)
		}
	}
	return out
}

// dockerLoader streams the docker exporter's tarball into the engine's load
// API; Close waits for the engine's verdict.
type dockerLoader struct {
	*io.PipeWriter
	done chan error
}

func newDockerLoader(ctx context.Context, host string) *dockerLoader {
	pr, pw := io.Pipe()
	l := &dockerLoader{PipeWriter: pw, done: make(chan error, 1)}
	go func() {
		err := docker.Load(ctx, host, pr)
		pr.CloseWithError(err)
		l.done <- err
	}()
	return l
}

// Close implements io.Closer.
func (l *dockerLoader) Close() error {
	if err := l.PipeWriter.Close(); err != nil {
		return err
	}
	return <-l.done
}

// hostArtifacts writes the step's artifacts to --artifacts-dir, laid out as
// in the work dir (DIR/<dest>/<basename(src)>), with a solve of their copies
// and the local exporter. Everything is cached by then.
func (ss *stepSession) hostArtifacts(ctx context.Context, sv *solved) error {
	s := ss.step
	if ss.o.artifactsDir == "" || len(s.Artifacts) == 0 {
		return nil
	}
	placed, _ := artifacts.Place(s.Artifacts, ss.workDir(), ss.workDir())
	def, err := artifacts.Layer(sv.state, placed, s.Label).Marshal(ctx)
	if err != nil {
		return err
	}
	opt, err := ss.solveOpt(ctx, s, false)
	if err != nil {
		return err
	}
	opt.Exports = []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: ss.o.artifactsDir}}
	err = ss.tr.helperBuild(ctx, ss.solver, opt, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		return c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	})
	if err != nil {
		return &StepError{Step: s.Label, Err: fmt.Errorf("writing artifacts to %s: %w", ss.o.artifactsDir, err)}
	}
	return nil
}
