package boundedio

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/itest"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := itest.FIFO(t, filepath.Join(dir, "fifo"))
	zero := itest.Symlink(t, "/dev/zero", filepath.Join(dir, "zero"))
	tests := []struct {
		name    string
		path    string
		limit   int64
		size    int    // want this many bytes, when msg is ""
		msg     string // else: the error holds this
		refused bool
	}{
		{"empty", write("empty", 0), 10, 0, "", false},
		{"under", write("under", 9), 10, 9, "", false},
		{"at the limit", write("at", 10), 10, 10, "", false},
		{"over", write("over", 11), 10, 0, "it is 11 bytes, over weld's limit of 10 bytes", true},
		{"big", write("big", 5<<20), MaxBuildFile, 0, "it is 5242880 bytes (5.0 MiB), over weld's limit of 4194304 bytes (4.0 MiB)", true},
		{"fifo", fifo, 10, 0, "it is a named pipe (FIFO), not a regular file", true},
		{"dev zero through a symlink", zero, 10, 0, "it is a character device, not a regular file", true},
		{"folder", dir, 10, 0, "it is a folder, not a regular file", true},
		{"missing", filepath.Join(dir, "nope"), 10, 0, "no such file", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			data, err := ReadFile(tc.path, tc.limit)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("ReadFile(%s) took %v", tc.path, d)
			}
			if tc.msg == "" {
				if err != nil || len(data) != tc.size {
					t.Fatalf("ReadFile(%s) = %d bytes, %v; want %d bytes, nil", tc.path, len(data), err, tc.size)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("ReadFile(%s) = %v; want an error naming the file and holding %q", tc.path, err, tc.msg)
			}
			if got := errors.Is(err, ErrRefused); got != tc.refused {
				t.Errorf("errors.Is(%v, ErrRefused) = %v, want %v", err, got, tc.refused)
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) || pe.Path != tc.path {
				t.Errorf("ReadFile(%s) error %v is not an *fs.PathError for the path", tc.path, err)
			}
		})
	}
}
