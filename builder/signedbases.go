package builder

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes"

	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/sign"
)

// Only signed bases: the policy's require_signed_bases names patterns and
// keys; every base (FROM) that matches a pattern, as written or as the
// source it is built from, must carry a cosign signature that one of the
// rule's keys verifies: in its registry (sha256-<hex>.sig), or, for a base
// built from an OCI layout, as a referrer in that layout (signing.go).
// This runs before any daemon is contacted; a registry base that passes is
// then built from exactly the digest that was verified.

// SignedBaseError is a base that require_signed_bases refuses. It wraps
// policy.ErrBaseRefused (a refusal, exit 1) and joins policy.Refusals.
type SignedBaseError struct {
	// Use is the FROM.
	Use policy.BaseUse
	// Source is what was checked: the ref, or oci-layout://DIR.
	Source string
	// Rule is the rule that requires the signature.
	Rule policy.SignedBaseRule
	// Reason says what is wrong with the signature.
	Reason string
}

// Error implements error, in the form of the allowlist's refusals.
func (e *SignedBaseError) Error() string {
	shown := e.Use.Ref
	if e.Source != e.Use.Ref {
		shown += " (built from " + e.Source + ")"
	}
	return fmt.Sprintf("%s: step %s: base %s is refused by %s (require_signed_bases: %s): %s",
		e.Use.Pos, e.Use.Step, shown, e.Rule.Pos, e.Rule.Pattern.Text, e.Reason)
}

// Unwrap makes every SignedBaseError match policy.ErrBaseRefused.
func (e *SignedBaseError) Unwrap() error { return policy.ErrBaseRefused }

// checkSignedBases verifies the signature of every base a
// require_signed_bases rule matches; it returns policy.Refusals, a key
// that cannot be read (ErrInvalid), or nil. Verified registry bases are
// pinned in o.images to the verified digest.
func checkSignedBases(ctx context.Context, o *options, uses []policy.BaseUse) error {
	if o.policy == nil || len(o.policy.SignedBases) == 0 {
		return nil
	}
	resolver := (&registryExporter{auth: o.auth}).resolver(ctx)
	keys := map[string][]*sign.Verifier{}
	var refusals policy.Refusals
	for _, u := range uses {
		key, err := ContextKey(u.Ref)
		if err != nil {
			return err
		}
		src, replaced := o.images[key]
		source := baseSource(u.Ref, src, replaced)
		rule, ok := o.policy.SignedBaseRule(absLayout(source))
		if !ok {
			if rule, ok = o.policy.SignedBaseRule(u.Ref); !ok {
				continue
			}
		}
		vs, err := ruleKeys(keys, rule)
		if err != nil {
			return err
		}
		f, err := baseFacts(ctx, resolver, src, source)
		if err == nil {
			_, err = sign.VerifyAny(f.sigs, vs, f.digest)
		}
		if err != nil {
			refusals = append(refusals, &SignedBaseError{Use: u, Source: source, Rule: rule, Reason: err.Error()})
			continue
		}
		if src.Layout == "" {
			o.images[key] = ImageSource{Image: withDigest(source, f.digest.String()), Name: src.Name}
		}
	}
	if len(refusals) > 0 {
		return refusals
	}
	return nil
}

// baseSource is what a base is built from: its replacement's layout or
// ref, else the ref as written.
func baseSource(ref string, src ImageSource, replaced bool) string {
	switch {
	case replaced && src.Layout != "":
		return LayoutPrefix + src.Layout
	case replaced && src.Image != "":
		return src.Image
	}
	return ref
}

// absLayout makes an oci-layout:// source's folder absolute, as the
// policy's layout patterns are matched.
func absLayout(source string) string {
	dir, ok := strings.CutPrefix(source, LayoutPrefix)
	if !ok {
		return source
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return LayoutPrefix + abs
	}
	return source
}

func baseFacts(ctx context.Context, resolver remotes.Resolver, src ImageSource, source string) (*imageFacts, error) {
	if src.Layout != "" {
		return layoutFacts(src.Layout, src.Digest.String())
	}
	return registryFacts(ctx, resolver, source, false)
}

// ruleKeys reads (once per run) the public keys of rule.
func ruleKeys(cache map[string][]*sign.Verifier, rule policy.SignedBaseRule) ([]*sign.Verifier, error) {
	var out []*sign.Verifier
	for _, k := range rule.Keys {
		if vs, ok := cache[k]; ok {
			out = append(out, vs...)
			continue
		}
		pemBytes, err := boundedio.ReadFile(k, boundedio.MaxPolicyFile)
		if err == nil {
			var v *sign.Verifier
			if v, err = sign.ParsePublicKey(filepath.Base(k), pemBytes); err == nil {
				cache[k] = []*sign.Verifier{v}
				out = append(out, v)
				continue
			}
		}
		return nil, fmt.Errorf("%w: %s: require_signed_bases key %s: %v", ErrInvalid, rule.Pos, k, err)
	}
	return out, nil
}
