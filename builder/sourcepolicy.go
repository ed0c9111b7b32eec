package builder

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/sourcepolicy"
	spb "github.com/moby/buildkit/sourcepolicy/pb"
	"github.com/moby/buildkit/sourcepolicy/policysession"

	"github.com/weld-build/weld/dag"
)

// WithSourcePolicy has the daemon enforce BuildKit source policies on every
// source of every solve of the run (build, lint, tests, exports, digest
// resolution), whatever instruction or frontend asked for it. A source
// passes when every policy allows it: the first is sent with each solve
// (SolveOpt.SourcePolicy), the others are evaluated, with BuildKit's own
// engine, by weld's session when the daemon asks (SourcePolicyProvider);
// so an operator's policy cannot be loosened by a project's.
//
// With a policy, the run adds rules of its own to the first: what weld
// passes itself is allowed by exact identity (its local contexts and
// Dockerfiles, the OCI layouts and images of WithImages) and any other
// local:// or oci-layout:// source is denied; an image replaced by an image
// ref is converted to it (CONVERT), whoever asks for it.
func WithSourcePolicy(pols ...*spb.Policy) Option {
	return func(o *options) error {
		for _, p := range pols {
			if p == nil {
				return errors.New("WithSourcePolicy: a nil policy")
			}
			o.sourcePolicies = append(o.sourcePolicies, p)
		}
		return nil
	}
}

// WithFrontends lets steps (by label) run an image as their Dockerfile
// frontend, as # syntax=IMAGE asks. Every other step builds with BuildKit's
// built-in Dockerfile frontend, whatever its Dockerfile's # syntax= line or
// BUILDKIT_SYNTAX build arg says.
func WithFrontends(byStep map[string]string) Option {
	return func(o *options) error {
		for k, v := range byStep {
			o.frontends[k] = v
		}
		return nil
	}
}

// setFrontend chooses a step's frontend in its Dockerfile frontend attrs:
// the image WithFrontends allows (pinned, so no build arg can change it), or
// BuildKit's built-in one: the dockerfile.v0 frontend forwards to a # syntax=
// image only when the request has no "cmdline" attr
// (frontend/dockerfile/builder/build.go).
func (r *run) setFrontend(s *dag.Step, attrs map[string]string) {
	if ref := r.o.frontends[s.Label]; ref != "" {
		attrs["build-arg:BUILDKIT_SYNTAX"] = ref
		return
	}
	delete(attrs, "build-arg:BUILDKIT_SYNTAX")
	attrs["cmdline"] = ""
}

// applySourcePolicy adds the run's source policies to a session whose
// local mounts are those of the given step labels.
func (r *run) applySourcePolicy(opt *client.SolveOpt, labels []string) {
	opt.SourcePolicy, opt.SourcePolicyProvider = sessionPolicy(r.o, r.bases, labels, r.shared.allLocalNames(labels)...)
	if opt.SourcePolicy != nil && r.fleet != nil && r.fleet.staging != "" { // handover.go: the pool's own handovers
		opt.SourcePolicy.Rules = append(opt.SourcePolicy.Rules, rule(spb.PolicyAction_ALLOW, spb.MatchType_REGEX,
			"^docker-image://"+regexp.QuoteMeta(r.fleet.staging)+"@sha256:[0-9a-f]{64}$"))
	}
}

// sessionPolicy is the policy sent with a session, and the provider that
// evaluates the others; nil without WithSourcePolicy.
func sessionPolicy(o *options, b *baseImages, labels []string, locals ...string) (*spb.Policy, session.Attachable) {
	if len(o.sourcePolicies) == 0 {
		return nil, nil
	}
	first := o.sourcePolicies[0].CloneVT()
	first.Rules = append(first.Rules, ownRules(o.images, b, labels, locals)...)
	if len(o.sourcePolicies) == 1 {
		return first, nil
	}
	return first, policyProvider(o.sourcePolicies[1:])
}

// ownRules allow what weld passes itself, by exact identity, and convert
// the image refs replaced by another ref. They come last, so they win over
// the policy's DENYs (the last matching rule wins).
func ownRules(images map[string]ImageSource, b *baseImages, labels, locals []string) []*spb.Rule {
	rules := []*spb.Rule{rule(spb.PolicyAction_DENY, spb.MatchType_REGEX, `^(local|oci-layout)://`)}
	for _, l := range labels {
		rules = append(rules,
			rule(spb.PolicyAction_ALLOW, spb.MatchType_EXACT, "local://"+contextLocal(l)),
			rule(spb.PolicyAction_ALLOW, spb.MatchType_EXACT, "local://"+dockerfileLocal(l)))
	}
	for _, n := range locals { // the shared session's names of their folders (sharedsession.go)
		rules = append(rules, rule(spb.PolicyAction_ALLOW, spb.MatchType_EXACT, "local://"+n))
	}
	keys := make([]string, 0, len(images))
	for k := range images {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		src := chase(images, key)
		if src.Layout != "" {
			continue
		}
		from, to := normalizedImage(key), normalizedImage(src.Image)
		rules = append(rules, rule(spb.PolicyAction_ALLOW, spb.MatchType_EXACT, to))
		if from != to {
			cv := rule(spb.PolicyAction_CONVERT, spb.MatchType_EXACT, from)
			cv.Updates = &spb.Update{Identifier: to}
			rules = append(rules, cv)
		}
	}
	ids := make([]string, 0, len(b.layouts))
	for id := range b.layouts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, d := range b.layouts[id] {
			r := rule(spb.PolicyAction_ALLOW, spb.MatchType_REGEX, "^oci-layout://[^@]+@"+regexp.QuoteMeta(d)+"$")
			r.Selector.Constraints = []*spb.AttrConstraint{{Key: pb.AttrOCILayoutStoreID, Value: id, Condition: spb.AttrMatch_EQUAL}}
			rules = append(rules, r)
		}
	}
	return rules
}

func rule(a spb.PolicyAction, m spb.MatchType, id string) *spb.Rule {
	return &spb.Rule{Action: a, Selector: &spb.Selector{Identifier: id, MatchType: m}}
}

// normalizedImage is BuildKit's identifier of an image ref (llb.Image
// normalizes as this does).
func normalizedImage(ref string) string {
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		ref = reference.TagNameOnly(named).String()
	}
	return "docker-image://" + ref
}

// policyProvider answers the daemon's policy requests with BuildKit's own
// engine over pols: DENY when one of them denies the source.
func policyProvider(pols []*spb.Policy) session.Attachable {
	engine := sourcepolicy.NewEngine(pols)
	return policysession.NewPolicyProvider(func(ctx context.Context, req *policysession.CheckPolicyRequest) (*policysession.DecisionResponse, *gwpb.ResolveSourceMetaRequest, error) {
		src := req.GetSource().GetSource()
		if src == nil {
			return nil, nil, errors.New("a policy request without a source")
		}
		if _, err := engine.Evaluate(ctx, src.CloneVT()); err != nil {
			if !errors.Is(err, sourcepolicy.ErrSourceDenied) {
				return nil, nil, err
			}
			return &policysession.DecisionResponse{Action: spb.PolicyAction_DENY, DenyMessages: []*policysession.DenyMessage{{Message: err.Error()}}}, nil, nil
		}
		return &policysession.DecisionResponse{Action: spb.PolicyAction_ALLOW}, nil, nil
	})
}

// SourceDeniedError is a source that the daemon's source policy denied in a
// step: an image, frontend or remote source outside the policy, which
// weld's static check could not see (an ONBUILD trigger of a base image, a
// frontend's own sources), or a source weld does not pass.
type SourceDeniedError struct {
	// Step is the step's label; Source the Dockerfile FILE:LINE BuildKit
	// blamed, if any.
	Step, Source string
	// Identifier is BuildKit's name of the source: docker-image://…,
	// https://…, git://…, local://…
	Identifier string
	// Err is the daemon's error.
	Err error
}

// Error implements error.
func (e *SourceDeniedError) Error() string {
	return fmt.Sprintf("the source policy denies %s: %v", e.Identifier, e.Err)
}

// Unwrap returns the daemon's error.
func (e *SourceDeniedError) Unwrap() error { return e.Err }

// deniedRE finds the source in the daemon's denials: the engine's
// ("source %q denied by policy") and the policy session's ("source %q not
// allowed by policy").
var deniedRE = regexp.MustCompile(`source "([^"]+)" (?:denied by policy|not allowed by policy)`)

// asDenied returns err as a *SourceDeniedError when the daemon's source
// policy denied a source, else err.
func asDenied(s *dag.Step, err error) error {
	var de *SourceDeniedError
	if err == nil || errors.As(err, &de) {
		return err
	}
	m := deniedRE.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	return &SourceDeniedError{Step: s.Label, Source: sourceLocation(s, err), Identifier: m[1], Err: err}
}
