package builder

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/docker"
	"github.com/weld-build/weld/sign"
)

// Every published image is exported once, by its step's own session, into
// this run's staging: one OCI layout folder per step (stagedImage). The
// checks (checks.go) read that folder, exactly the bytes that ship, and
// after the publish gate every output publishes from it: one Exporter per
// medium, each in its own file (export_layout.go, export_store.go,
// export_registry.go, export_docker.go), run by a multiExporter.

// stagedImage is a step's image as its session exported it into staging.
type stagedImage struct {
	// step is the step whose image it is.
	step *dag.Step
	// dir is the OCI layout folder (oci-layout, index.json, blobs/).
	dir string
	// tr is the step's progress, for the vertices of checks and exports.
	tr *tracker
	// sig is the image's signature image, written into dir (signing.go);
	// nil when the run does not sign.
	sig *sign.Image
	// gates are the results of the gates run on it so far (checks.go).
	gates []GateResult
}

// root is the descriptor of the image in the layout's index: an image
// index (image and attestation manifests) or a single manifest.
func (img *stagedImage) root() (ocispecs.Descriptor, error) {
	var idx ocispecs.Index
	if err := readJSON(filepath.Join(img.dir, ocispecs.ImageIndexFile), &idx); err != nil {
		return ocispecs.Descriptor{}, fmt.Errorf("reading the staged image of step %q: %w", img.step.Label, err)
	}
	ms := imageEntries(idx.Manifests) // signing.go
	if len(ms) != 1 {
		return ocispecs.Descriptor{}, fmt.Errorf("the staged image of step %q has %d manifests in its index, want 1", img.step.Label, len(ms))
	}
	return ms[0], nil
}

// Exporter publishes a staged image to one medium.
type Exporter interface {
	// Publish publishes img and returns where it went, in the form
	// StepResult.Outputs shows (oci:DIR/label, registry:NAME, …), also
	// what went out before a failure.
	Publish(ctx context.Context, img *stagedImage) ([]string, error)
}

// multiExporter publishes to every exporter in turn. An exporter that
// moves the staged files into its output (an OCI folder, the store) must
// come last: the others read them.
type multiExporter struct{ exporters []Exporter }

var _ Exporter = (*multiExporter)(nil)

// Publish implements Exporter: it goes on after a failure, so that the
// report says, per output, what was published and what was not.
func (m *multiExporter) Publish(ctx context.Context, img *stagedImage) ([]string, error) {
	var done []string
	var failed []string
	for _, e := range m.exporters {
		out, err := e.Publish(ctx, img)
		done = append(done, out...)
		if err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) == 0 {
		return done, nil
	}
	msg := strings.Join(failed, "; ")
	if len(done) > 0 {
		msg += " (published to " + strings.Join(done, ", ") + ")"
	}
	return done, &outputError{msg: msg}
}

// outputError is a publish that failed for one output or more.
type outputError struct{ msg string }

func (e *outputError) Error() string { return e.msg }

// exporter is the multi-exporter of a published step, from the run's
// outputs; the one that moves the staged layout runs last.
func (r *run) exporter(s *dag.Step) (Exporter, error) {
	var m, last []Exporter
	for _, o := range r.o.outputs {
		switch {
		case o.Type == OutputOCI && o.Tar:
			m = append(m, &ociExporter{out: o, r: r})
		case o.Type == OutputOCI:
			last = append(last, &ociExporter{out: o, r: r})
		case o.Type == OutputStore:
			last = append(last, &storeExporter{out: o, r: r})
		case o.Type == OutputRegistry:
			m = append(m, &registryExporter{auth: r.o.auth})
		case o.Type == OutputDocker:
			m = append(m, &dockerExporter{host: docker.Host(o.DockerHost)})
		default:
			return nil, fmt.Errorf("unknown output type %q", o.Type)
		}
	}
	return &multiExporter{exporters: append(m, last...)}, nil
}

// stagedLayout is the folder the session of published step s exports its
// image into: on the filesystem of the output that takes the layout as it
// is (an OCI folder or the store), so that committing it is a rename; else
// in a private folder of the run.
func (r *run) stagedLayout(s *dag.Step) (string, error) {
	for _, o := range r.o.outputs {
		if (o.Type == OutputOCI && !o.Tar) || o.Type == OutputStore {
			return r.stagedPath(o, s)
		}
	}
	dir, err := r.stage.private()
	if err != nil {
		return "", err
	}
	return childPath(dir, s.Label)
}

// publishObserver is a test seam: a Solver that implements it hears of
// every step whose image was published to all its outputs.
type publishObserver interface{ published(label string) }
