package main

import (
	"io"

	"github.com/weld-build/weld/internal/redact"
)

// The library redacts what a build reports; weld's commands also print
// and write what they resolve themselves, before and beside the build: a
// base's name (FROM busybox:${TOKEN}) in weld plan, weld lint, the policy's
// refusals and the metadata file's weld.bases. A build arg that holds a
// secret (allowed by the policy, or about to be refused) is redacted there
// too, as [secret:NAME] (buildflags.ArgRedactor).

// redactLog makes weld's logger, which writes each message whole to w,
// redact them (its colours go: its output is no longer the terminal).
func redactLog(o *rootOptions, red *redact.Redactor, w io.Writer) {
	if !red.Empty() {
		o.log.SetOutput(red.Writer(w))
	}
}
