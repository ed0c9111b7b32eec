package builder

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOwnEntryRefusesLinks: weld's own entries in an output folder may be
// absent or plain, never a symlink, wherever the link leads.
func TestOwnEntryRefusesLinks(t *testing.T) {
	for _, tc := range []struct {
		name, entry string
		setup       func(t *testing.T, dest string)
		wantErr     bool
	}{
		{"absent", ".weld-staging", func(*testing.T, string) {}, false},
		{"a folder", ".weld-staging", func(t *testing.T, d string) { mkdir(t, filepath.Join(d, ".weld-staging")) }, false},
		{"a link out", ".weld-staging", func(t *testing.T, d string) { link(t, t.TempDir(), filepath.Join(d, ".weld-staging")) }, true},
		{"a link inside", ".weld.lock", func(t *testing.T, d string) { link(t, d, filepath.Join(d, ".weld.lock")) }, true},
		{"a dangling link", ".weld.lock", func(t *testing.T, d string) { link(t, "/nonexistent/x", filepath.Join(d, ".weld.lock")) }, true},
		{"a link in the middle", "blobs/sha256", func(t *testing.T, d string) { link(t, t.TempDir(), filepath.Join(d, "blobs")) }, true},
		{"a link at the end", "blobs/sha256", func(t *testing.T, d string) {
			mkdir(t, filepath.Join(d, "blobs"))
			link(t, t.TempDir(), filepath.Join(d, "blobs", "sha256"))
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest := t.TempDir()
			tc.setup(t, dest)
			p, err := ownEntry(dest, tc.entry)
			if gotErr := err != nil; gotErr != tc.wantErr || (err != nil && !errors.Is(err, ErrOutput)) {
				t.Fatalf("ownEntry(%s) = %q, %v; want an ErrOutput error: %v", tc.entry, p, err, tc.wantErr)
			}
			if err == nil && p != filepath.Join(dest, tc.entry) {
				t.Errorf("ownEntry(%s) = %q, want %q", tc.entry, p, filepath.Join(dest, tc.entry))
			}
		})
	}
}

// TestDefaultStoreConfined: .weld and .weld/images may lead only inside
// the work dir.
func TestDefaultStoreConfined(t *testing.T) {
	work := t.TempDir()
	if _, err := DefaultStore(work); err != nil {
		t.Fatalf("DefaultStore(fresh) = %v", err)
	}
	mkdir(t, filepath.Join(work, "sub"))
	link(t, "sub", filepath.Join(work, ".weld"))
	if _, err := DefaultStore(work); err != nil {
		t.Errorf("DefaultStore(.weld → sub) = %v, want nil", err)
	}
	link(t, t.TempDir(), filepath.Join(work, "sub", "images"))
	if _, err := DefaultStore(work); !errors.Is(err, ErrOutput) {
		t.Errorf("DefaultStore(.weld/images → outside) = %v, want ErrOutput", err)
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
