package builder

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/weld-build/weld/artifacts"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/docker"
)

// exports are the exports of a published step's session: one, of its
// image with its attestations, into this run's staging (exporter.go), as
// an OCI layout folder that the checks read and every output publishes
// from.
func (r *run) exports(s *dag.Step) ([]client.ExportEntry, error) {
	dir, err := r.stagedLayout(s)
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{"tar": "false"}
	if s.Name != "" {
		attrs["name"] = s.Name
	}
	r.stagedExportAttrs(s, attrs)                                // relayer.go
	r.stagedCompression(s, attrs)                                // compression.go
	skip := r.layerSkipper(s, dir)                               // stagedskip.go
	e, err := stagedExport(attrs, dir, skip, r.layerStreamer(s)) // stagedstore.go, stagedstream.go
	if err != nil {
		return nil, err
	}
	return []client.ExportEntry{e}, nil
}

// dockerLoader streams a docker-archive into the engine's load
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
// and the local exporter. Everything is cached by then. A step with
// platforms writes each platform's into DIR/<os>_<arch>[_<variant>]/, as
// buildx's local output does.
func (ss *stepSession) hostArtifacts(ctx context.Context, svs []*solved) error {
	if ss.o.artifactsDir == "" || len(ss.step.Artifacts) == 0 {
		return nil
	}
	for _, sv := range svs {
		dir := ss.o.artifactsDir
		if sv.platform != "" { // os/arch[/variant], checked by dag: no "." or ".." parts
			dir = filepath.Join(dir, strings.ReplaceAll(sv.platform, "/", "_"))
		}
		if err := ss.hostArtifactsTo(ctx, sv, dir); err != nil {
			return err
		}
	}
	return nil
}

func (ss *stepSession) hostArtifactsTo(ctx context.Context, sv *solved, dir string) error {
	s := ss.step
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
	opt.Exports = []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: dir}}
	err = ss.tr.helperBuild(ctx, ss.solver, opt, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		return c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	})
	if err != nil {
		return &StepError{Step: s.Label, Err: fmt.Errorf("writing artifacts to %s: %w", dir, err), Platform: sv.platform}
	}
	return nil
}
