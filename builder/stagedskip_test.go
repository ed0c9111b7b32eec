package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/layertime"
)

func newLayout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func baseWith(diffIDs ...digest.Digest) baseConfigs {
	dt, _ := json.Marshal(map[string]any{"rootfs": ocispecs.RootFS{Type: "layers", DiffIDs: diffIDs}})
	return baseConfigs{"": dt}
}

// TestSkippedLayerTakesTheCachedRewrite: a layer whose rewrite the cache
// holds is copied into a new layout without its source, which the rewrite
// then does not need; a layer of the base is never skipped (its own bytes
// are kept); the staged store tells the daemon a skipped blob exists.
func TestSkippedLayerTakesTheCachedRewrite(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	_ = tw.WriteHeader(&tar.Header{Name: "f", Mode: 0o644, Size: 1, ModTime: time.Unix(1e9, 0)})
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()

	r := &run{}
	s := &dag.Step{Label: "app"}
	first := newLayout(t)
	c, err := r.layerCache(s)
	if err != nil {
		t.Fatal(err)
	}
	rl := &relayer{dir: first, epoch: time.Unix(0, 0), cache: c, moved: map[digest.Digest]digest.Digest{}, sizes: map[digest.Digest]int64{}, written: map[digest.Digest]bool{}}
	src, err := rl.putBlob(tb.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	src.MediaType = ocispecs.MediaTypeImageLayer
	k := layertime.Key{Source: src.Digest, Epoch: 0}
	want, err := rl.rewrite(k, src)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}

	r.baseCfgs.Store("app", baseWith(digest.FromString("busybox")))
	second := newLayout(t)
	got, ok := r.copyCachedRewrite(s, second, k, r.baseLayers(s))
	if !ok || got != want {
		t.Fatalf("copyCachedRewrite = %+v, %v; want %+v from the cache", got, ok, want)
	}
	if _, err := os.Stat(filepath.Join(second, "blobs", "sha256", src.Digest.Encoded())); err == nil {
		t.Error("the source blob is in the second layout")
	}
	rl2 := &relayer{dir: second, skipped: &skippedLayers{m: map[digest.Digest]layertime.Result{src.Digest: got}}}
	if res, err := rl2.layer(src, ""); err != nil || res != want {
		t.Errorf("the rewrite of a skipped layer = %+v, %v; want %+v", res, err, want)
	}
	if _, err := os.Stat(filepath.Join(second, "blobs", "sha256", want.Digest.Encoded())); err != nil {
		t.Errorf("the cached rewrite is not in the second layout: %v", err)
	}

	r.baseCfgs.Store("app", baseWith(digest.FromString("busybox"), want.OrigDiffID))
	if _, ok := r.copyCachedRewrite(s, newLayout(t), k, r.baseLayers(s)); ok {
		t.Error("a layer of the base was skipped: its own bytes would be missing")
	}

	st := &stagedStore{dir: newLayout(t), skip: func(ocispecs.Descriptor) bool { return true }}
	_, err = st.Writer(context.Background(), content.WithDescriptor(ocispecs.Descriptor{Digest: src.Digest, Size: src.Size}))
	if !errdefs.IsAlreadyExists(err) {
		t.Errorf("the staged store's Writer for a skipped blob: %v, want AlreadyExists", err)
	}
}
