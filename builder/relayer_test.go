package builder

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestToRewriteKeepsTheBasePrefix(t *testing.T) {
	d := func(s string) digest.Digest { return digest.FromString(s) }
	for _, tc := range []struct {
		name        string
		diffs, base []digest.Digest
		want        []int
		imm         []digest.Digest
	}{
		{"no base", []digest.Digest{d("a"), d("b")}, nil, []int{0, 1}, []digest.Digest{"", ""}},
		{"base kept", []digest.Digest{d("a"), d("b"), d("c")}, []digest.Digest{d("a"), d("b")}, []int{2}, []digest.Digest{""}},
		// Diverged at 1: the base's diffID there is what a rewrite may keep.
		{"diverged", []digest.Digest{d("a"), d("x"), d("b")}, []digest.Digest{d("a"), d("b")}, []int{1, 2}, []digest.Digest{d("b"), ""}},
		// Once diverged, a later match is rewritten all the same, and nothing kept.
		{"no match after divergence", []digest.Digest{d("x"), d("b")}, []digest.Digest{d("a"), d("b")}, []int{0, 1}, []digest.Digest{d("a"), ""}},
	} {
		got := toRewrite(tc.diffs, tc.base)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d layers to rewrite, want %d", tc.name, len(got), len(tc.want))
			continue
		}
		for i, g := range got {
			if g.i != tc.want[i] || g.imm != tc.imm[i] {
				t.Errorf("%s: #%d = layer %d (imm %q), want layer %d (imm %q)", tc.name, i, g.i, g.imm, tc.want[i], tc.imm[i])
			}
		}
	}
}

// TestRelayerRefusesForeignJSON: a staged manifest that is not written as
// BuildKit writes it fails the rewrite rather than get other bytes.
func TestRelayerRefusesForeignJSON(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	rl := &relayer{dir: dir, moved: map[digest.Digest]digest.Digest{}, sizes: map[digest.Digest]int64{}, written: map[digest.Digest]bool{}}
	man := ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest}
	man.SchemaVersion = 2
	compact, _ := json.Marshal(man) // BuildKit indents
	desc, err := rl.putBlob(compact)
	if err != nil {
		t.Fatal(err)
	}
	desc.MediaType = ocispecs.MediaTypeImageManifest
	if _, err := rl.image(desc, nil); err == nil {
		t.Error("the rewrite took a manifest BuildKit did not write")
	}
	indented, _ := indentJSON(man)
	desc, _ = rl.putBlob(indented)
	var back ocispecs.Manifest
	if err := rl.readExact(desc, &back, indentJSON); err != nil {
		t.Errorf("readExact of BuildKit's form: %v", err)
	}
}

// TestRelayerGzipsAKeptUncompressedLayer: where BuildKit's rewrite keeps
// the source layer (its tar is the base's layer at that index) and weld
// had it uncompressed (compression.go), the image gets that tar gzipped,
// never the uncompressed blob.
func TestRelayerGzipsAKeptUncompressedLayer(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	_ = tw.WriteHeader(&tar.Header{Name: "f", Mode: 0o644, Size: 1, ModTime: time.Unix(1, 0)})
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()
	layerTar := tb.Bytes()
	diff := digest.FromBytes(layerTar)
	baseCfg, _ := json.Marshal(map[string]any{"rootfs": ocispecs.RootFS{Type: "layers", DiffIDs: []digest.Digest{diff}}})
	rl := &relayer{dir: dir, epoch: time.Unix(0, 0), bases: baseConfigs{"": baseCfg}, moved: map[digest.Digest]digest.Digest{}, sizes: map[digest.Digest]int64{}, written: map[digest.Digest]bool{}}
	layer, err := rl.putBlob(layerTar)
	if err != nil {
		t.Fatal(err)
	}
	layer.MediaType = ocispecs.MediaTypeImageLayer
	// The config's diffID differs from the base's, the layer's tar does not.
	cfgJSON, _ := json.Marshal(map[string]any{"rootfs": ocispecs.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromString("other")}}})
	cfg, err := rl.putBlob(cfgJSON)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MediaType = ocispecs.MediaTypeImageConfig
	man := ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest, Config: cfg, Layers: []ocispecs.Descriptor{layer}}
	man.SchemaVersion = 2
	dt, _ := indentJSON(man)
	desc, err := rl.putBlob(dt)
	if err != nil {
		t.Fatal(err)
	}
	desc.MediaType = ocispecs.MediaTypeImageManifest
	nd, err := rl.image(desc, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got ocispecs.Manifest
	if err := rl.readExact(nd, &got, indentJSON); err != nil {
		t.Fatal(err)
	}
	l := got.Layers[0]
	if l.MediaType != ocispecs.MediaTypeImageLayerGzip || l.Digest == layer.Digest {
		t.Fatalf("the kept layer ships as %s %s, want the gzip of %s", l.MediaType, l.Digest, layer.Digest)
	}
	f, err := rl.openBlob(l.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, layerTar) {
		t.Errorf("the gzipped layer holds %d bytes, not the source tar (%d)", len(plain), len(layerTar))
	}
	var c struct {
		RootFS ocispecs.RootFS `json:"rootfs"`
	}
	if err := rl.readExact(got.Config, &c, json.Marshal); err != nil {
		t.Fatal(err)
	}
	if c.RootFS.DiffIDs[0] != diff {
		t.Errorf("the config's diffID is %s, want the kept tar's %s", c.RootFS.DiffIDs[0], diff)
	}
}
