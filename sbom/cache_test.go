package sbom

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// counted counts the opens of a layer.
func counted(l Layer, n *int) Layer {
	open := l.Open
	l.Open = func() (io.ReadCloser, error) { *n++; return open() }
	return l
}

// TestCache: a layer in the cache is not read again, and gives the same
// document; a corrupt or stale entry is read again.
func TestCache(t *testing.T) {
	bin := goBinary(t)
	var opens int
	l := counted(layer(t, "gzip",
		entry{name: "usr/bin/app", data: bin}, entry{name: "lib/apk/db/installed", data: apkInstalled},
		entry{name: "etc/.wh.gone"}, entry{name: "opt/.wh..wh..opq"}), &opens)
	img := Image{Name: "x", Digest: digest.FromString("m"), Layers: []Layer{l}}
	c := &DirCache{Dir: filepath.Join(t.TempDir(), "c"), Max: 10}
	gen := func() []byte {
		t.Helper()
		d, err := Generate(context.Background(), img, time.Unix(0, 0), WithCache(c))
		if err != nil {
			t.Fatal(err)
		}
		dt, _ := d.JSON()
		return dt
	}
	first := gen()
	second := gen()
	if opens != 1 {
		t.Errorf("the layer was opened %d times, want once (then from the cache)", opens)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("the document from the cache differs:\n%s\nwant\n%s", second, first)
	}
	p, _ := c.path(l.Digest)
	for _, bad := range []string{"{not json", `{"v":0,"files":[]}`} {
		if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := gen(); !bytes.Equal(got, first) {
			t.Errorf("with the entry %q: another document", bad)
		}
	}
	if opens != 3 {
		t.Errorf("the layer was opened %d times, want 3 (a corrupt and a stale entry are read again)", opens)
	}
}

func TestDirCachePrune(t *testing.T) {
	c := &DirCache{Dir: t.TempDir(), Max: 2}
	other := filepath.Join(c.Dir, "keep.tmp")
	os.WriteFile(other, nil, 0o600)
	var ds []digest.Digest
	for i := range 4 {
		d := digest.FromString(string(rune('a' + i)))
		ds = append(ds, d)
		c.Put(d, []byte("x"))
		p, _ := c.path(d)
		at := time.Unix(int64(1000+i), 0)
		os.Chtimes(p, at, at)
	}
	c.Put(digest.FromString("e"), []byte("y")) // prunes: keeps e and d
	for i, d := range ds {
		_, ok := c.Get(d)
		if want := i == 3; ok != want {
			t.Errorf("entry %d kept: %v, want %v", i, ok, want)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("prune removed a file that is not an entry: %v", err)
	}
	if _, ok := c.Get("sha256:../../etc/passwd"); ok {
		t.Errorf("Get of a bad digest found something")
	}
}

// TestInFlight: images that read one layer at once share the read, and an
// image whose shared read failed for another's reason reads it itself.
func TestInFlight(t *testing.T) {
	base := layer(t, "gzip", entry{name: "lib/apk/db/installed", data: apkInstalled})
	base.Digest = digest.FromString("in-flight " + t.Name()) // no other test's read
	started, release := make(chan struct{}), make(chan struct{})
	var opens int
	slow, failing := base, base
	slow.Open = func() (io.ReadCloser, error) {
		opens++
		close(started)
		<-release
		return base.Open()
	}
	failing.Open = func() (io.ReadCloser, error) { return nil, os.ErrNotExist }
	img := func(l Layer) Image { return Image{Digest: digest.FromString("m"), Layers: []Layer{l}} }
	gen := func(l Layer, errs chan<- error) {
		_, err := Generate(context.Background(), img(l), time.Unix(0, 0))
		errs <- err
	}
	errs := make(chan error, 2)
	go gen(slow, errs)
	<-started
	go gen(failing, errs) // joins the slow read: its own Open is never called
	time.Sleep(200 * time.Millisecond)
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Generate: %v, want both to share the one read", err)
		}
	}
	if opens != 1 {
		t.Errorf("%d opens, want 1", opens)
	}

	// Now the first read fails (its staged folder went): the second reads
	// for itself.
	started, release = make(chan struct{}), make(chan struct{})
	gone := base
	gone.Open = func() (io.ReadCloser, error) {
		close(started)
		<-release
		return nil, os.ErrNotExist
	}
	go gen(gone, errs)
	<-started
	go gen(base, errs)
	time.Sleep(200 * time.Millisecond)
	close(release)
	var failed int
	for range 2 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d of the two failed, want only the one whose layer is gone", failed)
	}
}
