package policy

import (
	"errors"
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
// and ** any run at all.
func (p Pattern) Match(norm string) bool {
	if !strings.Contains(p.Norm, "@") {
		if name, _, ok := strings.Cut(norm, "@"); ok && strings.Contains(name, ":") && !strings.HasSuffix(name, "/") {
			norm = name
		}
	}
	return glob(p.Norm, norm)
}

// glob matches s against a pattern of literal text, * and **.
func glob(pat, s string) bool {
	for len(pat) > 0 {
		if strings.HasPrefix(pat, "**") {
			rest := strings.TrimLeft(pat, "*")
			for i := len(s); i >= 0; i-- {
				if glob(rest, s[i:]) {
					return true
				}
			}
			return false
		}
		if pat[0] == '*' {
			rest := pat[1:]
			for i := 0; i <= len(s); i++ {
				if glob(rest, s[i:]) {
					return true
				}
				if i < len(s) && s[i] == '/' {
					break
				}
			}
			return false
		}
		if len(s) == 0 || s[0] != pat[0] {
			return false
		}
		pat, s = pat[1:], s[1:]
	}
	return len(s) == 0
}

// Allowed reports whether ref may be a base: always for scratch and when the
// policy has no allowed_bases; else when a pattern matches its normalized
// form.
func (p *Policy) Allowed(ref string) bool {
	if ref == "scratch" || !p.HasAllowlist {
		return true
	}
	norm := Normalize(ref)
	for _, pat := range p.AllowedBases {
		if pat.Match(norm) {
			return true
		}
	}
	return false
}
