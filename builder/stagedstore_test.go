package builder

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func writeStaged(t *testing.T, s *stagedStore, data []byte, d digest.Digest) error {
	t.Helper()
	desc := ocispecs.Descriptor{Digest: d, Size: int64(len(data))}
	w, err := s.Writer(context.Background(), content.WithRef("r"), content.WithDescriptor(desc))
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Commit(context.Background(), int64(len(data)), d)
}

// TestStagedStoreSharesBlobsAcrossLayouts: a blob one layout of the run
// committed is hard-linked into the next and the daemon is told it
// exists; a blob whose bytes are not its digest is never committed, nor
// offered to the pool; nothing of an ingest stays behind.
func TestStagedStoreSharesBlobsAcrossLayouts(t *testing.T) {
	run := t.TempDir()
	a, err := newStagedStore(filepath.Join(run, "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newStagedStore(filepath.Join(run, "b"))
	layer := []byte("a base layer shared by both images")
	d := digest.FromBytes(layer)
	if err := writeStaged(t, a, layer, d); err != nil {
		t.Fatalf("a: %v", err)
	}
	if err := writeStaged(t, a, layer, d); !errdefs.IsAlreadyExists(err) {
		t.Errorf("a again: %v, want AlreadyExists", err)
	}
	if err := writeStaged(t, b, layer, d); !errdefs.IsAlreadyExists(err) {
		t.Fatalf("b: %v, want AlreadyExists (from the pool)", err)
	}
	pa, _ := blobPath(a.dir, d)
	pb, _ := blobPath(b.dir, d)
	fa, _ := os.Stat(pa)
	fb, err := os.Stat(pb)
	if err != nil || !os.SameFile(fa, fb) {
		t.Fatalf("b's blob is not a's (stat %v)", err)
	}
	if info, err := b.Info(context.Background(), d); err != nil || info.Size != int64(len(layer)) {
		t.Errorf("Info = %+v, %v", info, err)
	}

	bad := []byte("not what the digest says")
	lie := digest.FromString("something else")
	err = writeStaged(t, b, bad, lie)
	if !errdefs.IsFailedPrecondition(err) {
		t.Errorf("a blob of the wrong digest: %v, want FailedPrecondition", err)
	}
	for _, dir := range []string{a.dir, b.dir, filepath.Join(run, blobPoolDir)} {
		p, _ := blobPath(dir, lie)
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s holds the blob of the wrong digest", dir)
		}
		ents, _ := os.ReadDir(filepath.Dir(p))
		for _, e := range ents {
			if e.Name() != d.Encoded() {
				t.Errorf("%s holds %s", dir, e.Name())
			}
		}
	}
	if err := writeStaged(t, b, layer[:5], digest.FromBytes(layer[:5])); err != nil {
		t.Errorf("a second blob: %v", err)
	}
	if _, err := b.Writer(context.Background(), content.WithRef("x")); err == nil {
		t.Error("a writer without a digest was opened")
	}
}
