package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/attestation"
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

// fixture is an OCI layout on disk as the session's export writes it: an
// index (image manifest + attestation manifest) named in index.json.
type fixture struct {
	dir                       string
	root, image, attest       ocispecs.Descriptor
	config, layer, attestBody ocispecs.Descriptor
}

func writeBlob(t *testing.T, dir, mediaType string, dt []byte) ocispecs.Descriptor {
	t.Helper()
	d := ocispecs.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(dt), Size: int64(len(dt))}
	p := filepath.Join(dir, "blobs", "sha256", d.Digest.Encoded())
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, dt, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func writeJSONBlob(t *testing.T, dir, mediaType string, v any) ocispecs.Descriptor {
	t.Helper()
	dt, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return writeBlob(t, dir, mediaType, dt)
}

func newFixture(t *testing.T, layer string) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.config = writeBlob(t, f.dir, ocispecs.MediaTypeImageConfig, []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}`))
	f.layer = writeBlob(t, f.dir, ocispecs.MediaTypeImageLayer, []byte(layer))
	f.image = writeJSONBlob(t, f.dir, ocispecs.MediaTypeImageManifest, ocispecs.Manifest{
		Versioned: versioned(), MediaType: ocispecs.MediaTypeImageManifest, Config: f.config, Layers: []ocispecs.Descriptor{f.layer}})
	f.image.Platform = &ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	f.attestBody = writeBlob(t, f.dir, "application/vnd.in-toto+json", []byte(`{"predicateType":"https://slsa.dev/provenance/v0.2"}`))
	f.attest = writeJSONBlob(t, f.dir, ocispecs.MediaTypeImageManifest, ocispecs.Manifest{
		Versioned: versioned(), MediaType: ocispecs.MediaTypeImageManifest, Config: writeBlob(t, f.dir, ocispecs.MediaTypeImageConfig, []byte(`{}`)), Layers: []ocispecs.Descriptor{f.attestBody}})
	f.attest.Annotations = map[string]string{attestation.DockerAnnotationReferenceType: attestation.DockerAnnotationReferenceTypeDefault,
		attestation.DockerAnnotationReferenceDigest: f.image.Digest.String()}
	f.attest.Platform = &ocispecs.Platform{OS: "unknown", Architecture: "unknown"}
	f.root = writeJSONBlob(t, f.dir, ocispecs.MediaTypeImageIndex, ocispecs.Index{
		Versioned: versioned(), MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{f.image, f.attest}})
	if err := writeJSON(filepath.Join(f.dir, ocispecs.ImageIndexFile), ocispecs.Index{Versioned: versioned(), Manifests: []ocispecs.Descriptor{f.root}}); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(f.dir, ocispecs.ImageLayoutFile), ocispecs.ImageLayout{Version: ocispecs.ImageLayoutVersion}); err != nil {
		t.Fatal(err)
	}
	// What BuildKit's client leaves beside the layout.
	if err := os.MkdirAll(filepath.Join(f.dir, "ingest", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) staged(name string) *stagedImage {
	return &stagedImage{step: &dag.Step{Label: "app", Name: name}, dir: f.dir, tr: newTracker("app", func(*client.SolveStatus) {}, nil)}
}

// tarEntries reads a tar into name → content (folders as "").
func tarEntries(t *testing.T, r io.Reader) (map[string]string, []string) {
	t.Helper()
	tr := tar.NewReader(r)
	out := map[string]string{}
	var order []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, order
		}
		if err != nil {
			t.Fatalf("reading the tar: %v", err)
		}
		dt, _ := io.ReadAll(tr)
		out[h.Name] = string(dt)
		order = append(order, h.Name)
	}
}

func blobName(d ocispecs.Descriptor) string { return "blobs/sha256/" + d.Digest.Encoded() }

// TestDockerArchive: the docker-archive names the config and the layer by
// their blob paths, tags the image (":latest" when untagged), and holds
// neither the attestation nor the OCI index.
func TestDockerArchive(t *testing.T) {
	f := newFixture(t, "layer-bytes")
	for _, tc := range []struct{ name, tag string }{
		{"weld-it/app:v1", "weld-it/app:v1"},
		{"app", "app:latest"},
		{"127.0.0.1:5000/x/app:v2", "127.0.0.1:5000/x/app:v2"},
	} {
		records, err := dockerArchive(f.staged(tc.name))
		if err != nil {
			t.Fatalf("dockerArchive(%s) = %v", tc.name, err)
		}
		var buf bytes.Buffer
		if err := writeTar(&buf, records); err != nil {
			t.Fatal(err)
		}
		files, _ := tarEntries(t, &buf)
		var m []dockerManifest
		if err := json.Unmarshal([]byte(files["manifest.json"]), &m); err != nil {
			t.Fatalf("manifest.json: %v\n%s", err, files["manifest.json"])
		}
		want := []dockerManifest{{Config: blobName(f.config), RepoTags: []string{tc.tag}, Layers: []string{blobName(f.layer)}}}
		if !slices.EqualFunc(m, want, func(a, b dockerManifest) bool {
			return a.Config == b.Config && slices.Equal(a.RepoTags, b.RepoTags) && slices.Equal(a.Layers, b.Layers)
		}) {
			t.Errorf("%s: manifest.json = %+v, want %+v", tc.name, m, want)
		}
		if files[blobName(f.layer)] != "layer-bytes" || files[blobName(f.config)] == "" {
			t.Errorf("%s: the tar lacks the layer or the config: %v", tc.name, keys(files))
		}
		for _, d := range []ocispecs.Descriptor{f.attest, f.attestBody, f.root} {
			if _, ok := files[blobName(d)]; ok {
				t.Errorf("%s: the tar holds %s (attestation or index): Docker before 25 cannot load it", tc.name, d.Digest)
			}
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestOCIExporterTar: a tar output holds the staged layout (oci-layout,
// index.json, every blob, sorted by name), not ingest/, and is placed at
// Dest/<label>.tar, leaving the staged layout for the other outputs.
func TestOCIExporterTar(t *testing.T) {
	f := newFixture(t, "layer")
	dest := t.TempDir()
	r := &run{stage: newStaging()}
	defer r.stage.removeAll()
	e := &ociExporter{out: Output{Type: OutputOCI, Dest: dest, Tar: true}, r: r}
	got, err := e.Publish(context.Background(), f.staged("img"))
	if want := []string{"oci:" + filepath.Join(dest, "app.tar")}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Publish = %q, %v; want %q", got, err, want)
	}
	tf, err := os.Open(filepath.Join(dest, "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	files, order := tarEntries(t, tf)
	if !slices.IsSorted(order) {
		t.Errorf("tar entries %q are not sorted by name", order)
	}
	for _, d := range []ocispecs.Descriptor{f.root, f.image, f.attest, f.config, f.layer, f.attestBody} {
		if _, ok := files[blobName(d)]; !ok {
			t.Errorf("the tar lacks blob %s", d.Digest)
		}
	}
	for _, n := range []string{"oci-layout", "index.json"} {
		if files[n] == "" {
			t.Errorf("the tar lacks %s", n)
		}
	}
	for n := range files {
		if strings.HasPrefix(n, "ingest") {
			t.Errorf("the tar holds %s", n)
		}
	}
	if _, err := os.Stat(filepath.Join(f.dir, "index.json")); err != nil {
		t.Errorf("the staged layout is gone after the tar: %v", err)
	}
}

// TestOCIExporterFolderAndStore: a folder output takes the staged layout
// itself; the store merges it under the image's name.
func TestOCIExporterFolderAndStore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "layer")
	dest := t.TempDir()
	got, err := (&ociExporter{out: Output{Type: OutputOCI, Dest: dest}, r: &run{stage: newStaging()}}).Publish(ctx, f.staged("img"))
	if err != nil || len(got) != 1 {
		t.Fatalf("folder Publish = %q, %v", got, err)
	}
	var idx ocispecs.Index
	if err := readJSON(filepath.Join(dest, "app", "index.json"), &idx); err != nil || idx.Manifests[0].Digest != f.root.Digest {
		t.Errorf("%s/app/index.json = %+v, %v; want the staged root %s", dest, idx, err, f.root.Digest)
	}
	if _, err := os.Stat(filepath.Join(dest, "app", "ingest")); !os.IsNotExist(err) {
		t.Errorf("ingest/ was published with the layout: %v", err)
	}

	g := newFixture(t, "other layer")
	store := t.TempDir()
	got, err = (&storeExporter{out: Output{Type: OutputStore, Dest: store}, r: &run{stage: newStaging()}}).Publish(ctx, g.staged("img:v1"))
	if want := []string{"oci:" + store + " (img:v1)"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("store Publish = %q, %v; want %q", got, err, want)
	}
	idx = ocispecs.Index{}
	if err := readJSON(filepath.Join(store, "index.json"), &idx); err != nil || len(idx.Manifests) != 1 ||
		idx.Manifests[0].Digest != g.root.Digest || idx.Manifests[0].Annotations[ocispecs.AnnotationRefName] != "img:v1" {
		t.Errorf("the store's index = %+v, %v; want img:v1 at %s", idx, err, g.root.Digest)
	}
}

// fakeExporter publishes to name, or fails with err.
type fakeExporter struct {
	name string
	err  error
}

var _ Exporter = (*fakeExporter)(nil)

// Publish implements Exporter.
func (e *fakeExporter) Publish(context.Context, *stagedImage) ([]string, error) {
	if e.err != nil {
		return nil, e.err
	}
	return []string{e.name}, nil
}

// TestMultiExporter: every exporter runs; a failure names what failed and
// what was published, and the published outputs are returned.
func TestMultiExporter(t *testing.T) {
	m := &multiExporter{exporters: []Exporter{&fakeExporter{name: "registry:a"}, &fakeExporter{err: errors.New("loading into docker: 500")}, &fakeExporter{name: "oci:out/a"}}}
	got, err := m.Publish(context.Background(), nil)
	if want := []string{"registry:a", "oci:out/a"}; !slices.Equal(got, want) {
		t.Errorf("published %q, want %q", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), "loading into docker: 500") || !strings.Contains(err.Error(), "published to registry:a, oci:out/a") {
		t.Errorf("error = %v, want the docker failure and what was published", err)
	}
	if got, err := (&multiExporter{exporters: []Exporter{&fakeExporter{name: "x"}}}).Publish(context.Background(), nil); err != nil || !slices.Equal(got, []string{"x"}) {
		t.Errorf("Publish = %q, %v; want [x], nil", got, err)
	}
}

// TestExporterOrder: the exporter that moves the staged layout (an OCI
// folder, the store) runs after the ones that read it.
func TestExporterOrder(t *testing.T) {
	r := &run{Builder: &Builder{o: &options{outputs: []Output{
		{Type: OutputOCI, Dest: "dir"}, {Type: OutputRegistry}, {Type: OutputOCI, Dest: "t", Tar: true}, {Type: OutputDocker},
	}}}}
	e, err := r.exporter(&dag.Step{Label: "app"})
	if err != nil {
		t.Fatal(err)
	}
	m := e.(*multiExporter).exporters
	if last, ok := m[len(m)-1].(*ociExporter); !ok || last.out.Tar {
		t.Errorf("exporters %#v: want the OCI folder last", m)
	}
}

// TestChecks: the leak scan refuses an image whose blob holds a secret;
// a gate reads the staged layout through {{oci_dir}}.
func TestChecks(t *testing.T) {
	ctx := context.Background()
	secret := "s3cret-value-0123456789"
	leaky := newFixture(t, "x "+secret+" y").staged("img")
	if err := (&leakCheck{secrets: map[string][]byte{"tok": []byte(secret)}}).Check(ctx, leaky); !errors.Is(err, ErrSecretLeak) {
		t.Errorf("leak check of an image holding the secret = %v, want ErrSecretLeak", err)
	}
	clean := newFixture(t, "nothing here").staged("img")
	if err := (&leakCheck{secrets: map[string][]byte{"tok": []byte(secret)}}).Check(ctx, clean); err != nil {
		t.Errorf("leak check of a clean image = %v, want nil", err)
	}
	for _, tc := range []struct {
		run string
		ok  bool
	}{
		{"test -f {{oci_dir}}/index.json && test \"$WELD_OCI_DIR\" = {{oci_dir}}", true},
		{"test -f {{oci_dir}}/nothing", false},
	} {
		err := (&gateCheck{gate: Gate{Run: tc.run}, workDir: t.TempDir()}).Check(ctx, clean)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrGateFailed)) {
			t.Errorf("gate %q = %v, want ok=%v (ErrGateFailed when refused)", tc.run, err, tc.ok)
		}
	}
}

func versioned() specs.Versioned { return specs.Versioned{SchemaVersion: 2} }
