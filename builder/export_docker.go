package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/util/attestation"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

// dockerExporter loads the staged image into a Docker engine: a
// docker-archive (docker save's format, what BuildKit's docker exporter
// writes) built from the layout and streamed into the engine's load API.
// The archive holds the image's config and layers only, never an
// attestation manifest: an engine before 25 loads neither those nor an
// OCI tar.
type dockerExporter struct {
	host string
}

var _ Exporter = (*dockerExporter)(nil)

// Publish implements Exporter.
func (e *dockerExporter) Publish(ctx context.Context, img *stagedImage) ([]string, error) {
	name := img.step.Name
	what := "loading " + name + " into docker"
	if len(img.step.Platforms) > 0 { // docker load takes one image: the host's platform
		what = fmt.Sprintf("loading %s into docker: %s, this machine's platform, of %s", name, dag.HostPlatform(), strings.Join(img.step.Platforms, ", "))
	}
	err := img.tr.wrap(ctx, what, func(*vertex) error { return e.load(ctx, img) })
	if err != nil {
		return nil, err
	}
	return []string{"docker:" + name}, nil
}

func (e *dockerExporter) load(ctx context.Context, img *stagedImage) error {
	records, err := dockerArchive(img)
	if err != nil {
		return err
	}
	l := newDockerLoader(ctx, e.host)
	if err := writeTar(l, records); err != nil {
		l.CloseWithError(err)
		<-l.done
		return err
	}
	return l.Close()
}

// dockerManifest is one image of a docker-archive's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// dockerArchive is the docker-archive of a staged image: manifest.json,
// naming the config and the layers, which are the layout's blobs at their
// own paths (blobs/sha256/…).
func dockerArchive(img *stagedImage) ([]tarRecord, error) {
	m, err := imageManifest(img)
	if err != nil {
		return nil, err
	}
	var records []tarRecord
	dm := dockerManifest{}
	for i, d := range append([]ocispecs.Descriptor{m.Config}, m.Layers...) {
		rec, err := blobRecord(img.dir, d)
		if err != nil {
			return nil, err
		}
		records = append(records, rec)
		if i == 0 {
			dm.Config = rec.name
		} else {
			dm.Layers = append(dm.Layers, rec.name)
		}
	}
	if img.step.Name != "" {
		named, err := reference.ParseNormalizedNamed(img.step.Name)
		if err != nil {
			return nil, err
		}
		dm.RepoTags = []string{reference.FamiliarString(reference.TagNameOnly(named))}
	}
	dt, err := json.Marshal([]dockerManifest{dm})
	if err != nil {
		return nil, err
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		records = append(records, tarRecord{name: dir, dir: true, mode: 0o755})
	}
	return append(records, tarRecord{name: "manifest.json", mode: 0o644, data: dt, size: int64(len(dt))}), nil
}

// imageManifest is the staged image's manifest: the root itself, or the
// one image manifest of the root index (not an attestation manifest).
func imageManifest(img *stagedImage) (ocispecs.Manifest, error) {
	d, err := img.root()
	if err != nil {
		return ocispecs.Manifest{}, err
	}
	if isIndex(d.MediaType) {
		var idx ocispecs.Index
		if err := readBlob(img.dir, d, &idx); err != nil {
			return ocispecs.Manifest{}, err
		}
		var images []ocispecs.Descriptor
		for _, m := range idx.Manifests {
			if m.Annotations[attestation.DockerAnnotationReferenceType] != attestation.DockerAnnotationReferenceTypeDefault {
				images = append(images, m)
			}
		}
		if d, err = hostImage(img.step, images); err != nil {
			return ocispecs.Manifest{}, err
		}
	}
	var m ocispecs.Manifest
	err = readBlob(img.dir, d, &m)
	return m, err
}

// hostImage is the one image of images, or of a multi-platform step the
// one for this machine's platform.
func hostImage(s *dag.Step, images []ocispecs.Descriptor) (ocispecs.Descriptor, error) {
	if len(images) == 1 {
		return images[0], nil
	}
	if len(s.Platforms) > 0 {
		host := platforms.Only(platforms.DefaultSpec())
		for _, m := range images {
			if m.Platform != nil && host.Match(*m.Platform) {
				return m, nil
			}
		}
		return ocispecs.Descriptor{}, fmt.Errorf("step %q builds no image for %s, this machine's platform, to load into docker (it builds %s)",
			s.Label, dag.HostPlatform(), strings.Join(s.Platforms, ", "))
	}
	return ocispecs.Descriptor{}, fmt.Errorf("the staged image of step %q has %d image manifests, want 1", s.Label, len(images))
}

func isIndex(mediaType string) bool {
	return mediaType == ocispecs.MediaTypeImageIndex || mediaType == "application/vnd.docker.distribution.manifest.list.v2+json"
}

// readBlob parses the JSON blob d of the layout at dir.
func readBlob(dir string, d ocispecs.Descriptor, v any) error {
	if err := d.Digest.Validate(); err != nil {
		return err
	}
	return readJSON(filepath.Join(dir, ocispecs.ImageBlobsDir, d.Digest.Algorithm().String(), d.Digest.Encoded()), v)
}

var _ io.WriteCloser = (*dockerLoader)(nil)
