package layertime

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/moby/buildkit/util/compression"
	"github.com/moby/buildkit/util/converter"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/cachedir"
)

var epoch = time.Unix(1700000000, 0).UTC()

// layer is a gzipped tar with a file from before the epoch and two after.
func layer(t *testing.T) (blob, tarball []byte) {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for i, at := range []time.Time{epoch.Add(-time.Hour), epoch.Add(time.Hour), time.Now()} {
		body := bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1))
		hdr := &tar.Header{Name: string(rune('a'+i)) + ".txt", Mode: 0o644, Size: int64(len(body)), ModTime: at,
			AccessTime: at, ChangeTime: at, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(tb.Bytes())
	zw.Close()
	return zb.Bytes(), tb.Bytes()
}

func TestRewriteClampsTimes(t *testing.T) {
	blob, tarball := layer(t)
	var out bytes.Buffer
	res, err := Rewrite(bytes.NewReader(blob), epoch, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != digest.FromBytes(out.Bytes()) || res.Size != int64(out.Len()) || res.OrigDiffID != digest.FromBytes(tarball) {
		t.Errorf("Rewrite = %+v; the output is %s (%d bytes), the source tar %s", res, digest.FromBytes(out.Bytes()), out.Len(), digest.FromBytes(tarball))
	}
	zr, err := gzip.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	rewritten, _ := io.ReadAll(zr)
	if res.DiffID != digest.FromBytes(rewritten) {
		t.Errorf("DiffID = %s, the rewritten tar is %s", res.DiffID, digest.FromBytes(rewritten))
	}
	tr := tar.NewReader(bytes.NewReader(rewritten))
	for i := 0; ; i++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want := epoch
		if i == 0 {
			want = epoch.Add(-time.Hour)
		}
		if !h.ModTime.Equal(want) || !h.AccessTime.Equal(want) || !h.ChangeTime.Equal(want) {
			t.Errorf("%s: times %v %v %v, want %v", h.Name, h.ModTime, h.AccessTime, h.ChangeTime, want)
		}
	}
}

// TestRewriteIsBuildKits: the same bytes as BuildKit's own converter
// with rewrite-timestamp, which its exporter runs.
func TestRewriteIsBuildKits(t *testing.T) {
	blob, _ := layer(t)
	ctx := context.Background()
	cs, err := local.NewLabeledStore(t.TempDir(), labels{})
	if err != nil {
		t.Fatal(err)
	}
	desc := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageLayerGzip, Digest: digest.FromBytes(blob), Size: int64(len(blob))}
	w, err := cs.Writer(ctx, content.WithRef("src"))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(blob)
	if err := w.Commit(ctx, desc.Size, desc.Digest); err != nil {
		t.Fatal(err)
	}
	e := epoch
	fn, err := converter.NewWithRewriteTimestamp(ctx, cs, desc, compression.New(compression.Gzip), &e, nil)
	if err != nil || fn == nil {
		t.Fatalf("BuildKit's converter: %v %v", fn, err)
	}
	bk, err := fn(ctx, cs, desc)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := Rewrite(bytes.NewReader(blob), epoch, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != bk.Digest || res.Size != bk.Size || res.DiffID.String() != bk.Annotations["containerd.io/uncompressed"] {
		t.Errorf("Rewrite = %+v, BuildKit's converter %+v", res, bk)
	}
}

// labels is the in-memory label store BuildKit's converter needs.
type labels map[digest.Digest]map[string]string

func (l labels) Get(d digest.Digest) (map[string]string, error) { return l[d], nil }
func (l labels) Set(d digest.Digest, m map[string]string) error { l[d] = m; return nil }
func (l labels) Update(d digest.Digest, u map[string]string) (map[string]string, error) {
	if l[d] == nil {
		l[d] = map[string]string{}
	}
	for k, v := range u {
		l[d][k] = v
	}
	return l[d], nil
}

func TestRewriteRefusesGarbage(t *testing.T) {
	if _, err := Rewrite(bytes.NewReader([]byte("\x1f\x8bnot gzip at all")), epoch, io.Discard); err == nil {
		t.Error("Rewrite of a broken gzip succeeded")
	}
}

// put writes an entry for key k with the rewrite of blob.
func put(t *testing.T, c *Cache, k Key, blob []byte) Result {
	t.Helper()
	e := c.NewEntry(k)
	if e == nil {
		t.Fatal("NewEntry = nil")
	}
	res, err := Rewrite(bytes.NewReader(blob), epoch, e)
	if err != nil {
		t.Fatal(err)
	}
	e.Commit(res)
	return res
}

func TestCacheHitAndTamper(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layers")
	c, err := Open(dir, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	blob, _ := layer(t)
	k := Key{Source: digest.FromBytes(blob), Epoch: epoch.Unix()}
	res := put(t, c, k, blob)
	got, ok := c.Lookup(k)
	if !ok || got != res {
		t.Fatalf("Lookup = %+v %v, want %+v", got, ok, res)
	}
	if _, ok := c.Lookup(Key{Source: k.Source, Epoch: k.Epoch + 1}); ok {
		t.Error("an entry of another epoch was found")
	}
	var out bytes.Buffer
	if err := c.CopyTo(k, got, &out); err != nil || digest.FromBytes(out.Bytes()) != res.Digest {
		t.Fatalf("CopyTo: %v, %s", err, digest.FromBytes(out.Bytes()))
	}
	p := filepath.Join(dir, k.name()+".blob")
	dt, _ := os.ReadFile(p)
	dt[len(dt)/2] ^= 1
	os.WriteFile(p, dt, 0o600)
	if err := c.CopyTo(k, got, io.Discard); err == nil {
		t.Error("CopyTo of a changed blob succeeded")
	}
	os.WriteFile(p, append(dt, 'x'), 0o600)
	if err := c.CopyTo(k, got, io.Discard); err == nil {
		t.Error("CopyTo of a longer blob succeeded")
	}
	// An entry that is a symlink is not read.
	os.Remove(p)
	other := filepath.Join(t.TempDir(), "x")
	os.WriteFile(other, out.Bytes(), 0o600)
	os.Symlink(other, p)
	if err := c.CopyTo(k, got, io.Discard); err == nil {
		t.Error("CopyTo read through a symlinked entry")
	}
}

func TestCacheRefusesUnsafeFolders(t *testing.T) {
	base := t.TempDir()
	target := filepath.Join(base, "target")
	os.Mkdir(target, 0o700)
	link := filepath.Join(base, "link")
	os.Symlink(target, link)
	if _, err := Open(link, 1<<20); !errors.Is(err, ErrUnsafe) {
		t.Errorf("Open(a symlinked folder) = %v, want ErrUnsafe", err)
	}
	if _, err := Open(filepath.Join(link, "layers"), 1<<20); !errors.Is(err, ErrUnsafe) {
		t.Errorf("Open(a folder in a symlinked folder) = %v, want ErrUnsafe", err)
	}
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	if _, err := Open(open, 1<<20); !errors.Is(err, ErrUnsafe) {
		t.Errorf("Open(a world-writable folder) = %v, want ErrUnsafe", err)
	}
	if ents, _ := os.ReadDir(target); len(ents) != 0 {
		t.Errorf("the symlink's target got %d entries", len(ents))
	}
}

func TestCacheReadOnlyAndEviction(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layers")
	blob, _ := layer(t)
	probe, _ := Rewrite(bytes.NewReader(blob), epoch, io.Discard)
	c, err := Open(dir, 2*probe.Size) // room for two entries
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if e := c.ReadOnly().NewEntry(Key{Source: digest.FromBytes(blob), Epoch: 1}); e != nil {
		t.Error("a read-only view made an entry")
	}
	var keys []Key
	for i := range 3 {
		k := Key{Source: digest.FromBytes(blob), Epoch: int64(i)}
		put(t, c, k, blob)
		at := time.Now().Add(time.Duration(i-10) * time.Minute)
		os.Chtimes(filepath.Join(dir, k.name()+".json"), at, at)
		keys = append(keys, k)
	}
	if _, ok := c.Lookup(keys[0]); ok {
		t.Error("the oldest entry was not evicted past the size bound")
	}
	for _, k := range keys[1:] {
		if _, ok := c.Lookup(k); !ok {
			t.Errorf("entry %d was evicted", k.Epoch)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// TestCachePruneThrottled: a commit prunes (reading every entry) only when
// the folder was not pruned for pruneEvery or this process wrote a share
// of max since; the mark file says when.
func TestCachePruneThrottled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layers")
	blob, _ := layer(t)
	probe, _ := Rewrite(bytes.NewReader(blob), epoch, io.Discard)
	c, err := Open(dir, 64*probe.Size) // a commit is half of max/pruneShare
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	unpruned.Reset()
	mark := filepath.Join(dir, cachedir.PruneMark)
	put(t, c, Key{Source: digest.FromBytes(blob), Epoch: 1}, blob)
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("the first commit did not prune: %v", err)
	}
	markAt := func(ago time.Duration) time.Time {
		at := time.Now().Add(-ago).Truncate(time.Second)
		if err := os.Chtimes(mark, at, at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	recent := markAt(time.Minute)
	put(t, c, Key{Source: digest.FromBytes(blob), Epoch: 2}, blob)
	if fi, _ := os.Stat(mark); !fi.ModTime().Equal(recent) {
		t.Errorf("a commit pruned a folder pruned a minute ago (mark %v, was %v)", fi.ModTime(), recent)
	}
	put(t, c, Key{Source: digest.FromBytes(blob), Epoch: 3}, blob) // max/pruneShare written since
	if fi, _ := os.Stat(mark); fi.ModTime().Equal(recent) {
		t.Error("a commit past max/pruneShare bytes since the last prune did not prune")
	}
	old := markAt(2 * cachedir.PruneEvery)
	put(t, c, Key{Source: digest.FromBytes(blob), Epoch: 4}, blob)
	if fi, _ := os.Stat(mark); fi.ModTime().Equal(old) {
		t.Error("a commit did not prune a folder unpruned for twice pruneEvery")
	}
}
