package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileUnsynced(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "index.json")
	if err := WriteFileUnsynced(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileUnsynced(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	dt, err := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if err != nil || string(dt) != "two" || fi.Mode().Perm() != 0o644 {
		t.Fatalf("read %q (%v), mode %v; want \"two\", 0644", dt, err, fi.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the folder holds %d entries, want only the file", len(ents))
	}
	if err := WriteFileUnsynced(filepath.Join(dir, "missing", "f"), nil, 0o644); err == nil {
		t.Error("a write into a missing folder succeeded")
	}
}

func TestSyncTree(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileUnsynced(filepath.Join(dir, "blobs", "sha256", "ab"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A symlink to something it may not open is not followed.
	if err := os.Symlink("/proc/self/mem", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := SyncTree(dir); err != nil {
		t.Fatalf("SyncTree: %v", err)
	}
	if err := SyncTree(filepath.Join(dir, "nosuch")); err == nil {
		t.Error("SyncTree of a missing folder succeeded")
	}
}
