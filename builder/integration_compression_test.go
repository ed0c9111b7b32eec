//go:build integration

package builder_test

import (
	"path/filepath"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/builder"
)

// A step whose layers weld rewrites gets them from the daemon uncompressed
// (compression.go), and BuildKit keeps that blob for the layer: every
// later export of the same layer must still ship it gzipped. On the real
// buildkitd, with fresh layers (a nonce) so that the first export is the
// uncompressed one.

// compressionProject is a dated git checkout whose step app (published)
// is built from Dockerfile.app; with child set, a step child is built FROM
// it.
func compressionProject(t *testing.T, n string, child bool) string {
	t.Helper()
	yml := `build:
  version: 2016-03-14
  steps:
    app:
      name: weld-it-compress-` + n[:8] + `
      dockerfile: Dockerfile.app
`
	files := map[string]string{
		"Dockerfile.app": "FROM busybox\nCOPY a.txt /a.txt\nRUN echo " + n + " > /made\n",
		"a.txt":          "a " + n + "\n",
		"b.txt":          "b " + n + "\n",
	}
	if child {
		yml += `    child:
      name: weld-it-compress-child
      dockerfile: Dockerfile.child
`
		files["Dockerfile.child"] = "FROM weld-it-compress-" + n[:8] + "\nCOPY b.txt /b.txt\n"
	}
	files["build.yml"] = yml
	dir := writeProject(t, files)
	commitAt(t, dir)
	return dir
}

// compressionBuild builds dir into a new OCI folder and returns it.
func (e itEnv) compressionBuild(t *testing.T, dir string, opts ...builder.Option) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 5*time.Minute), dir, append([]builder.Option{
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out})}, opts...)...)
	b.mustPass(t)
	return out
}

// gzippedLayers fails t for every layer of step label's image in the OCI
// folder out that is not gzip, and returns the image's layers.
func gzippedLayers(t *testing.T, what, out, label string) []ocispecs.Descriptor {
	t.Helper()
	dir := filepath.Join(out, label)
	var layout, idx ocispecs.Index
	readJSONFile(t, filepath.Join(dir, "index.json"), &layout)
	readJSONFile(t, blobFile(dir, layout.Manifests[0].Digest.Encoded()), &idx)
	var layers []ocispecs.Descriptor
	for _, m := range idx.Manifests {
		if m.Annotations["vnd.docker.reference.type"] != "" {
			continue
		}
		var man ocispecs.Manifest
		readJSONFile(t, blobFile(dir, m.Digest.Encoded()), &man)
		for _, l := range man.Layers {
			if l.MediaType != ocispecs.MediaTypeImageLayerGzip {
				t.Errorf("%s: step %s ships layer %s as %s, want gzip", what, label, l.Digest, l.MediaType)
			}
		}
		layers = append(layers, man.Layers...)
	}
	if len(layers) == 0 {
		t.Fatalf("%s: step %s has no layers", what, label)
	}
	return layers
}

// TestUncompressedExportShipsGzip: the uncompressed staged export gives
// the digests of BuildKit's own rewrite, and the layers BuildKit then
// holds uncompressed come out gzipped from a build that does not rewrite
// them (--reproducible=false) and as the base of a FROM <step> child.
func TestUncompressedExportShipsGzip(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := compressionProject(t, n, false)

	first := e.compressionBuild(t, dir)
	gzippedLayers(t, "the uncompressed export", first, "app")
	want := readLayoutDigests(t, filepath.Join(first, "app"))
	got := readLayoutDigests(t, filepath.Join(e.compressionBuild(t, dir, builder.WithDaemonRewrite()), "app"))
	if got.Root != want.Root || len(got.Blobs) != len(want.Blobs) {
		t.Errorf("BuildKit's rewrite gave %+v, weld's from the uncompressed layers %+v", got, want)
	}

	plain := e.compressionBuild(t, dir, builder.WithReproducible(false))
	gzippedLayers(t, "--reproducible=false after it", plain, "app")

	withChild := e.compressionBuild(t, compressionProject(t, n, true))
	gzippedLayers(t, "the FROM parent", withChild, "app")
	layers := gzippedLayers(t, "the FROM <step> child", withChild, "child")
	if len(layers) < 3 {
		t.Errorf("the child has %d layers, want busybox's, the parent's two and its own", len(layers))
	}
}
