package builder

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/weld-build/weld/artifacts"
	"github.com/weld-build/weld/dag"
)

// exports are the exporters of a published step.
func (r *run) exports(s *dag.Step) ([]client.ExportEntry, error) {
	var out []client.ExportEntry
	for _, o := range r.o.outputs {
		attrs := map[string]string{}
		if s.Name != "" {
			attrs["name"] = s.Name
		}
		switch o.Type {
		case "oci":
			if err := os.MkdirAll(o.Dest, 0o755); err != nil {
				return nil, fmt.Errorf("creating --output folder: %w", err)
			}
			e := client.ExportEntry{Type: client.ExporterOCI, Attrs: attrs}
			if o.Tar {
				path := filepath.Join(o.Dest, s.Label+".tar")
				e.Output = func(map[string]string) (io.WriteCloser, error) { return os.Create(path) }
			} else {
				attrs["tar"] = "false"
				e.OutputDir = filepath.Join(o.Dest, s.Label)
			}
			out = append(out, e)
		default:
			return nil, fmt.Errorf("unknown output type %q", o.Type)
		}
	}
	return out, nil
}

// outputNames says where a published step's image went.
func (r *run) outputNames(s *dag.Step) []string {
	var out []string
	for _, o := range r.o.outputs {
		if o.Tar {
			out = append(out, "oci:"+filepath.Join(o.Dest, s.Label+".tar"))
		} else {
			out = append(out, "oci:"+filepath.Join(o.Dest, s.Label))
		}
	}
	return out
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
	opt, err := ss.solveOpt(s)
	if err != nil {
		return err
	}
	opt.Exports = []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: ss.o.artifactsDir}}
	ch := make(chan *client.SolveStatus)
	go ss.tr.drainQuiet(ch)
	_, err = ss.solver.Build(ctx, opt, "weld", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		return c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	}, ch)
	if err != nil {
		return &StepError{Step: s.Label, Err: fmt.Errorf("writing artifacts to %s: %w", ss.o.artifactsDir, err)}
	}
	return nil
}

// dockerignore reads the exclude patterns of a step's context: the
// Dockerfile's own <Dockerfile>.dockerignore first, else the context's
// .dockerignore. The Dockerfile frontend reads neither when the context is
// given as an input, as weld gives it.
func dockerignore(s *dag.Step) []string {
	for _, p := range []string{s.Dockerfile + ".dockerignore", filepath.Join(s.Context, ".dockerignore")} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		defer f.Close()
		patterns, err := ignorefile.ReadAll(f)
		if err != nil {
			continue
		}
		return patterns
	}
	return nil
}
