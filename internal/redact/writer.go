package redact

import (
	"bytes"
	"io"
)

// Writer redacts each write on its way to w: for text written a line (or
// a message) at a time, as a logger does.
func (r *Redactor) Writer(w io.Writer) io.Writer { return lineWriter{r, w} }

type lineWriter struct {
	r *Redactor
	w io.Writer
}

func (l lineWriter) Write(p []byte) (int, error) {
	if _, err := l.w.Write(l.r.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteAll runs write into a buffer and copies what it wrote to w,
// redacted as a whole, so that a value split between two writes is found;
// its error is redacted too (Error).
func (r *Redactor) WriteAll(w io.Writer, write func(io.Writer) error) error {
	if r.Empty() {
		return write(w)
	}
	var buf bytes.Buffer
	err := write(&buf)
	if _, werr := w.Write(r.Bytes(buf.Bytes())); err == nil {
		err = werr
	}
	return r.Error(err)
}
