package builder

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

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
			// Staged privately; commitOutputs publishes it after the gate.
			e.Type = client.ExporterOCI
			staged, err := r.stagedPath(o, s)
			if err != nil {
				return nil, err
			}
			if o.Tar {
				e.Output = r.stagedTar(s, staged)
				break
			}
			attrs["tar"] = "false"
			e.OutputDir = staged
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

// outputNames says where a published step's image went.
func (r *run) outputNames(s *dag.Step) []string {
	var out []string
	for _, o := range r.o.outputs {
		switch {
		case o.Type == OutputOCI:
			out = append(out, "oci:"+filepath.Join(o.Dest, outputFile(o, s)))
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
	if err := ss.scanArtifacts(ctx, def); err != nil { // artifactscan.go
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
