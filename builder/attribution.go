package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/dag"
)

// This file attributes failures: which step a failing vertex belongs to,
// and where in its Dockerfile.

// own records the vertices of def as belonging to the step label, unless an
// earlier step already owns them.
func (ss *stepSession) own(def *llb.Definition, label string) {
	for _, dt := range def.Def {
		ss.tr.own(digest.FromBytes(dt), label)
	}
}

// recordOwnDef remembers the vertex digests of the step as solved in its own
// session. Sources that carry a session ID (OCI layouts) give a step's ops
// other digests in other sessions; the daemon still shares the work by cache
// key, and a shared vertex fails everywhere with the digest of the session
// that registered it first, often the dependency's own.
func (ss *stepSession) recordOwnDef(def *llb.Definition) { ss.recordDef(ss.step.Label, def) }

// recordDef remembers the vertex digests and Dockerfile lines of step
// label as solved in this session.
func (ss *stepSession) recordDef(label string, def *llb.Definition) {
	set := make(map[digest.Digest]bool, len(def.Def))
	for _, dt := range def.Def {
		set[digest.FromBytes(dt)] = true
	}
	lines := map[string]int{}
	for d, md := range def.Metadata {
		name := md.Description["llb.customname"]
		if name == "" || def.Source == nil {
			continue
		}
		if locs, ok := def.Source.Locations[d.String()]; ok {
			for _, l := range locs.Locations {
				if len(l.Ranges) > 0 && l.Ranges[0].Start != nil {
					lines[name] = int(l.Ranges[0].Start.Line)
				}
			}
		}
	}
	ss.mu.Lock()
	ss.ownDefs[label] = set
	ss.ownLines[label] = lines
	ss.mu.Unlock()
}

// lineOf finds the Dockerfile line of a vertex by its name in the step's own
// definition, for failures whose error carries another session's source map.
func (r *run) lineOf(label, vertexName string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ownLines[label][vertexName]
}

// failedIn returns the dependency of s whose own build holds the vertex d.
func (r *run) failedIn(s *dag.Step, d digest.Digest) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, dep := range r.closure[s.Label] {
		if dep == s.Label {
			continue
		}
		if r.ownDefs[dep][d] {
			return dep
		}
	}
	return ""
}

// explain turns a session's error into the step's error: a failure inside a
// dependency's vertices is that dependency's (reported once, by its own
// session); anything else gets the step's name, the Dockerfile line and the
// tail of the failing vertex's output.
func (r *run) explain(ctx context.Context, s *dag.Step, tr *tracker, err error) error {
	if errors.Is(err, ErrNotPublished) || errors.Is(err, ErrDependencyFailed) {
		return err
	}
	if cause := context.Cause(ctx); cause != nil {
		return fmt.Errorf("step %q: %w", s.Label, context.Canceled)
	}
	var ve *errdefs.VertexError
	if errors.As(err, &ve) {
		d := digest.Digest(ve.Digest)
		owner := tr.owner(d)
		if owner == "" {
			owner = r.failedIn(s, d)
		}
		if owner != "" && owner != s.Label {
			return fmt.Errorf("step %q: %w: %s", s.Label, ErrDependencyFailed, owner)
		}
	}
	var se *StepError
	if errors.As(err, &se) {
		return se
	}
	se = &StepError{Step: s.Label, Err: asDenied(s, err), Source: sourceLocation(s, err)}
	if ve != nil {
		se.Tail = tr.tail(digest.Digest(ve.Digest))
		if line := r.lineOf(s.Label, tr.name(digest.Digest(ve.Digest))); se.Source == "" && line > 0 {
			se.Source = fmt.Sprintf("%s:%d", displayPath(s.Dockerfile), line)
		}
	}
	return se
}
