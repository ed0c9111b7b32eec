package itest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BuildYML returns a build.yml of version 2016-03-14 whose steps are
// steps: YAML indented as it stands under "steps:" (four spaces before
// each step's label).
func BuildYML(steps string) string {
	return "build:\n  version: 2016-03-14\n  steps:\n" + steps
}

// WriteFiles writes files (path relative to dir → content) under dir,
// making the folders they need (dir too).
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FIFO makes a named pipe at path (reading it blocks until a writer
// opens it) and returns path.
func FIFO(t testing.TB, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Symlink makes link point at target and returns link.
func Symlink(t testing.TB, target, link string) string {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}
