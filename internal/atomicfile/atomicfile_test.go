package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entries lists dir's names, so a test sees any temporary file left.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		old     string // content at the path before, "" for none
		setup   func(t *testing.T, path string)
		wantErr string // a substring of the error; "" for success
	}{
		{name: "new file"},
		{name: "replaces", old: "old content"},
		{name: "missing folder", setup: func(t *testing.T, p string) { _ = os.Remove(filepath.Dir(p)) }, wantErr: "creating "},
		{name: "path is a folder", setup: func(t *testing.T, p string) {
			if err := os.MkdirAll(filepath.Join(p, "x"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "renaming into place "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "f.json")
			if tc.old != "" {
				if err := os.WriteFile(path, []byte(tc.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.setup != nil {
				tc.setup(t, path)
			}
			err := WriteFile(path, []byte("new"), 0o640)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("WriteFile = %v, want an error naming %s with %q", err, path, tc.wantErr)
				}
				if _, serr := os.Stat(dir); serr == nil {
					if got := entries(t, dir); len(got) > 1 || (len(got) == 1 && got[0] != "f.json") {
						t.Errorf("after a failed WriteFile the folder holds %v, want no temporary file", got)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("WriteFile = %v, want nil", err)
			}
			dt, err := os.ReadFile(path)
			if err != nil || string(dt) != "new" {
				t.Errorf("ReadFile = %q, %v; want %q", dt, err, "new")
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
			}
			if got := entries(t, dir); len(got) != 1 {
				t.Errorf("the folder holds %v, want only f.json", got)
			}
		})
	}
}

// TestCreate: nothing is at the path until Close; a failed write or Abort
// leaves the old content and no temporary file.
func TestCreate(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(f *File) error
		want string // the content at the end
	}{
		{name: "close publishes", end: func(f *File) error { return f.Close() }, want: "new"},
		{name: "abort keeps the old", end: func(f *File) error { f.Abort(); return nil }, want: "old"},
		{name: "a failed write keeps the old", end: func(f *File) error {
			_ = f.tmp.Close() // the next write fails
			if _, err := f.Write([]byte("more")); err == nil {
				return errors.New("Write after the file was closed succeeded")
			}
			if err := f.Close(); err == nil || !strings.Contains(err.Error(), "writing ") {
				return errors.New("Close after a failed write did not return the write's error")
			}
			return nil
		}, want: "old"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.tar")
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("new")); err != nil {
				t.Fatal(err)
			}
			if dt, _ := os.ReadFile(path); string(dt) != "old" {
				t.Errorf("before Close the path holds %q, want the old content", dt)
			}
			if err := tc.end(f); err != nil {
				t.Fatal(err)
			}
			if dt, _ := os.ReadFile(path); string(dt) != tc.want {
				t.Errorf("the path holds %q, want %q", dt, tc.want)
			}
			if got := entries(t, dir); len(got) != 1 {
				t.Errorf("the folder holds %v, want only out.tar", got)
			}
			if err := f.Close(); (err == nil) != (tc.want == "new") {
				t.Errorf("a second Close = %v, want the first one's result", err)
			}
		})
	}
}
