// Package atomicfile writes files that a reader sees whole or not at all:
// the data goes to a temporary file in the same folder, which is synced,
// closed and, only when every step succeeded, renamed over the path. On any
// failure the temporary file is removed and the error names the path and the
// operating system's reason (for example "no space left on device").
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a file being written: Close publishes it at its path, Abort
// discards it. Until Close succeeds, nothing is at the path.
type File struct {
	tmp  *os.File
	path string
	perm fs.FileMode
	err  error // the first failure; once set, Close aborts
	done bool
}

var _ io.WriteCloser = (*File)(nil)

// Create starts writing path (mode 0644 once published).
func Create(path string) (*File, error) {
	return create(path, 0o644)
}

func create(path string, perm fs.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, Cause(err))
	}
	return &File{tmp: tmp, path: path, perm: perm}, nil
}

// Write implements io.Writer. After a failed write every later one fails
// too, and Close removes the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.tmp.Write(p)
	if err != nil {
		f.err = fmt.Errorf("writing %s: %w", f.path, Cause(err))
	}
	return n, f.err
}

// Close syncs the data to disk and renames it to the path. When a write
// failed or any of these steps fails, it removes the temporary file and
// returns the first failure. Calling it again returns the same result.
func (f *File) Close() error {
	if f.done {
		return f.err
	}
	f.done = true
	if f.err == nil {
		f.err = f.publish()
	}
	if f.err != nil {
		_ = f.tmp.Close()
		_ = os.Remove(f.tmp.Name())
	}
	return f.err
}

func (f *File) publish() error {
	steps := []struct {
		what string
		do   func() error
	}{
		{"setting the mode of", func() error { return f.tmp.Chmod(f.perm) }},
		{"syncing", f.tmp.Sync},
		{"closing", f.tmp.Close},
		{"renaming into place", func() error { return os.Rename(f.tmp.Name(), f.path) }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("%s %s: %w", s.what, f.path, Cause(err))
		}
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// Abort discards what was written; nothing is left at the path or beside
// it. It does nothing after Close.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.err == nil {
		f.err = errors.New("aborted")
	}
	_ = f.tmp.Close()
	_ = os.Remove(f.tmp.Name())
}

// WriteFile writes data to path as a whole, as os.WriteFile does, but
// through a temporary file: path holds either its old content or data.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	f, err := create(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable. It is best effort: the data
// itself is synced already, and some filesystems cannot sync a folder.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// Cause is the operating system's reason for err, without the path a
// *PathError or *LinkError names: here the temporary file, which the
// caller's message replaces with the path; for a server, a folder of its
// own that a client must not see.
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
