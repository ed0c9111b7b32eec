package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/attestation"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/atomicfile"
	"github.com/weld-build/weld/sbom"
)

// Every published image carries an SPDX SBOM (package sbom) made by weld
// from its staged layers, as an in-toto attestation exactly where BuildKit
// puts its own: a layer of media type application/vnd.in-toto+json
// (predicate type https://spdx.dev/Document) in the image's attestation
// manifest, which the root index names with the annotations
// vnd.docker.reference.type=attestation-manifest and
// vnd.docker.reference.digest=<image manifest>. It is attached before the
// checks, so the leak scan reads it like every attestation. Its creation
// time is the step's SOURCE_DATE_EPOCH in a reproducible run.

// WithSBOM attaches an SPDX SBOM to every published image (on, the
// default) or not.
func WithSBOM(on bool) Option {
	return func(o *options) error { o.sbomOff = !on; return nil }
}

// attachStagedSBOM attaches the SBOM to step s's staged layout at dir and
// makes the exporter response in resp (when there is one) name the new root.
func (r *run) attachStagedSBOM(ctx context.Context, s *dag.Step, tr *tracker, dir string, resp *client.SolveResponse) error {
	if r.o.sbomOff {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, ocispecs.ImageIndexFile)); errors.Is(err, os.ErrNotExist) {
		return nil // nothing staged: the checks say so
	}
	var root ocispecs.Descriptor
	err := tr.wrap(ctx, "make the SBOM", func(*vertex) error {
		var err error
		root, err = attachSBOM(ctx, dir, s.Name, r.sbomCreated(s), r.sbomCache(s))
		return err
	})
	if err != nil {
		return &StepError{Step: s.Label, Err: fmt.Errorf("making the SBOM: %w", err)}
	}
	return setExportedRoot(resp, root)
}

// sbomCacheMax is how many layers' scans the SBOM cache keeps.
const sbomCacheMax = 256

// sbomCache keeps the scans of layers (package sbom) under the user's
// cache dir ($XDG_CACHE_HOME/weld/sbom, else ~/.cache/weld/sbom), so a
// rebuild or a shared base is not read again. A step whose session serves
// secrets keeps its scans only once its image passed the leak scan and the
// gates: a scan made before them could hold a secret (in a file name).
func (r *run) sbomCache(s *dag.Step) sbom.Cache {
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	c := &sbom.DirCache{Dir: filepath.Join(dir, "weld", "sbom"), Max: sbomCacheMax}
	if a := r.keepAfterChecks(s); a != nil {
		return heldCache{c, a} // keepchecked.go
	}
	return c
}

// sbomCreated is the SBOM's creation time: the step's SOURCE_DATE_EPOCH,
// else now.
func (r *run) sbomCreated(s *dag.Step) time.Time {
	if sec, err := strconv.ParseInt(r.o.repro.stepEpoch(s), 10, 64); err == nil {
		return time.Unix(sec, 0)
	}
	return time.Now()
}

// attachSBOM makes the SBOM of each image (one per platform) of the layout at dir (named
// name) and adds it to the image's attestation manifest, made when there is
// none; a root that is a single manifest becomes an index of the image and
// its attestations. It returns the new root.
func attachSBOM(ctx context.Context, dir, name string, created time.Time, cache sbom.Cache) (ocispecs.Descriptor, error) {
	var layout ocispecs.Index
	if err := readJSON(filepath.Join(dir, ocispecs.ImageIndexFile), &layout); err != nil {
		return ocispecs.Descriptor{}, err
	}
	if len(layout.Manifests) != 1 {
		return ocispecs.Descriptor{}, fmt.Errorf("the staged layout has %d manifests in its index, want 1", len(layout.Manifests))
	}
	root := layout.Manifests[0]
	idx, images, err := imagesOf(dir, root)
	if err != nil {
		return root, err
	}
	for _, image := range images { // one per platform
		layer, err := writeSBOM(ctx, dir, name, image, created, cache)
		if err != nil {
			return root, err
		}
		if err := addAttestation(dir, &idx, image, layer); err != nil {
			return root, err
		}
	}
	nroot := root
	if isIndex(root.MediaType) {
		nroot, err = replaceBlob(dir, root, idx)
	} else {
		nroot.MediaType, nroot.Platform = ocispecs.MediaTypeImageIndex, nil
		nroot, err = writeNewBlob(dir, nroot, idx)
	}
	if err != nil {
		return root, err
	}
	layout.Manifests[0] = nroot
	return nroot, writeStagedJSON(filepath.Join(dir, ocispecs.ImageIndexFile), layout)
}

// imagesOf is the root index (made for a root that is a manifest) and its
// image manifests (one per platform), with their platforms.
func imagesOf(dir string, root ocispecs.Descriptor) (ocispecs.Index, []ocispecs.Descriptor, error) {
	if isIndex(root.MediaType) {
		var idx ocispecs.Index
		if err := readBlobJSON(dir, root, &idx); err != nil {
			return idx, nil, err
		}
		images := imageManifests(idx) // platforms.go
		if len(images) == 0 {
			return idx, nil, fmt.Errorf("the staged index has no image manifest")
		}
		return idx, images, nil
	}
	var man ocispecs.Manifest
	if err := readBlobJSON(dir, root, &man); err != nil {
		return ocispecs.Index{}, nil, err
	}
	var cfg ocispecs.Image
	if err := readBlobJSON(dir, man.Config, &cfg); err != nil {
		return ocispecs.Index{}, nil, err
	}
	image := ocispecs.Descriptor{MediaType: root.MediaType, Digest: root.Digest, Size: root.Size, Platform: &cfg.Platform}
	idx := ocispecs.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{image}}
	return idx, []ocispecs.Descriptor{image}, nil
}

// writeSBOM makes the SBOM statement of the image manifest image and
// writes it as a blob; it returns its layer descriptor.
func writeSBOM(ctx context.Context, dir, name string, image ocispecs.Descriptor, created time.Time, cache sbom.Cache) (ocispecs.Descriptor, error) {
	var man ocispecs.Manifest
	if err := readBlobJSON(dir, image, &man); err != nil {
		return ocispecs.Descriptor{}, err
	}
	img := sbom.Image{Name: name, Digest: image.Digest}
	for _, l := range man.Layers {
		path, err := blobPath(dir, l.Digest)
		if err != nil {
			return ocispecs.Descriptor{}, err
		}
		img.Layers = append(img.Layers, sbom.Layer{Digest: l.Digest, Open: func() (io.ReadCloser, error) { return os.Open(path) }})
	}
	var opts []sbom.Option
	if cache != nil {
		opts = append(opts, sbom.WithCache(cache))
	}
	doc, err := sbom.Generate(ctx, img, created, opts...)
	if err != nil {
		return ocispecs.Descriptor{}, err
	}
	dt, err := sbom.Statement(doc, subjectName(name, image.Platform), image.Digest)
	if err != nil {
		return ocispecs.Descriptor{}, err
	}
	d := ocispecs.Descriptor{
		MediaType: "application/vnd.in-toto+json", Digest: digest.FromBytes(dt), Size: int64(len(dt)),
		Annotations: map[string]string{annotationPredType: sbom.PredicateType},
	}
	return d, writeBlobBytes(dir, d.Digest, dt)
}

// addAttestation adds layer to the attestation manifest of image in idx,
// or to a new one.
func addAttestation(dir string, idx *ocispecs.Index, image, layer ocispecs.Descriptor) error {
	for i, m := range idx.Manifests {
		if m.Annotations[annotationRefType] != attestationRefType || m.Annotations[attestation.DockerAnnotationReferenceDigest] != image.Digest.String() {
			continue
		}
		var man ocispecs.Manifest
		if err := readBlobJSON(dir, m, &man); err != nil {
			return err
		}
		man.Layers = append(man.Layers, layer)
		cfg, err := writeAttestationConfig(dir, man.Config.MediaType, man.Layers)
		if err != nil {
			return err
		}
		if cfg.Digest != man.Config.Digest {
			if old, err := blobPath(dir, man.Config.Digest); err == nil {
				_ = os.Remove(old)
			}
		}
		man.Config = cfg
		nm, err := replaceBlob(dir, m, man)
		idx.Manifests[i] = nm
		return err
	}
	cfg, err := writeAttestationConfig(dir, ocispecs.MediaTypeImageConfig, []ocispecs.Descriptor{layer})
	if err != nil {
		return err
	}
	man := ocispecs.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispecs.MediaTypeImageManifest, Config: cfg, Layers: []ocispecs.Descriptor{layer}}
	d := ocispecs.Descriptor{
		MediaType: ocispecs.MediaTypeImageManifest,
		Annotations: map[string]string{
			annotationRefType: attestationRefType,
			attestation.DockerAnnotationReferenceDigest: image.Digest.String(),
		},
		Platform: &ocispecs.Platform{Architecture: "unknown", OS: "unknown"},
	}
	d, err = writeNewBlob(dir, d, man)
	idx.Manifests = append(idx.Manifests, d)
	return err
}

// writeAttestationConfig writes the config of an attestation manifest as
// BuildKit makes it: platform unknown/unknown, the layers as diff IDs.
func writeAttestationConfig(dir, mediaType string, layers []ocispecs.Descriptor) (ocispecs.Descriptor, error) {
	img := ocispecs.Image{Platform: ocispecs.Platform{Architecture: "unknown", OS: "unknown"}}
	img.RootFS.Type = "layers"
	for _, l := range layers {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.Digest)
	}
	return writeNewBlob(dir, ocispecs.Descriptor{MediaType: mediaType}, img)
}

// writeNewBlob writes v as a blob and returns desc with its digest and size.
func writeNewBlob(dir string, desc ocispecs.Descriptor, v any) (ocispecs.Descriptor, error) {
	dt, err := jsonBytes(v)
	if err != nil {
		return desc, err
	}
	desc.Digest, desc.Size = digest.FromBytes(dt), int64(len(dt))
	return desc, writeBlobBytes(dir, desc.Digest, dt)
}

func writeBlobBytes(dir string, d digest.Digest, dt []byte) error {
	path, err := blobPath(dir, d)
	if err != nil {
		return err
	}
	return atomicfile.WriteFileUnsynced(path, dt, 0o644) // a staged layout
}

// subjectName names the image in the statement as BuildKit does: a docker
// purl with the platform, "_" for an image without a name.
func subjectName(name string, p *ocispecs.Platform) string {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "_"
	}
	s := "pkg:docker/" + reference.Path(named)
	if reference.Domain(named) != "docker.io" {
		s = "pkg:docker/" + reference.Domain(named) + "/" + reference.Path(named)
	}
	if t, ok := reference.TagNameOnly(named).(reference.Tagged); ok {
		s += "@" + t.Tag()
	}
	if p != nil && p.OS != "" {
		pl := p.OS + "/" + p.Architecture
		if p.Variant != "" {
			pl += "/" + p.Variant
		}
		s += "?platform=" + url.QueryEscape(pl)
	}
	return s
}
