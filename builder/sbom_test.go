package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/util/attestation"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/sbom"
)

// tarLayer is a layer tar holding one file.
func tarLayer(t *testing.T, name, data string) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(data))
	tw.Close()
	return b.String()
}

// sbomOf reads the SBOM statement of the layout at dir, checking it sits
// where BuildKit puts its own: a layer of the attestation manifest that
// refers to the image manifest.
func sbomOf(t *testing.T, dir string) (stmt struct {
	Subject   []sbom.Subject
	Predicate sbom.Document
}, image ocispecs.Descriptor, attest ocispecs.Manifest) {
	t.Helper()
	var layout, idx ocispecs.Index
	if err := readJSON(filepath.Join(dir, ocispecs.ImageIndexFile), &layout); err != nil {
		t.Fatal(err)
	}
	if err := readBlob(dir, layout.Manifests[0], &idx); err != nil || layout.Manifests[0].MediaType != ocispecs.MediaTypeImageIndex {
		t.Fatalf("root %v is not an index: %v", layout.Manifests[0], err)
	}
	var att []ocispecs.Descriptor
	for _, m := range idx.Manifests {
		if m.Annotations[attestation.DockerAnnotationReferenceType] == attestation.DockerAnnotationReferenceTypeDefault {
			att = append(att, m)
		} else {
			image = m
		}
	}
	if len(att) != 1 || att[0].Annotations[attestation.DockerAnnotationReferenceDigest] != image.Digest.String() {
		t.Fatalf("attestation manifests %v, want one referring to %s", att, image.Digest)
	}
	if err := readBlob(dir, att[0], &attest); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range attest.Layers {
		if l.MediaType == "application/vnd.in-toto+json" && l.Annotations["in-toto.io/predicate-type"] == "https://spdx.dev/Document" {
			n++
			if err := readBlob(dir, l, &stmt); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d SPDX layers in %v, want 1", n, attest.Layers)
	}
	var cfg ocispecs.Image
	if err := readBlob(dir, attest.Config, &cfg); err != nil || len(cfg.RootFS.DiffIDs) != len(attest.Layers) {
		t.Errorf("attestation config %+v (%v), want a diff ID per layer", cfg, err)
	}
	return stmt, image, attest
}

func TestAttachSBOMToIndex(t *testing.T) {
	f := newFixture(t, tarLayer(t, "etc/hello", "hi"))
	root, err := attachSBOM(context.Background(), f.dir, "127.0.0.1:5000/app:v1", time.Unix(0, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	stmt, image, attest := sbomOf(t, f.dir)
	if image.Digest != f.image.Digest || len(attest.Layers) != 2 || attest.Layers[0].Digest != f.attestBody.Digest {
		t.Errorf("image %s, attestation layers %v: want the image unchanged, its provenance kept and the SBOM added", image.Digest, attest.Layers)
	}
	if want := "pkg:docker/127.0.0.1:5000/app@v1?platform=linux%2Famd64"; len(stmt.Subject) != 1 || stmt.Subject[0].Name != want || stmt.Subject[0].Digest["sha256"] != f.image.Digest.Encoded() {
		t.Errorf("subject %v, want %s with the image digest", stmt.Subject, want)
	}
	if len(stmt.Predicate.Files) != 1 || stmt.Predicate.Files[0].FileName != "/etc/hello" {
		t.Errorf("files %v, want /etc/hello", stmt.Predicate.Files)
	}
	if stmt.Predicate.CreationInfo.Created != "1970-01-01T00:00:00Z" {
		t.Errorf("created %s, want the epoch", stmt.Predicate.CreationInfo.Created)
	}
	for _, gone := range []ocispecs.Descriptor{f.root, f.attest} {
		if _, err := os.Stat(filepath.Join(f.dir, blobName(gone))); !os.IsNotExist(err) {
			t.Errorf("the replaced blob %s is still there (%v)", gone.Digest, err)
		}
	}
	if m, err := imageManifest(f.staged("app")); err != nil || m.Config.Digest != f.config.Digest {
		t.Errorf("the docker export's image manifest = %v, %v", m.Config, err)
	}
	g := newFixture(t, tarLayer(t, "etc/hello", "hi"))
	if again, err := attachSBOM(context.Background(), g.dir, "127.0.0.1:5000/app:v1", time.Unix(0, 0), nil); err != nil || again.Digest != root.Digest {
		t.Errorf("the same image again gives root %s (%v), want %s", again.Digest, err, root.Digest)
	}
}

// TestAttachSBOMToManifest: a layout whose root is the image manifest (no
// provenance) gets an index of the image and a new attestation manifest.
func TestAttachSBOMToManifest(t *testing.T) {
	f := newFixture(t, tarLayer(t, "app", "\x7fELF but not go"))
	img := f.image
	img.Platform = nil
	img.Annotations = map[string]string{ocispecs.AnnotationRefName: "v1"}
	if err := writeJSON(filepath.Join(f.dir, ocispecs.ImageIndexFile), ocispecs.Index{Versioned: versioned(), Manifests: []ocispecs.Descriptor{img}}); err != nil {
		t.Fatal(err)
	}
	root, err := attachSBOM(context.Background(), f.dir, "", time.Unix(0, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if root.MediaType != ocispecs.MediaTypeImageIndex || root.Annotations[ocispecs.AnnotationRefName] != "v1" {
		t.Errorf("root %+v, want an index keeping the ref name", root)
	}
	stmt, image, attest := sbomOf(t, f.dir)
	if image.Digest != f.image.Digest || image.Platform == nil || image.Platform.OS != "linux" || len(attest.Layers) != 1 {
		t.Errorf("image %+v, attestation %v", image, attest.Layers)
	}
	if stmt.Subject[0].Name != "_" {
		t.Errorf("subject %v, want _ for an image without a name", stmt.Subject)
	}
	dt, _ := json.Marshal(stmt.Predicate)
	if strings.Contains(string(dt), "golang") {
		t.Errorf("an ELF file without Go build info gave a Go package: %s", dt)
	}
}
