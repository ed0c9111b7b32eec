package main

import (
	"bytes"
	"io"

	"github.com/weld-build/weld/internal/redact"
)

// The library redacts what a build reports; weld's commands also print
// and write what they resolve themselves, before and beside the build: a
// base's name (FROM busybox:${TOKEN}) in weld plan, weld lint, the policy's
// refusals and the metadata file's weld.bases. A build arg that holds a
// secret (allowed by the policy, or about to be refused) is redacted there
// too, as [secret:NAME] (buildflags.ArgRedactor).

// redactedTo runs write into a buffer and copies what it wrote to w,
// redacted as a whole, so that a value split between two writes is found.
func redactedTo(red *redact.Redactor, w io.Writer, write func(io.Writer) error) error {
	if red.Empty() {
		return write(w)
	}
	var buf bytes.Buffer
	err := write(&buf)
	if _, werr := w.Write(red.Bytes(buf.Bytes())); err == nil {
		err = werr
	}
	return redactErr(red, err)
}

// redactLog makes weld's logger, which writes each message whole to w,
// redact them (its colours go: its output is no longer the terminal).
func redactLog(o *rootOptions, red *redact.Redactor, w io.Writer) {
	if !red.Empty() {
		o.log.SetOutput(lineRedactor{red, w})
	}
}

// lineRedactor redacts each write on its way to w: for lines printed whole.
type lineRedactor struct {
	red *redact.Redactor
	w   io.Writer
}

func (l lineRedactor) Write(p []byte) (int, error) {
	if _, err := l.w.Write(l.red.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// redactErr returns err with its message redacted.
func redactErr(red *redact.Redactor, err error) error { return red.Error(err) }
