package boundedio

import (
	"fmt"
	"io/fs"
	"os"
)

// OpenRegular opens the file at path (following symlinks) for a streaming
// read when it is a regular file, as ReadFile does: without blocking on a
// FIFO, checking what it opened (fstat). The caller bounds the read and
// closes the file. A refused file's error wraps ErrRefused.
func OpenRegular(path string) (*os.File, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &fs.PathError{Op: "reading", Path: path, Err: &refusal{
			fmt.Sprintf("it is %s, not a regular file; weld reads only regular files", kind(st.Mode()))}}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
