package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/weld-build/weld/dag"
)

// ErrBaseRefused is wrapped by every refusal of a base by allowed_bases. A
// refusal is a gate that failed, not bad input: weld exits 1.
var ErrBaseRefused = errors.New("base image refused by policy")

// BaseUse is one FROM of an external image in a step's Dockerfile.
type BaseUse struct {
	// Step is the step's label.
	Step string `json:"step"`
	// Pos is the FROM line, its file relative to the work dir.
	Pos dag.Pos `json:"pos"`
	// Ref is the base as written (after ARG expansion).
	Ref string `json:"ref"`
	// Replacement is the policy's replace entry for Ref, if any.
	Replacement *Replacement `json:"-"`
}

// Effective is the ref the build uses: the replacement's when it is a ref,
// else Ref. A base replaced by an OCI layout keeps Ref.
func (u BaseUse) Effective() string {
	if u.Replacement != nil && !u.Replacement.IsLayout() {
		return strings.TrimPrefix(u.Replacement.To, "docker-image://")
	}
	return u.Ref
}

// BaseError is a FROM that allowed_bases refuses.
type BaseError struct {
	Use BaseUse
	// Policy is where allowed_bases is written, and Patterns its entries.
	Policy   dag.Pos
	Patterns []string
}

// Error implements error: "Dockerfile:1: step compile: base golang:1.26 is
// not allowed by weld.policy.yml:3:5 (allowed_bases: docker.io/library/alpine:*)".
func (e *BaseError) Error() string {
	return fmt.Sprintf("%s: step %s: base %s is not allowed by %s (allowed_bases: %s)", e.Use.Pos, e.Use.Step, e.Use.shown(), e.Policy, patternList(e.Patterns, "[]: only scratch"))
}

// shown is the base as a refusal names it: the ref the build uses, and the
// ref it replaces when there is a replacement.
func (u BaseUse) shown() string {
	if eff := u.Effective(); eff != u.Ref {
		return fmt.Sprintf("%s (replacing %s)", eff, u.Ref)
	}
	return u.Ref
}

// patternList is a policy key's patterns as a refusal names them, or none
// when the key has no pattern.
func patternList(patterns []string, none string) string {
	if s := strings.Join(patterns, ", "); s != "" {
		return s
	}
	return none
}

// Unwrap makes every BaseError match ErrBaseRefused.
func (e *BaseError) Unwrap() error { return ErrBaseRefused }

// Refusals are every refusal (*BaseError, *RefError), in step and line
// order.
type Refusals []error

// Error implements error, one refusal per line.
func (r Refusals) Error() string {
	msgs := make([]string, len(r))
	for i, e := range r {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the refusals.
func (r Refusals) Unwrap() []error {
	return []error(r)
}

// trustsLayout reports whether a base replaced by rep is allowed as it is:
// rep is an OCI layout that every policy of the chain names (an operator's
// Limit does not trust the layouts of the project's own file).
func (p *Policy) trustsLayout(rep *Replacement) bool {
	if rep == nil || !rep.IsLayout() {
		return false
	}
	for q := p.Limit; q != nil; q = q.Limit {
		if r, ok := q.Replacement(rep.From); !ok || r.To != rep.To {
			return false
		}
	}
	return true
}

// Bases lists every FROM of an external image in the steps' Dockerfiles, in
// every stage, with the policy's replacement for each. FROM scratch, FROM
// a stage and FROM another step are not bases.
func Bases(in Input, p *Policy) ([]BaseUse, error) {
	r := newReader(in)
	var out []BaseUse
	for _, s := range r.steps() {
		src, err := r.source(s)
		if err != nil {
			return nil, err
		}
		for _, st := range src.stages {
			if !r.external(src, st) {
				continue
			}
			u := BaseUse{Step: s.Label, Pos: src.pos(st.Line), Ref: st.Base}
			if rep, ok := p.Replacement(st.Base); ok {
				u.Replacement = &rep
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// CheckBases refuses every base outside allowed_bases: it returns Refusals
// (each wrapping ErrBaseRefused), or nil when every base is allowed. The
// allowlist applies after replace: a base replaced by another ref is checked
// as that ref; a base replaced by an OCI layout is allowed, since the policy
// itself names the layout.
func CheckBases(uses []BaseUse, p *Policy) error {
	var out Refusals
	for _, u := range uses {
		if p.trustsLayout(u.Replacement) {
			continue
		}
		if by := p.basesRefusal(u.Effective()); by != nil {
			out = append(out, &BaseError{Use: u, Policy: by.AllowedPos, Patterns: patternTexts(by.AllowedBases)})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
