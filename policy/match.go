package policy

import (
	"errors"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// normalize returns the fully qualified form of an image ref, with the
// implied tag: alpine → docker.io/library/alpine:latest. A ref with a digest
// keeps it (alpine:3.20@sha256:… → docker.io/library/alpine:3.20@sha256:…).
func normalize(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", err
	}
	return reference.TagNameOnly(named).String(), nil
}

// Normalize is the normalized form allowed_bases patterns are matched
// against; it returns ref unchanged when it is not a valid reference.
func Normalize(ref string) string {
	if n, err := normalize(ref); err == nil {
		return n
	}
	return ref
}

// normalizePattern qualifies a pattern's image name as normalize would,
// leaving its globs alone: alpine:* → docker.io/library/alpine:*,
// myorg/* → docker.io/myorg/*, registry.local/** stays.
func normalizePattern(p string) (string, error) {
	if strings.TrimSpace(p) != p || p == "" {
		return "", errors.New("a pattern has no spaces and is not empty")
	}
	if !strings.Contains(p, "*") {
		return normalize(p)
	}
	first, _, hasSlash := strings.Cut(p, "/")
	switch {
	case hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost"):
		return p, nil // already names a registry
	case hasSlash:
		return "docker.io/" + p, nil
	case first == "*" || first == "**":
		return p, nil // matches any ref; do not guess a registry
	}
	return "docker.io/library/" + p, nil
}

// Match reports whether the normalized ref matches the pattern. A pattern
// without @ ignores the ref's digest: alpine:3.20 allows
// alpine:3.20@sha256:…. In a pattern, * matches any run of characters but /,
// and ** any run at all. Match is the regular expression Regexp, so that
// weld's own check and BuildKit's source policy (which runs the same
// expression, prefixed by the scheme) agree.
func (p Pattern) Match(norm string) bool {
	re, err := regexp.Compile("^" + p.Regexp() + "$")
	return err == nil && re.MatchString(norm)
}

// Regexp is the pattern as an unanchored RE2 expression over normalized
// refs: the glob, and an optional @sha256:… when the pattern names no
// digest.
func (p Pattern) Regexp() string {
	re := globRegexp(p.Norm)
	if !strings.Contains(p.Norm, "@") {
		re += "(?:@sha256:[0-9a-f]{64})?"
	}
	return re
}

// globRegexp turns literal text, * and ** into an RE2 expression.
func globRegexp(pat string) string {
	var b strings.Builder
	for len(pat) > 0 {
		switch {
		case strings.HasPrefix(pat, "**"):
			b.WriteString(".*")
			pat = strings.TrimLeft(pat, "*")
		case pat[0] == '*':
			b.WriteString("[^/]*")
			pat = pat[1:]
		default:
			i := strings.IndexByte(pat, '*')
			if i < 0 {
				i = len(pat)
			}
			b.WriteString(regexp.QuoteMeta(pat[:i]))
			pat = pat[i:]
		}
	}
	return b.String()
}

// Allowed reports whether ref may be a base: always for scratch and when the
// policy (and its Limit) has no allowed_bases; else when a pattern of each
// matches its normalized form.
func (p *Policy) Allowed(ref string) bool { return p.basesRefusal(ref) == nil }

// basesRefusal returns the policy whose allowed_bases refuses ref: p or
// one of its limits; nil when ref is allowed.
func (p *Policy) basesRefusal(ref string) *Policy {
	if ref == "scratch" {
		return nil
	}
	for q := p; q != nil; q = q.Limit {
		if q.HasAllowlist && !matchAny(q.AllowedBases, Normalize(ref)) {
			return q
		}
	}
	return nil
}

// matchAny reports whether a pattern matches s.
func matchAny(pats []Pattern, s string) bool {
	for _, pat := range pats {
		if pat.Match(s) {
			return true
		}
	}
	return false
}

// patternTexts are the patterns as written.
func patternTexts(pats []Pattern) []string {
	out := make([]string, len(pats))
	for i, pat := range pats {
		out[i] = pat.Text
	}
	return out
}
