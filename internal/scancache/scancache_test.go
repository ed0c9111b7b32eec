package scancache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/internal/cachedir"
)

var (
	key    = []byte("0123456789abcdef0123456789abcdef")
	blob   = digest.FromString("a layer")
	secret = map[string][]byte{"token": []byte("s3cr3t-T0ken-value!")}
)

func open(t *testing.T, max int) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "scanned")
	s, err := Open(dir, max)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestVerdictsAreKeyedBySecretsKeyAndVersion(t *testing.T) {
	s, dir := open(t, 100)
	v := s.For(key, 1, secret)
	if v.Clean(blob) {
		t.Fatal("Clean before any MarkClean")
	}
	v.MarkClean(blob)
	if !s.For(key, 1, map[string][]byte{"token": []byte("s3cr3t-T0ken-value!")}).Clean(blob) {
		t.Fatal("the same key, version and secrets do not find the verdict")
	}
	for name, other := range map[string]*Verdicts{
		"another value":   s.For(key, 1, map[string][]byte{"token": []byte("another-T0ken-value!")}),
		"another ID":      s.For(key, 1, map[string][]byte{"tok": []byte("s3cr3t-T0ken-value!")}),
		"one more secret": s.For(key, 1, map[string][]byte{"token": []byte("s3cr3t-T0ken-value!"), "x": []byte("y")}),
		"another key":     s.For([]byte("fedcba9876543210fedcba9876543210"), 1, secret),
		"another version": s.For(key, 2, secret),
	} {
		if other.Clean(blob) {
			t.Errorf("%s finds the verdict", name)
		}
	}
	if v.Clean(digest.FromString("another layer")) {
		t.Error("another blob is clean")
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("ReadDir = %v, %v", ents, err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), blob.Encoded()) || strings.Contains(e.Name(), "s3cr3t") {
			t.Errorf("verdict %q names the blob or the secret", e.Name())
		}
		if fi, _ := e.Info(); !strings.HasPrefix(e.Name(), ".") && fi.Mode().Perm() != 0o600 {
			t.Errorf("verdict %q has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
}

func TestAPlantedSymlinkIsNoVerdict(t *testing.T) {
	s, dir := open(t, 100)
	v := s.For(key, 1, secret)
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, v.name(blob))); err != nil {
		t.Fatal(err)
	}
	if v.Clean(blob) {
		t.Error("a symlink named as the verdict counts as one")
	}
	v.MarkClean(blob) // must not write through the symlink
	if fi, err := os.Lstat(filepath.Join(dir, v.name(blob))); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced or followed: %v, %v", fi, err)
	}
}

func TestOpenRefusesAnUnsafeFolder(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(open, 10); !errors.Is(err, cachedir.ErrUnsafe) {
		t.Errorf("Open(a world-writable folder) = %v, want ErrUnsafe", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(link, 10); !errors.Is(err, cachedir.ErrUnsafe) {
		t.Errorf("Open(a symlink) = %v, want ErrUnsafe", err)
	}
}

func TestPruneKeepsTheMostRecentlyUsed(t *testing.T) {
	s, _ := open(t, 100)
	v := s.For(key, 1, secret)
	var ds []digest.Digest
	for i := range 5 {
		d := digest.FromString(strings.Repeat("x", i+1))
		ds = append(ds, d)
		v.MarkClean(d)
		old := time.Now().Add(time.Duration(i-10) * time.Minute)
		if err := s.root.Chtimes(v.name(d), old, old); err != nil {
			t.Fatal(err)
		}
	}
	v.Clean(ds[0]) // used now: the most recent
	s.max = 3
	s.prune()
	for i, want := range []bool{true, false, false, true, true} {
		if got := v.Clean(ds[i]); got != want {
			t.Errorf("verdict %d kept = %v, want %v", i, got, want)
		}
	}
}
