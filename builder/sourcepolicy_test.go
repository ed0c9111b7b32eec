package builder

import (
	"context"
	"errors"
	"testing"

	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/sourcepolicy"
	spb "github.com/moby/buildkit/sourcepolicy/pb"
	"github.com/moby/buildkit/sourcepolicy/policysession"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/dag"
)

// denyImages denies every image but busybox, as allowed_bases: [busybox].
var denyImages = &spb.Policy{Version: 1, Rules: []*spb.Rule{
	rule(spb.PolicyAction_DENY, spb.MatchType_REGEX, "^docker-image://"),
	rule(spb.PolicyAction_ALLOW, spb.MatchType_EXACT, "docker-image://docker.io/library/busybox:latest"),
}}

// TestSessionPolicyOwnSources: what weld passes itself is allowed by exact
// identity, anything else of its kinds is denied, and a replaced ref is
// converted, with BuildKit's engine judging.
func TestSessionPolicyOwnSources(t *testing.T) {
	d := digest.FromString("layout").String()
	o, err := makeOptions([]Option{WithSourcePolicy(denyImages), WithImages(map[string]ImageSource{
		"node:1": {Image: "busybox"}, "golang:1": {Layout: "/l", Digest: digest.Digest(d)},
	})})
	if err != nil {
		t.Fatal(err)
	}
	b := &baseImages{layouts: map[string][]string{"weldbase0": {d}}}
	pol, provider := sessionPolicy(o, b, []string{"app"})
	if provider != nil {
		t.Errorf("one policy needs no session provider")
	}
	tests := []struct {
		id, store string
		allowed   bool
		converted string
	}{
		{id: "local://ctx-app", allowed: true},
		{id: "local://df-app", allowed: true},
		{id: "local://ctx-other"},
		{id: "oci-layout://docker.io/library/golang@" + d, store: "weldbase0", allowed: true},
		{id: "oci-layout://docker.io/library/golang@" + d, store: "weldbase9"},
		{id: "oci-layout://docker.io/library/golang@" + digest.FromString("other").String(), store: "weldbase0"},
		{id: "docker-image://docker.io/library/node:1", allowed: true, converted: "docker-image://docker.io/library/busybox:latest"},
		{id: "docker-image://docker.io/unvetted/x:1"},
		{id: "https://example.com/x", allowed: true}, // not this policy's to deny
	}
	engine := sourcepolicy.NewEngine([]*spb.Policy{pol})
	for _, tc := range tests {
		op := &pb.SourceOp{Identifier: tc.id}
		if tc.store != "" {
			op.Attrs = map[string]string{pb.AttrOCILayoutStoreID: tc.store}
		}
		_, err := engine.Evaluate(context.Background(), op)
		if (err == nil) != tc.allowed {
			t.Errorf("%s (store %q): allowed %v (%v), want %v", tc.id, tc.store, err == nil, err, tc.allowed)
		}
		if tc.converted != "" && op.Identifier != tc.converted {
			t.Errorf("%s converted to %s, want %s", tc.id, op.Identifier, tc.converted)
		}
	}
	if o, _ := makeOptions(nil); o != nil {
		if p, a := sessionPolicy(o, b, []string{"app"}); p != nil || a != nil {
			t.Errorf("without WithSourcePolicy, a session carries no policy")
		}
	}
}

// TestPolicyProviderDeniesWhatAnyDenies: the policies after the first are
// answered by weld's session with BuildKit's engine.
func TestPolicyProviderDeniesWhatAnyDenies(t *testing.T) {
	pp := policyProvider([]*spb.Policy{denyImages}).(*policysession.PolicyProvider)
	for id, want := range map[string]spb.PolicyAction{
		"docker-image://docker.io/library/busybox:latest": spb.PolicyAction_ALLOW,
		"docker-image://docker.io/unvetted/x:1":           spb.PolicyAction_DENY,
	} {
		resp, err := pp.CheckPolicy(context.Background(), &policysession.CheckPolicyRequest{Source: &gwpb.ResolveSourceMetaResponse{Source: &pb.SourceOp{Identifier: id}}})
		if err != nil || resp.GetDecision().GetAction() != want {
			t.Errorf("CheckPolicy(%s) = %v, %v; want %v", id, resp, err, want)
		}
	}
}

// TestSetFrontend: a step builds with BuildKit's built-in Dockerfile
// frontend unless WithFrontends names its image, which no build arg changes.
func TestSetFrontend(t *testing.T) {
	o, _ := makeOptions([]Option{WithFrontends(map[string]string{"a": "docker/dockerfile:1.7"})})
	r := &run{Builder: &Builder{o: o}}
	for _, tc := range []struct{ step, cmdline, syntax string }{{"a", "", "docker/dockerfile:1.7"}, {"b", "set", ""}} {
		attrs := map[string]string{"build-arg:BUILDKIT_SYNTAX": "unvetted/f:1"}
		r.setFrontend(&dag.Step{Label: tc.step}, attrs)
		_, hasCmdline := attrs["cmdline"]
		if hasCmdline != (tc.cmdline == "set") || attrs["build-arg:BUILDKIT_SYNTAX"] != tc.syntax {
			t.Errorf("step %s: attrs %v, want cmdline set: %v and BUILDKIT_SYNTAX %q", tc.step, attrs, tc.cmdline == "set", tc.syntax)
		}
	}
}

// TestAsDenied: the daemon's denials, from its engine and from a policy
// session, become SourceDeniedErrors naming the source.
func TestAsDenied(t *testing.T) {
	s := &dag.Step{Label: "app", Dockerfile: "/w/Dockerfile"}
	for msg, want := range map[string]string{
		`could not resolve image due to policy: source "docker-image://docker.io/unvetted/x:1" denied by policy`: "docker-image://docker.io/unvetted/x:1",
		`source "https://evil/x" not allowed by policy: action DENY`:                                             "https://evil/x",
		`failed to resolve source metadata`:                                                                      "",
	} {
		var de *SourceDeniedError
		if got := errors.As(asDenied(s, errors.New(msg)), &de); got != (want != "") || got && (de.Identifier != want || de.Step != "app") {
			t.Errorf("asDenied(%q) = %+v, want identifier %q", msg, de, want)
		}
	}
}
