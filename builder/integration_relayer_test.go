//go:build integration

package builder_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/builder"
)

// The client-side rewrite of the layers' file times (relayer.go) against
// BuildKit's own (rewrite-timestamp), on the real buildkitd: the same
// digests, cold and from the cache, and a cache that an attacker changed
// or pointed elsewhere does not change them.

// relayerProject is a git checkout dated commitTime with a two-platform
// image on a base (a COPY and a RUN), one FROM scratch, and one FROM the
// first (a FROM <step> chain).
func relayerProject(t *testing.T, n string) string {
	t.Helper()
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    base:
      name: weld-it-relayer-base-` + n[:8] + `
      dockerfile: Dockerfile.base
      platforms: [linux/amd64, linux/arm64]
    scratch:
      name: weld-it-relayer-scratch
      dockerfile: Dockerfile.scratch
    child:
      name: weld-it-relayer-child
      dockerfile: Dockerfile.child
      platforms: [linux/amd64, linux/arm64]
`,
		"Dockerfile.base":    "FROM busybox\nCOPY a.txt /a.txt\nRUN echo " + n + " > /made && mkdir /d && touch /d/f\n",
		"Dockerfile.scratch": "FROM scratch\nCOPY a.txt b.txt /\n",
		"Dockerfile.child":   "FROM weld-it-relayer-base-" + n[:8] + "\nCOPY b.txt /b.txt\n",
		"a.txt":              "a " + n + "\n",
		"b.txt":              "b " + n + "\n",
	})
	commitAt(t, dir)
	return dir
}

// layoutDigests are the digests of one step's OCI folder: the root, and
// per platform (or attestation) manifest its manifest and config, and
// every blob the folder holds.
type layoutDigests struct {
	Root      string
	Manifests map[string][2]string // platform or "attestation <n>" → manifest, config
	Blobs     []string
}

func readLayoutDigests(t *testing.T, dir string) layoutDigests {
	t.Helper()
	var layout ocispecs.Index
	readJSONFile(t, filepath.Join(dir, "index.json"), &layout)
	if len(layout.Manifests) != 1 {
		t.Fatalf("%s: %d manifests in index.json, want 1", dir, len(layout.Manifests))
	}
	d := layoutDigests{Root: layout.Manifests[0].Digest.String(), Manifests: map[string][2]string{}}
	var idx ocispecs.Index
	readJSONFile(t, blobFile(dir, layout.Manifests[0].Digest.Encoded()), &idx)
	for i, m := range idx.Manifests {
		var man ocispecs.Manifest
		readJSONFile(t, blobFile(dir, m.Digest.Encoded()), &man)
		key := "attestation " + string(rune('0'+i))
		if m.Platform != nil && m.Annotations["vnd.docker.reference.type"] == "" {
			key = m.Platform.OS + "/" + m.Platform.Architecture
		}
		d.Manifests[key] = [2]string{m.Digest.String(), man.Config.Digest.String()}
	}
	ents, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents { // each blob must hold what its name says: no bad cache entry got in
		dt, err := os.ReadFile(blobFile(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if got := digest.FromBytes(dt).Encoded(); got != e.Name() {
			t.Errorf("%s: blob %s holds bytes of digest %s", dir, e.Name(), got)
		}
		d.Blobs = append(d.Blobs, e.Name())
	}
	sort.Strings(d.Blobs)
	return d
}

func blobFile(dir, hex string) string { return filepath.Join(dir, "blobs", "sha256", hex) }

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(dt, v)
	}
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
}

// relayerBuild builds dir into a new OCI folder and returns each step's
// digests.
func (e itEnv) relayerBuild(t *testing.T, dir string, opts ...builder.Option) map[string]layoutDigests {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 5*time.Minute), dir, append([]builder.Option{
		e.imageOpt(t, "busybox", "busybox-multi"),
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out})}, opts...)...)
	b.mustPass(t)
	got := map[string]layoutDigests{}
	for _, s := range b.res.Steps {
		d := readLayoutDigests(t, filepath.Join(out, s.Label))
		if s.Digest != d.Root {
			t.Errorf("step %s: the result says digest %s, the OCI folder %s", s.Label, s.Digest, d.Root)
		}
		got[s.Label] = d
	}
	return got
}

func sameDigests(t *testing.T, what string, got, want map[string]layoutDigests) {
	t.Helper()
	for label, w := range want {
		if g := got[label]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s: step %s has\n%+v\nwant (BuildKit's rewrite)\n%+v", what, label, g, w)
		}
	}
}

// TestReproClientRewriteMatchesBuildKit: weld's rewrite of the layers'
// times gives exactly the digests of BuildKit's (index, manifests,
// configs and blobs, per platform), with a cold cache and from the cache;
// a cached layer changed on disk is not used (the image keeps its bytes),
// and a cache folder that is a symlink is refused and not written through.
func TestReproClientRewriteMatchesBuildKit(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := relayerProject(t, n)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	want := e.relayerBuild(t, dir, builder.WithDaemonRewrite())
	if len(want) != 3 || len(want["base"].Manifests) != 4 || len(want["scratch"].Manifests) != 2 {
		t.Fatalf("BuildKit's rewrite gave %+v, want 3 steps, base with 2 platforms and 2 attestations", want)
	}
	if _, err := os.Stat(filepath.Join(cache, "weld", "layers")); err == nil {
		t.Fatalf("the build with BuildKit's rewrite made the layer cache")
	}
	sameDigests(t, "a cold cache", e.relayerBuild(t, dir), want)
	entries := cacheBlobs(t, filepath.Join(cache, "weld", "layers"))
	if len(entries) == 0 {
		t.Fatal("the client-side rewrite kept no layer in the cache")
	}
	sameDigests(t, "from the cache", e.relayerBuild(t, dir), want)

	for _, p := range entries { // an attacker flips a byte of every cached layer
		dt, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dt[len(dt)/2] ^= 0xff
		if err := os.WriteFile(p, dt, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sameDigests(t, "a tampered cache", e.relayerBuild(t, dir), want)

	elsewhere := t.TempDir()
	linked := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", linked)
	if err := os.MkdirAll(filepath.Join(linked, "weld"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(linked, "weld", "layers")); err != nil {
		t.Fatal(err)
	}
	sameDigests(t, "a symlinked cache folder", e.relayerBuild(t, dir), want)
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Errorf("the rewrite wrote %d entries through the symlinked cache folder", len(ents))
	}
}

// cacheBlobs are the cached layers' files in dir.
func cacheBlobs(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.blob"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
