package builder

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/weld-build/weld/dag"
)

// Denials are the *SourceDeniedErrors in err's tree, in order: the sources
// the daemon's source policy denied (WithSourcePolicy, WithPolicy).
func Denials(err error) []*SourceDeniedError {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*SourceDeniedError
		for _, e := range multi.Unwrap() {
			out = append(out, Denials(e)...)
		}
		return out
	}
	var de *SourceDeniedError
	if errors.As(err, &de) {
		return []*SourceDeniedError{de}
	}
	return nil
}

// Pos is the Dockerfile line BuildKit blamed for the denial, its file
// relative to b's work dir as the policy's refusals write it; else the
// step's Dockerfile.
func (e *SourceDeniedError) Pos(b *dag.Build) dag.Pos {
	file, line := e.Source, 0
	if i := strings.LastIndexByte(e.Source, ':'); i > 0 {
		if n, err := strconv.Atoi(e.Source[i+1:]); err == nil {
			file, line = e.Source[:i], n
		}
	}
	if file == "" {
		for _, s := range b.Steps {
			if s.Label == e.Step {
				file = s.Dockerfile
			}
		}
	}
	if abs, err := filepath.Abs(file); err == nil {
		if rel, err := filepath.Rel(b.WorkDir, abs); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
	}
	return dag.Pos{File: file, Line: line}
}
