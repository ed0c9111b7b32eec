package builder

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/layertime"
)

// bigTar is a plain tar of one file of n pseudo-random bytes, dated now.
func bigTar(t *testing.T, n int) []byte {
	t.Helper()
	body := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(body)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: int64(n), ModTime: time.Now(), Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// streamingStore is a staged store in a temp dir whose big blobs are
// rewritten as they arrive into the returned layer cache (epoch: Unix
// 1000); the returned map gets what the stream put into the layout.
func streamingStore(t *testing.T) (*stagedStore, *layertime.Cache, map[digest.Digest]string) {
	t.Helper()
	cache, err := layertime.Open(filepath.Join(t.TempDir(), "layers"), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	placed := map[digest.Digest]string{}
	s, err := newStagedStore(filepath.Join(t.TempDir(), "layout"))
	if err != nil {
		t.Fatal(err)
	}
	s.stream = func(desc ocispecs.Descriptor, path string) *layerStream {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.CreateTemp(filepath.Dir(path), ".stream-*")
		if err != nil {
			t.Fatal(err)
		}
		ls := startStream(f, cache.NewEntry(layertime.Key{Source: desc.Digest, Epoch: 1000}), out, time.Unix(1000, 0).UTC(), func() {})
		ls.place = func(res layertime.Result, tmp string) {
			dst := filepath.Join(filepath.Dir(tmp), res.Digest.Encoded())
			if err := os.Rename(tmp, dst); err != nil {
				t.Error(err)
			}
			placed[desc.Digest] = dst
		}
		return ls
	}
	return s, cache, placed
}

// writeChunks writes data to a new blob of s in 32 KiB writes and commits
// it as d.
func writeChunks(t *testing.T, s *stagedStore, data []byte, d digest.Digest) error {
	t.Helper()
	w, err := s.Writer(context.Background(), content.WithRef("r"), content.WithDescriptor(ocispecs.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for p := data; len(p) > 0; {
		n := min(len(p), 32<<10)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	return w.Commit(context.Background(), int64(len(data)), d)
}

// leftovers are the temporary files left in s's blobs folder.
func leftovers(t *testing.T, s *stagedStore) []string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(s.dir, "blobs", "sha256"))
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestStreamedRewriteIsTheRewrite: a big plain-tar layer rewritten while
// the daemon writes it gives exactly the blob, the result and the cache
// entry that the rewrite after the export gives (layertime.Rewrite of the
// whole blob), and it is placed in the layout.
func TestStreamedRewriteIsTheRewrite(t *testing.T) {
	s, cache, placed := streamingStore(t)
	data := bigTar(t, 9<<20)
	d := digest.FromBytes(data)
	if err := writeChunks(t, s, data, d); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	var want bytes.Buffer
	wantRes, err := layertime.Rewrite(bytes.NewReader(data), time.Unix(1000, 0).UTC(), &want)
	if err != nil {
		t.Fatal(err)
	}
	k := layertime.Key{Source: d, Epoch: 1000}
	got, ok := cache.Lookup(k)
	if !ok || got != wantRes {
		t.Fatalf("cache entry %+v (found %v), want %+v", got, ok, wantRes)
	}
	var cached bytes.Buffer
	if err := cache.CopyTo(k, got, &cached); err != nil || !bytes.Equal(cached.Bytes(), want.Bytes()) {
		t.Fatalf("cached blob differs from the rewrite (%v)", err)
	}
	dt, err := os.ReadFile(placed[d])
	if err != nil || !bytes.Equal(dt, want.Bytes()) {
		t.Fatalf("the placed rewrite differs from the rewrite (%v)", err)
	}
	if l := leftovers(t, s); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

// TestStreamKeepsNothingOfABadBlob: a blob whose bytes are not its digest
// commits no rewrite and places none; a compressed blob (a base layer) is
// not rewritten as it arrives; neither leaves a file behind.
func TestStreamKeepsNothingOfABadBlob(t *testing.T) {
	s, cache, placed := streamingStore(t)
	data := bigTar(t, 9<<20)
	bad := append([]byte(nil), data...)
	bad[len(bad)/2] ^= 0xff
	d := digest.FromBytes(data)
	// The daemon names d but sends other bytes: the writer was opened for
	// the digest of those bytes, so Commit against d fails.
	if err := writeChunks(t, s, bad, d); err == nil {
		t.Fatal("Commit of bytes that are not the digest succeeded")
	}
	if _, ok := cache.Lookup(layertime.Key{Source: digest.FromBytes(bad), Epoch: 1000}); ok {
		t.Error("a rewrite of a blob that failed its digest check is in the cache")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(data)
	_ = zw.Close()
	gd := digest.FromBytes(gz.Bytes())
	if err := writeChunks(t, s, gz.Bytes(), gd); err != nil {
		t.Fatalf("Commit of the gzip blob: %v", err)
	}
	if _, ok := cache.Lookup(layertime.Key{Source: gd, Epoch: 1000}); ok {
		t.Error("a compressed blob was rewritten as it arrived")
	}
	if len(placed) != 0 {
		t.Errorf("placed %v, want nothing", placed)
	}
	if l := leftovers(t, s); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
}
