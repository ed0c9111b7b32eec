package redact

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestWriters: Writer redacts each write; WriteAll also finds a value split
// between two writes, and redacts the error.
func TestWriters(t *testing.T) {
	r := NewSecrets(Secret{ID: "tok", Value: []byte("s3cr3t-value")})
	var out strings.Builder
	fmt.Fprintln(r.Writer(&out), "FROM busybox:s3cr3t-value")
	if got, want := out.String(), "FROM busybox:[secret:tok]\n"; got != want {
		t.Errorf("Writer wrote %q, want %q", got, want)
	}
	out.Reset()
	err := r.WriteAll(&out, func(w io.Writer) error {
		io.WriteString(w, "a s3cr3t")
		io.WriteString(w, "-value b\n")
		return errors.New("bad s3cr3t-value")
	})
	if got, want := out.String(), "a [secret:tok] b\n"; got != want {
		t.Errorf("WriteAll wrote %q, want %q (the split value found)", got, want)
	}
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("WriteAll error = %v, want it redacted", err)
	}
	out.Reset()
	var none *Redactor
	if err := none.WriteAll(&out, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil || out.String() != "x" {
		t.Errorf("a nil Redactor's WriteAll = %v, wrote %q; want the text as is", err, out.String())
	}
}
