// Package boundedio is the one way weld opens an input file (a build file,
// a Dockerfile, a .dockerignore, a policy file, a secret): ReadFile reads
// regular files only, without ever blocking on a FIFO or a device, and no
// more than a limit.
package boundedio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// The limits on input files, in bytes. A file over its limit is refused
// whole; none is read in part.
const (
	// MaxBuildFile bounds a build.yml: 4 MiB, some 50,000 steps.
	MaxBuildFile = 4 << 20
	// MaxDockerfile bounds a Dockerfile: 1 MiB (real ones are kilobytes;
	// internal/dockerfile also bounds the instruction count).
	MaxDockerfile = 1 << 20
	// MaxIgnoreFile bounds a .dockerignore: 1 MiB.
	MaxIgnoreFile = 1 << 20
	// MaxPolicyFile bounds a weld.policy.yml: 1 MiB.
	MaxPolicyFile = 1 << 20
	// MaxSecret bounds a secret's file: 500 KiB, the most BuildKit serves
	// to a secret mount (secretsprovider.MaxSecretSize), so a secret weld
	// accepts is never refused later inside the build.
	MaxSecret = 500 << 10
)

// ErrRefused is wrapped by the error for a file ReadFile will not read:
// one that is not a regular file, or is larger than the limit.
var ErrRefused = errors.New("refused")

// refusal says why a file is refused; it matches ErrRefused.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return ErrRefused }

// ReadFile reads the file at path (following symlinks) when it is a
// regular file of at most limit bytes. It opens the file without blocking
// (O_NONBLOCK, so a FIFO with no writer does not hang), checks what it
// opened (fstat, so a file swapped after a stat cannot pass) and reads at
// most limit+1 bytes (so a file that grows while it is read is refused
// too). Every error is an *fs.PathError naming path; a refused file's
// wraps ErrRefused and says what the file is, or its size and the limit.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "reading", Path: path, Err: &refusal{
			fmt.Sprintf("it is %s, not a regular file; weld reads only regular files", kind(st.Mode()))}}
	}
	if st.Size() > limit {
		return nil, tooLarge(path, st.Size(), limit)
	}
	var buf bytes.Buffer
	buf.Grow(int(st.Size()) + bytes.MinRead) // ReadFrom wants MinRead free to see EOF
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, &fs.PathError{Op: "reading", Path: path, Err: err}
	}
	if int64(buf.Len()) > limit { // it grew since the fstat
		return nil, tooLarge(path, -1, limit)
	}
	return buf.Bytes(), nil
}

// tooLarge is the error for a file over its limit; size is -1 when the
// file grew past the limit while being read.
func tooLarge(path string, size, limit int64) error {
	what := "it grew past"
	if size >= 0 {
		what = fmt.Sprintf("it is %s, over", sizeString(size))
	}
	return &fs.PathError{Op: "reading", Path: path, Err: &refusal{
		fmt.Sprintf("%s weld's limit of %s for this kind of file", what, sizeString(limit))}}
}

// sizeString shows a size in bytes and, from 1 KiB, in KiB or MiB.
func sizeString(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d bytes (%.1f MiB)", n, float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d bytes (%.1f KiB)", n, float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// kind names a file mode that is not regular, for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "of type " + m.Type().String()
}
