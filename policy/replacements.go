package policy

import (
	"fmt"
	"strings"
)

// ReplaceError is a replace entry whose replacement the policy refuses: an
// image outside allowed_bases, or, under an operator's policy (Limit), an
// OCI layout that only the project's file names. It wraps ErrBaseRefused.
type ReplaceError struct {
	Replacement Replacement
	// By is the policy whose allowed_bases refuses it.
	By *Policy
}

// Error implements error: "weld.policy.yml:3:3: replace unvetted with
// evil/y:1: image evil/y:1 is not allowed by weld.policy.yml:1:16
// (allowed_bases: busybox)".
func (e *ReplaceError) Error() string {
	r := e.Replacement
	pats := strings.Join(patternTexts(e.By.AllowedBases), ", ")
	if pats == "" {
		pats = "[]: only scratch"
	}
	if r.IsLayout() {
		return fmt.Sprintf("%s: replace %s with %s: an OCI layout of the project's policy is not allowed by %s (allowed_bases: %s): name it in that policy's replace", r.Pos, r.From, r.To, e.By.AllowedPos, pats)
	}
	return fmt.Sprintf("%s: replace %s with %s: image %s is not allowed by %s (allowed_bases: %s)", r.Pos, r.From, r.To, effectiveRef(r), e.By.AllowedPos, pats)
}

// Unwrap makes every ReplaceError match ErrBaseRefused.
func (e *ReplaceError) Unwrap() error { return ErrBaseRefused }

// CheckReplacements refuses the replace entries whose replacement the
// policy chain does not allow, used or not: the daemon's source policy
// allows every replacement by exact identity (builder.WithImages), so an
// entry that no FROM names still lets a base image's ONBUILD trigger, or
// any reference the static check cannot see, pull its target. An image
// must pass allowed_bases of every policy; an OCI layout is trusted as it
// is by the policy that names it, and under an operator's allowed_bases
// only when the operator's policy names the same layout. used are the refs
// a FROM or a --from names: their image replacements are judged there
// (CheckBases, CheckReferences). It returns Refusals, or nil.
func CheckReplacements(p *Policy, used []string) error {
	judged := map[string]bool{}
	for _, ref := range used {
		if rep, ok := p.Replacement(ref); ok {
			judged[rep.Key] = true
		}
	}
	var out Refusals
	for _, r := range p.Replace {
		switch {
		case r.IsLayout():
			if by := p.layoutRefusal(r); by != nil {
				out = append(out, &ReplaceError{Replacement: r, By: by})
			}
		case !judged[r.Key]:
			if by := p.basesRefusal(effectiveRef(r)); by != nil {
				out = append(out, &ReplaceError{Replacement: r, By: by})
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// layoutRefusal returns the policy of p's limits whose allowed_bases does
// not trust an OCI layout replacement: one with an allowlist that does not
// name the same layout for the same ref.
func (p *Policy) layoutRefusal(r Replacement) *Policy {
	for q := p.Limit; q != nil; q = q.Limit {
		if !q.HasAllowlist {
			continue
		}
		if own, ok := q.Replacement(r.From); !ok || own.To != r.To {
			return q
		}
	}
	return nil
}

// effectiveRef is an image replacement's ref, without docker-image://.
func effectiveRef(r Replacement) string {
	return BaseUse{Ref: r.From, Replacement: &r}.Effective()
}
