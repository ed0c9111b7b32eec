package policy

import (
	"fmt"
	"strings"
)

// Banned bases: banned_bases lists refs and digests that no build may use
// as a base (after a CVE). weld build and weld lint refuse a FROM whose
// base, as written or as the build gets it (replaced, pinned), a ban
// matches; weld verify refuses an image built on one.

// BannedBaseError is a FROM whose base banned_bases lists. It wraps
// ErrBaseRefused (a refusal, exit 1) and joins Refusals.
type BannedBaseError struct {
	// Use is the FROM.
	Use BaseUse
	// Source is what the ban matched when it is not the ref as written:
	// the replacement, or the ref pinned to its digest.
	Source string
	// Ban is the banned_bases entry.
	Ban BannedBase
}

// Error implements error, in the form of the allowlist's refusals:
// "Dockerfile:1: step app: base busybox (built from …) is refused by
// weld.policy.yml:3:5 (banned_bases: busybox:1.36)".
func (e *BannedBaseError) Error() string {
	shown := e.Use.Ref
	if e.Source != "" && e.Source != e.Use.Ref {
		shown += " (built from " + e.Source + ")"
	}
	return fmt.Sprintf("%s: step %s: base %s is refused by %s (banned_bases: %s); build FROM a base that is not banned",
		e.Use.Pos, e.Use.Step, shown, e.Ban.Pos, e.Ban.Text)
}

// Unwrap makes every BannedBaseError match ErrBaseRefused.
func (e *BannedBaseError) Unwrap() error { return ErrBaseRefused }

// BannedUse returns the refusal of u when a banned_bases entry matches
// its ref as written, or source (what the build gets instead: a ref, a
// REF@DIGEST or oci-layout://DIR) or dgst (its digest, when known); else
// nil.
func (p *Policy) BannedUse(u BaseUse, source, dgst string) error {
	if dgst == "" {
		dgst = refDigest(source)
	}
	if dgst == "" {
		dgst = refDigest(u.Ref)
	}
	for _, b := range p.BannedBases {
		if b.Matches(u.Ref, dgst) {
			return &BannedBaseError{Use: u, Source: shownSource(u.Ref, source, dgst, b), Ban: b}
		}
		if source != "" && source != u.Ref && b.Matches(source, dgst) {
			return &BannedBaseError{Use: u, Source: shownSource(u.Ref, source, dgst, b), Ban: b}
		}
	}
	return nil
}

// shownSource is what a refusal says the base is built from: the source,
// with the digest a digest ban matched.
func shownSource(ref, source, dgst string, b BannedBase) string {
	if source == "" {
		source = ref
	}
	if b.Digest != "" && !strings.Contains(source, "@"+dgst) {
		source += "@" + dgst
	}
	return source
}

// BansDigests says whether banned_bases names a digest (weld build then
// resolves every base's digest before it builds).
func (p *Policy) BansDigests() bool {
	for _, b := range p.BannedBases {
		if b.Digest != "" {
			return true
		}
	}
	return false
}

// CheckBannedBases refuses, without a registry, every FROM whose ref as
// written, or its replacement, banned_bases lists (by ref, or by the
// digest a ref or replacement names): it returns Refusals, or nil.
func CheckBannedBases(uses []BaseUse, p *Policy) error {
	var out Refusals
	for _, u := range uses {
		source := u.Effective()
		if u.Replacement != nil && u.Replacement.IsLayout() {
			source = u.Replacement.To
		}
		if err := p.BannedUse(u, source, ""); err != nil {
			out = append(out, err)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// refDigest is the sha256 digest a ref (or oci-layout://DIR@sha256:…)
// names, or "".
func refDigest(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok && digestRE.MatchString(d) {
		return d
	}
	return ""
}
