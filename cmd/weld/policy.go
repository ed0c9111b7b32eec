package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/distribution/reference"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// policyOptions find the policy file.
type policyOptions struct {
	policyFile string
}

func addPolicyFlags(f *pflag.FlagSet, po *policyOptions) {
	f.StringVar(&po.policyFile, "policy", "", "the policy file: allowed bases, replacements, digest pinning, check severities, gates (default: "+policy.DefaultFile+" in the work dir, if present)")
}

// loadPolicy reads --policy, else the work dir's weld.policy.yml if any.
func (po *policyOptions) loadPolicy(o *rootOptions, b *dag.Build) (*policy.Policy, error) {
	p, err := policy.Find(po.policyFile, b.WorkDir)
	if err != nil {
		return nil, err
	}
	if p.File != "" {
		o.log.Debug("policy", "file", p.File)
	}
	return p, nil
}

// policyImages maps the policy's replacements to builder image sources,
// composed with the --image flags: a base replaced by REF is built from
// --image REF's source when there is one. It returns the merged map.
func policyImages(o *rootOptions, p *policy.Policy, uses []policy.BaseUse, flags map[string]builder.ImageSource) (map[string]builder.ImageSource, error) {
	out := maps.Clone(flags)
	used := map[string][]policy.BaseUse{}
	for _, u := range uses {
		if u.Replacement != nil {
			used[u.Replacement.Key] = append(used[u.Replacement.Key], u)
		}
	}
	for _, r := range p.Replace {
		ref, src, err := builder.ParseImage(r.Source())
		if err != nil {
			return nil, dag.ErrorList{{Pos: r.Pos, Msg: fmt.Sprintf("replace: %v", err)}}
		}
		if !r.IsLayout() {
			if key, err := builder.ContextKey(src.Image); err == nil {
				if via, ok := flags[key]; ok {
					via.Name = src.Image // the labels name the replacement, not the layout's stand-in
					src = via
				}
			}
		}
		if _, ok := flags[ref]; ok {
			o.log.Warn(fmt.Sprintf("%s replaces %s; the policy wins over --image %s", r.Pos, r.From, ref))
		}
		out[ref] = src
		for _, u := range used[r.Key] {
			o.log.Info(fmt.Sprintf("%s: step %s: policy %s replaces base %s with %s", u.Pos, u.Step, r.Pos, u.Ref, r.To))
		}
	}
	return out, nil
}

// checkPolicy runs the checks weld build and weld lint share, before any
// build: the allowlist, then the Dockerfile checks. It prints every
// refusal and finding to w and returns an error (already printed) when
// the build must stop.
func checkPolicy(ctx context.Context, o *rootOptions, w io.Writer, in policy.Input, p *policy.Policy) ([]policy.BaseUse, policy.Findings, error) {
	uses, _, err := checkBases(w, in, p)
	if err != nil {
		return nil, nil, err
	}
	findings, err := policy.Lint(ctx, in, p)
	if err != nil {
		return nil, nil, err
	}
	return uses, findings, nil
}

// checkBases refuses the bases, and the other images and sources the
// Dockerfiles name (policy.References), that the policy does not allow,
// printing each refusal; it needs no daemon.
func checkBases(w io.Writer, in policy.Input, p *policy.Policy) ([]policy.BaseUse, []policy.Reference, error) {
	uses, err := policy.Bases(in, p)
	if err != nil {
		return nil, nil, err
	}
	refs, err := policy.References(in, p)
	if err != nil {
		return nil, nil, err
	}
	var refusals policy.Refusals
	for _, err := range []error{policy.CheckBases(uses, p), policy.CheckReferences(refs, p), policy.CheckReplacements(p, usedRefs(uses, refs))} {
		var rs policy.Refusals
		if errors.As(err, &rs) {
			refusals = append(refusals, rs...)
		} else if err != nil {
			return nil, nil, err
		}
	}
	if len(refusals) > 0 {
		for _, r := range refusals {
			fmt.Fprintln(w, r.Error())
		}
		return nil, nil, &reportedError{refusals}
	}
	return uses, refs, nil
}

// basePin is a base and the digest it was built from, for --metadata-file
// ("weld.bases" of each step).
type basePin struct {
	// Ref is the FROM as written; From its Dockerfile FILE:LINE.
	Ref  string `json:"ref"`
	From string `json:"from"`
	// Source is what the build used instead, when the base was replaced.
	Source string `json:"source,omitempty"`
	// Digest is the manifest digest; empty when it is not known offline
	// and pin_digests is off.
	Digest string `json:"digest,omitempty"`
}

// pinBases finds each base's digest: an OCI layout's is known, as is a
// ref's own @digest; with pin_digests, any other is resolved through the
// daemon, and the build is then made to use exactly that digest (the
// returned images map the ref to REF@DIGEST). Pins are keyed by step label.
func pinBases(ctx context.Context, s builder.Solver, p *policy.Policy, uses []policy.BaseUse, images map[string]builder.ImageSource, opts ...builder.Option) (map[string][]basePin, map[string]builder.ImageSource, error) {
	pins := map[string][]basePin{}
	pinned := map[string]builder.ImageSource{}
	resolved := map[string]string{}
	for _, u := range uses {
		pin := basePin{Ref: u.Ref, From: u.Pos.String()}
		key, err := builder.ContextKey(u.Ref)
		if err != nil {
			return nil, nil, err
		}
		ref := u.Ref
		if src, ok := images[key]; ok {
			pin.Source = src.String()
			if src.Layout != "" {
				pin.Digest = src.Digest.String()
			}
			ref = src.Image
		}
		if pin.Digest == "" {
			pin.Digest = refDigest(ref)
		}
		if pin.Digest == "" && p.PinDigests {
			d, ok := resolved[ref]
			if !ok {
				dg, err := builder.ResolveDigest(ctx, s, ref, opts...)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: step %s: pin_digests (%s): %w", u.Pos, u.Step, p.File, err)
				}
				d = dg.String()
				resolved[ref] = d
			}
			pin.Digest = d
			pinned[key] = builder.ImageSource{Image: withDigest(ref, d)}
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

// sourcePolicyOptions have the daemon enforce the policy on every source
// (builder.WithSourcePolicy), and let the steps whose frontend the policy
// allows run it; the others build with BuildKit's built-in frontend.
func sourcePolicyOptions(p *policy.Policy, refs []policy.Reference) []builder.Option {
	if p == nil {
		return nil
	}
	frontends := map[string]string{}
	for _, r := range refs {
		if r.Kind == policy.KindFrontend && frontends[r.Step] == "" && p.FrontendAllowed(r.Ref) {
			frontends[r.Step] = r.Ref
		}
	}
	return []builder.Option{builder.WithSourcePolicy(p.SourcePolicies()...), builder.WithFrontends(frontends)}
}

// reportDenials prints each source the daemon's policy denied in err as
// the static check prints its refusals (FILE:LINE: step S: image X … is not
// allowed by POLICY (KEY: …)); it reports whether there was one.
func reportDenials(w io.Writer, p *policy.Policy, b *dag.Build, err error) bool {
	var found bool
	for _, de := range deniedSources(err) {
		found = true
		pos := denialPos(b, de)
		if e := p.Denial(de.Step, pos, de.Identifier); e != nil {
			fmt.Fprintln(w, e.Error())
			continue
		}
		fmt.Fprintf(w, "%s: step %s: source %s (refused by BuildKit's source policy) is not one weld passes to the build\n", pos, de.Step, de.Identifier)
	}
	return found
}

// deniedSources are the builder.SourceDeniedErrors in an error tree.
func deniedSources(err error) []*builder.SourceDeniedError {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*builder.SourceDeniedError
		for _, e := range multi.Unwrap() {
			out = append(out, deniedSources(e)...)
		}
		return out
	}
	var de *builder.SourceDeniedError
	if errors.As(err, &de) {
		return []*builder.SourceDeniedError{de}
	}
	return nil
}

// denialPos is the Dockerfile line BuildKit blamed, relative to the work
// dir as the static check writes it, else the step's Dockerfile.
func denialPos(b *dag.Build, de *builder.SourceDeniedError) dag.Pos {
	file, line := de.Source, 0
	if i := strings.LastIndexByte(de.Source, ':'); i > 0 {
		if n, err := strconv.Atoi(de.Source[i+1:]); err == nil {
			file, line = de.Source[:i], n
		}
	}
	if file == "" {
		for _, s := range b.Steps {
			if s.Label == de.Step {
				file = s.Dockerfile
			}
		}
	}
	if abs, err := filepath.Abs(file); err == nil {
		if rel, err := filepath.Rel(b.WorkDir, abs); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
	}
	return dag.Pos{File: file, Line: line}
}
