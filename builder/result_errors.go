package builder

import (
	"errors"
	"fmt"
	"strings"
)

// This file holds the errors a run returns: the steps that failed, and
// what was and was not published when publishing failed partway.

// BuildError lists the steps that failed, each once.
type BuildError struct {
	// Failed are the failures, one per failed step, in build order.
	Failed []error
}

// Error implements error.
func (e *BuildError) Error() string {
	return errors.Join(e.Failed...).Error()
}

// Unwrap returns the failures.
func (e *BuildError) Unwrap() []error { return e.Failed }

// PublishError is a step that built and passed every check but whose image
// could not be published.
type PublishError struct {
	// Step is the step's label.
	Step string
	// Err is what the exporter said.
	Err error
}

// Error implements error.
func (e *PublishError) Error() string { return fmt.Sprintf("publishing step %q: %v", e.Step, e.Err) }

// Unwrap returns the cause.
func (e *PublishError) Unwrap() error { return e.Err }

// PublishFailure says, after publishing failed partway, exactly which steps
// were published and which were not.
type PublishFailure struct {
	// Published are the published steps, as "label (image name)".
	Published []string
	// NotPublished are the publish errors (*PublishError), one per step.
	NotPublished []error
}

// Error implements error.
func (e *PublishFailure) Error() string {
	var b strings.Builder
	if len(e.Published) == 0 {
		fmt.Fprintf(&b, "publishing failed: nothing was published (%d not published)", len(e.NotPublished))
	} else {
		fmt.Fprintf(&b, "publishing failed partway: published %d, not published %d", len(e.Published), len(e.NotPublished))
	}
	if len(e.Published) > 0 {
		fmt.Fprintf(&b, "\n  published: %s", strings.Join(e.Published, ", "))
	}
	for _, err := range e.NotPublished {
		fmt.Fprintf(&b, "\n  NOT published: %v", err)
	}
	return b.String()
}

// Unwrap returns the publish errors.
func (e *PublishFailure) Unwrap() []error { return e.NotPublished }
