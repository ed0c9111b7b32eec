package builder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/solver/errdefs"

	"github.com/weld-build/weld/dag"
)

// StepError is a step's failure: which step, where in its Dockerfile, and
// the last lines of the failing instruction's output.
type StepError struct {
	// Step is the failing step's label.
	Step string
	// Source is the Dockerfile FILE:LINE of the failing instruction.
	Source string
	// Tail is the last lines of the failing instruction's output.
	Tail []string
	// Err is the cause.
	Err error
	// Platform is the os/arch whose build, command or test failed, for a
	// step with platforms; "" otherwise.
	Platform string
}

// Error implements error.
func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %q", e.Step)
	if e.Source != "" {
		fmt.Fprintf(&b, " (%s)", e.Source)
	}
	if e.Platform != "" {
		fmt.Fprintf(&b, " on %s", e.Platform)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

// sourceLocation finds the Dockerfile line BuildKit blames in err, as
// FILE:LINE with the Dockerfile's path relative to the working directory.
func sourceLocation(s *dag.Step, err error) string {
	for _, src := range errdefs.Sources(err) {
		if src.Info == nil || len(src.Ranges) == 0 {
			continue
		}
		name := s.Dockerfile
		if filepath.Base(src.Info.Filename) != filepath.Base(s.Dockerfile) {
			name = src.Info.Filename
		}
		return fmt.Sprintf("%s:%d", displayPath(name), src.Ranges[0].Start.Line)
	}
	return ""
}

// displayPath shortens an absolute path relative to the working directory.
func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// IsDependencyFailure reports whether err only says that a step's
// dependency failed.
func IsDependencyFailure(err error) bool { return errors.Is(err, ErrDependencyFailed) }
