package containers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/builder"
)

// ErrBadBase marks a --base that is neither an image reference nor a
// digest.
var ErrBadBase = errors.New("bad base")

// Base is the base image containers are matched on: a reference (a
// repository, every tag of it, or one tag) or a digest.
type Base struct {
	ref    string
	name   reference.Named // nil for a bare digest
	tag    string          // "" matches every tag
	digest digest.Digest   // "" unless the ref names one
}

// ParseBase parses ref: "alpine" (every tag of docker.io/library/alpine),
// "alpine:3.20" (that tag), "alpine@sha256:…" or "sha256:…" (that digest,
// as the image's base.digest label records it).
func ParseBase(ref string) (Base, error) {
	b := Base{ref: ref}
	if strings.HasPrefix(ref, "sha256:") {
		d, err := digest.Parse(ref)
		if err != nil {
			return b, fmt.Errorf("%w: %q: %v; a digest is sha256: and 64 hex digits", ErrBadBase, ref, err)
		}
		b.digest = d
		return b, nil
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return b, fmt.Errorf("%w: %q: %v; give an image reference (alpine, alpine:3.20, alpine@sha256:…) or a digest (sha256:…)", ErrBadBase, ref, err)
	}
	b.name = reference.TrimNamed(named)
	if t, ok := named.(reference.Tagged); ok {
		b.tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		b.digest = d.Digest()
	}
	return b, nil
}

// String is the base as given.
func (b Base) String() string { return b.ref }

// Match says whether an image with these labels was built by weld (it has
// the dev.weld.step label) on b: by digest when b names one, else by name
// and, when b has one, tag.
func (b Base) Match(labels map[string]string) bool {
	if labels[builder.LabelStep] == "" {
		return false
	}
	if b.digest != "" {
		return labels[builder.LabelBaseDigest] == b.digest.String()
	}
	named, err := reference.ParseNormalizedNamed(labels[builder.LabelBaseName])
	if err != nil || named.Name() != b.name.Name() {
		return false
	}
	if b.tag == "" {
		return true
	}
	tagged, ok := reference.TagNameOnly(named).(reference.Tagged)
	return ok && tagged.Tag() == b.tag
}
