package builder

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// Denials are the *SourceDeniedErrors in err's tree, in order: the sources
// the daemon's source policy denied (WithSourcePolicy, WithPolicy).
func Denials(err error) []*SourceDeniedError {
	switch e := err.(type) {
	case *SourceDeniedError:
		return []*SourceDeniedError{e}
	case interface{ Unwrap() []error }:
		var out []*SourceDeniedError
		for _, in := range e.Unwrap() {
			out = append(out, Denials(in)...)
		}
		return out
	case interface{ Unwrap() error }:
		return Denials(e.Unwrap())
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

// Refusal says which rule of p refused the source, as the static check's
// refusals do (FILE:LINE: step S: image X … is not allowed by POLICY (KEY:
// …)); a source p allows was denied by weld's own rules: not one weld
// passes to the build.
func (e *SourceDeniedError) Refusal(p *policy.Policy, b *dag.Build) error {
	pos := e.Pos(b)
	if p == nil {
		p = &policy.Policy{}
	}
	if re := p.Denial(e.Step, pos, e.Identifier); re != nil {
		return re
	}
	return fmt.Errorf("%s: step %s: source %s (refused by BuildKit's source policy) is not one weld passes to the build", pos, e.Step, e.Identifier)
}
