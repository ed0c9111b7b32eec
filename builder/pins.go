package builder

import (
	"context"
	"fmt"
	"strings"

	"github.com/distribution/reference"

	"github.com/weld-build/weld/policy"
)

// BasePin is one base of a step (a FROM of an external image) and the
// digest it was built from: an entry of "weld.bases" in the metadata file.
type BasePin struct {
	// Ref is the FROM as written; From its Dockerfile FILE:LINE.
	Ref  string `json:"ref"`
	From string `json:"from"`
	// Source is what the build used instead, when the base was replaced.
	Source string `json:"source,omitempty"`
	// Digest is the manifest digest; empty when it is not known offline
	// and the policy's pin_digests is off.
	Digest string `json:"digest,omitempty"`
}

// pinBases finds each base's digest: an OCI layout's is known, as is a
// ref's own @digest; with pin_digests, any other is resolved through the
// daemon (with o's source policy, images and registry auth; also when
// banned_bases names a digest, to check it), and the build
// is then made to use exactly that digest (the returned images map the ref
// to REF@DIGEST). Pins are keyed by step label.
func pinBases(ctx context.Context, s Solver, o *options, uses []policy.BaseUse) (map[string][]BasePin, map[string]ImageSource, error) {
	pins := map[string][]BasePin{}
	pinned := map[string]ImageSource{}
	resolved := map[string]string{}
	for _, u := range uses {
		pin := BasePin{Ref: u.Ref, From: u.Pos.String()}
		key, err := ContextKey(u.Ref)
		if err != nil {
			return nil, nil, err
		}
		ref := u.Ref
		if src, ok := o.images[key]; ok {
			pin.Source = src.String()
			if src.Layout != "" {
				pin.Digest = src.Digest.String()
			}
			ref = src.Image
		}
		if pin.Digest == "" {
			pin.Digest = refDigest(ref)
		}
		if pin.Digest == "" && (o.policy.PinDigests || o.policy.BansDigests()) {
			d, ok := resolved[ref]
			if !ok {
				dg, err := resolveDigest(ctx, s, o, ref)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: step %s: pin_digests (%s): %w", u.Pos, u.Step, o.policy.File, err)
				}
				d = dg.String()
				resolved[ref] = d
			}
			pin.Digest = d
			pinned[key] = ImageSource{Image: withDigest(ref, d)}
		}
		pins[u.Step] = append(pins[u.Step], pin)
	}
	return pins, pinned, nil
}

// refDigest is the @sha256:… of a ref, or "".
func refDigest(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ""
}

// withDigest pins a ref to a digest, keeping its name and tag.
func withDigest(ref, d string) string {
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		return reference.TagNameOnly(named).String() + "@" + d
	}
	return ref + "@" + d
}

// setBases puts each step's pins into its result.
func setBases(res *Result, pins map[string][]BasePin) {
	if res == nil {
		return
	}
	for _, s := range res.Steps {
		s.Bases = pins[s.Label]
	}
}
