package policy

import (
	"fmt"
	"strings"

	"github.com/weld-build/weld/dag"
)

// RefError is an image or a source that the policy refuses, found by
// CheckReferences before any build or reported by BuildKit's source policy
// during one (Denial). It wraps ErrBaseRefused: a gate that failed, exit 1.
type RefError struct {
	Ref Reference
	// Key is the policy key that refuses it (allowed_bases,
	// allowed_frontends, allowed_sources), Policy where it is written (the
	// file alone when the key is absent) and Patterns its entries.
	Key      string
	Policy   string
	Patterns []string
}

// Error implements error, in the form of BaseError's: "Dockerfile:2: step
// app: image unvetted/tools:1 (COPY --from) is not allowed by
// weld.policy.yml:1:16 (allowed_bases: busybox)".
func (e *RefError) Error() string {
	what := BaseUse{Ref: e.Ref.Ref, Replacement: e.Ref.Replacement}.shown()
	msg := fmt.Sprintf("%s: step %s: %s %s (%s) is not allowed by %s (%s: %s)", e.Ref.Pos, e.Ref.Step, e.Ref.Kind, what, e.Ref.Via, e.Policy, e.Key, patternList(e.Patterns, "none"))
	if e.Ref.Kind == KindFrontend {
		msg += fmt.Sprintf("; to run it as the frontend, add allowed_frontends: [%s] to the policy file (%s), or remove it to build with BuildKit's built-in Dockerfile frontend", e.Ref.Ref, DefaultFile)
	}
	return msg
}

// Unwrap makes every RefError match ErrBaseRefused.
func (e *RefError) Unwrap() error { return ErrBaseRefused }

// CheckReferences refuses every reference the policy (and its Limit) does
// not allow: images outside allowed_bases (after replace; an OCI layout
// replacement is allowed), frontends outside allowed_frontends (none by
// default), remote sources outside allowed_sources (when set). It returns
// Refusals, or nil.
func CheckReferences(refs []Reference, p *Policy) error {
	var out Refusals
	for _, r := range refs {
		if e := p.refuse(r); e != nil {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// refuse returns the refusal of one reference, or nil.
func (p *Policy) refuse(r Reference) *RefError {
	switch r.Kind {
	case KindImage:
		if p.trustsLayout(r.Replacement) {
			return nil
		}
		if by := p.basesRefusal(r.Effective()); by != nil {
			return &RefError{Ref: r, Key: "allowed_bases", Policy: by.AllowedPos.String(), Patterns: patternTexts(by.AllowedBases)}
		}
	case KindFrontend:
		if by := p.frontendRefusal(r.Ref); by != nil {
			return &RefError{Ref: r, Key: "allowed_frontends", Policy: by.keyPos(by.FrontendsPos), Patterns: patternTexts(by.AllowedFrontends)}
		}
	case KindSource:
		if by := p.sourceRefusal(SourceIdentifier(KindSource, r.Ref)); by != nil {
			return &RefError{Ref: r, Key: "allowed_sources", Policy: by.SourcesPos.String(), Patterns: patternTexts(by.AllowedSources)}
		}
	}
	return nil
}

// frontendRefusal returns the policy that does not allow ref as a frontend.
func (p *Policy) frontendRefusal(ref string) *Policy {
	for q := p; q != nil; q = q.Limit {
		if !matchAny(q.AllowedFrontends, Normalize(ref)) {
			return q
		}
	}
	return nil
}

// sourceRefusal returns the policy whose allowed_sources refuses a source
// identifier.
func (p *Policy) sourceRefusal(id string) *Policy {
	for q := p; q != nil; q = q.Limit {
		if q.HasSources && !sourceAllowed(q.AllowedSources, id) {
			return q
		}
	}
	return nil
}

// FrontendAllowed reports whether ref may run as a Dockerfile frontend.
func (p *Policy) FrontendAllowed(ref string) bool { return p.frontendRefusal(ref) == nil }

// keyPos is where a key's value is written, or the policy file when it is
// absent (or "the default policy" when there is no file).
func (p *Policy) keyPos(pos dag.Pos) string {
	switch {
	case pos.Line > 0:
		return pos.String()
	case p.File != "":
		return p.File
	}
	return "the default policy"
}

// Denial explains a source BuildKit's source policy denied in a step,
// in the form of CheckReferences' refusals: id is BuildKit's identifier
// (docker-image://…, https://…, git://…), pos the Dockerfile line BuildKit
// blamed, if any. It returns nil when the policy allows id, which means the
// denial came from rules weld adds itself (sources weld does not pass).
func (p *Policy) Denial(step string, pos dag.Pos, id string) *RefError {
	r := Reference{Step: step, Pos: pos, Via: "refused by BuildKit's source policy"}
	switch {
	case strings.HasPrefix(id, "docker-image://"):
		r.Ref, r.Kind = strings.TrimPrefix(id, "docker-image://"), KindImage
		if e := p.refuse(r); e != nil {
			return e
		}
		r.Kind = KindFrontend
	case strings.HasPrefix(id, "http://"), strings.HasPrefix(id, "https://"), strings.HasPrefix(id, "git://"):
		r.Ref, r.Kind = id, KindSource
	default:
		return nil
	}
	return p.refuse(r)
}
