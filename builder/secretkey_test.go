package builder

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/weld-build/weld/internal/itest"

	"github.com/charmbracelet/log"
)

func TestReadSecretCacheKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte{'k'}, n), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		path string
		want string // "" for success
	}{
		{"32 bytes", write("ok", 32), ""},
		{"16 bytes", write("min", 16), ""},
		{"4096 bytes", write("max", 4096), ""},
		{"15 bytes", write("short", 15), "16 to 4096 bytes, this one 15"},
		{"too large", write("large", 1<<20), "over weld's limit of 4096 bytes"},
		{"a FIFO", itest.FIFO(t, filepath.Join(dir, "fifo")), "not a regular file"},
		{"missing", filepath.Join(dir, "missing"), "no such file"},
		{"a directory", dir, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := ReadSecretCacheKey(tc.path)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ReadSecretCacheKey(%s) = %v, want a key", tc.path, err)
				}
				if st, _ := os.Stat(tc.path); int64(len(key)) != st.Size() {
					t.Errorf("ReadSecretCacheKey read %d bytes, want the file's %d", len(key), st.Size())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrSecret) {
				t.Errorf("ReadSecretCacheKey(%s) = %v, want an ErrSecret containing %q", tc.path, err, tc.want)
			}
		})
	}
}

// TestMachineSecretKeyConcurrentFirstRuns: runs that start at once on a
// machine without a key all end up with the one key on disk.
func TestMachineSecretKeyConcurrentFirstRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache", "weld", secretKeyFile)
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = machineSecretKey(path) })
	}
	wg.Wait()
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) != 32 {
		t.Errorf("the machine key has %d bytes, want 32", len(onDisk))
	}
	for i := range n {
		if errs[i] != nil || !bytes.Equal(keys[i], onDisk) {
			t.Errorf("run %d: machineSecretKey = %x, %v; want the key on disk", i, keys[i], errs[i])
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the machine key's mode = %v, want 0600", st.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".secret-cache.key-*")); len(left) > 0 {
		t.Errorf("temporary key files left behind: %q", left)
	}
	again, err := machineSecretKey(path)
	if err != nil || !bytes.Equal(again, onDisk) {
		t.Errorf("a later run's key = %x, %v; want the same key", again, err)
	}
}

func TestSecretKeyGet(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	var logs bytes.Buffer
	l := log.New(&logs)

	def := (&secretKey{}).get(l)
	onDisk, err := os.ReadFile(filepath.Join(cache, "weld", secretKeyFile))
	if err != nil || !bytes.Equal(def, onDisk) {
		t.Errorf("default key = %x, want the one made at $XDG_CACHE_HOME/weld/%s (%x, %v)", def, secretKeyFile, onDisk, err)
	}

	o, err := makeOptions([]Option{WithSecretCacheKey([]byte("0123456789abcdef"))})
	if err != nil {
		t.Fatal(err)
	}
	if got := o.secretKey.get(l); string(got) != "0123456789abcdef" {
		t.Errorf("given key = %q, want the one given", got)
	}

	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	eph := (&secretKey{path: filepath.Join(blocked, "weld", secretKeyFile)}).get(l)
	if len(eph) != 32 || bytes.Equal(eph, def) {
		t.Errorf("key when the machine key cannot be made = %x, want 32 fresh bytes", eph)
	}
	if !strings.Contains(logs.String(), "no secret cache key") {
		t.Errorf("no warning logged when the machine key cannot be made; logs: %q", logs.String())
	}

	if _, err := makeOptions([]Option{WithSecretCacheKey([]byte("short"))}); !errors.Is(err, ErrSecret) {
		t.Errorf("WithSecretCacheKey(5 bytes) = %v, want ErrSecret", err)
	}
}
