package builder

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

func TestPinBases(t *testing.T) {
	d := digest.Digest("sha256:" + strings.Repeat("12", 32))
	layout := ImageSource{Layout: "/l", Digest: testDigest}
	use := func(step, ref string, line int) policy.BaseUse {
		return policy.BaseUse{Step: step, Pos: dag.Pos{File: "Dockerfile", Line: line}, Ref: ref}
	}
	for _, tc := range []struct {
		name     string
		pin      bool
		uses     []policy.BaseUse
		images   map[string]ImageSource
		pins     map[string][]BasePin
		pinned   map[string]ImageSource
		resolved []string
		err      string
	}{
		{name: "an OCI layout's digest is known", uses: []policy.BaseUse{use("a", "busybox", 1)}, images: map[string]ImageSource{"busybox": layout},
			pins:   map[string][]BasePin{"a": {{Ref: "busybox", From: "Dockerfile:1", Source: layout.String(), Digest: testDigest.String()}}},
			pinned: map[string]ImageSource{}},
		{name: "a ref's own digest", pin: true, uses: []policy.BaseUse{use("a", "alpine@"+d.String(), 2)},
			pins:   map[string][]BasePin{"a": {{Ref: "alpine@" + d.String(), From: "Dockerfile:2", Digest: d.String()}}},
			pinned: map[string]ImageSource{}},
		{name: "no pin_digests: unknown", uses: []policy.BaseUse{use("a", "alpine:3", 1)},
			pins: map[string][]BasePin{"a": {{Ref: "alpine:3", From: "Dockerfile:1"}}}, pinned: map[string]ImageSource{}},
		{name: "pin_digests resolves once per ref", pin: true, uses: []policy.BaseUse{use("a", "alpine:3", 1), use("b", "alpine:3", 4)},
			pins:     map[string][]BasePin{"a": {{Ref: "alpine:3", From: "Dockerfile:1", Digest: d.String()}}, "b": {{Ref: "alpine:3", From: "Dockerfile:4", Digest: d.String()}}},
			pinned:   map[string]ImageSource{"alpine:3": {Image: "docker.io/library/alpine:3@" + d.String()}},
			resolved: []string{"alpine:3"}},
		{name: "pin_digests resolves the replacement", pin: true, uses: []policy.BaseUse{use("a", "node:10", 1)}, images: map[string]ImageSource{"node:10": {Image: "alpine:3"}},
			pins:     map[string][]BasePin{"a": {{Ref: "node:10", From: "Dockerfile:1", Source: "docker-image://alpine:3", Digest: d.String()}}},
			pinned:   map[string]ImageSource{"node:10": {Image: "docker.io/library/alpine:3@" + d.String()}},
			resolved: []string{"alpine:3"}},
		{name: "a base the daemon cannot resolve", pin: true, uses: []policy.BaseUse{use("a", "nosuch:1", 3)},
			err: "Dockerfile:3: step a: pin_digests (weld.policy.yml): resolving nosuch:1: nosuch:1: not found", resolved: []string{"nosuch:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &policySolver{digests: map[string]digest.Digest{"alpine:3": d}}
			o, _ := makeOptions([]Option{WithImages(tc.images), WithPolicy(&policy.Policy{File: "weld.policy.yml", PinDigests: tc.pin})})
			pins, pinned, err := pinBases(context.Background(), s, o, tc.uses)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("pinBases error = %v, want %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.pins, pins); diff != "" {
				t.Errorf("pins (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.pinned, pinned); diff != "" {
				t.Errorf("pinned images (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.resolved, s.resolved); diff != "" {
				t.Errorf("resolved (-want +got):\n%s", diff)
			}
		})
	}
}
