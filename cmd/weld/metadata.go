package main

import (
	"fmt"
	"strings"

	"github.com/weld-build/weld/builder"
)

// metadataError is a --metadata-file that could not be written. It says
// what the run published all the same: a script that finds no metadata
// file must not conclude that nothing was published.
type metadataError struct {
	path      string
	err       error
	published []string // "label (name) → output", as the summary shows them
}

func newMetadataError(path string, err error, res *builder.Result) *metadataError {
	e := &metadataError{path: path, err: err}
	for _, s := range res.Steps {
		if s.Status == builder.StatusDone && len(s.Outputs) > 0 {
			e.published = append(e.published, fmt.Sprintf("%s (%s) → %s", s.Label, s.ImageName, strings.Join(s.Outputs, ", ")))
		}
	}
	return e
}

// Error implements error.
func (e *metadataError) Error() string {
	msg := fmt.Sprintf("the metadata file %s was NOT written: %v", e.path, e.err)
	if len(e.published) == 0 {
		return msg + "\n  no image was published"
	}
	return msg + "\n  the images WERE published: " + strings.Join(e.published, "; ")
}

// Unwrap returns the cause.
func (e *metadataError) Unwrap() error { return e.err }
