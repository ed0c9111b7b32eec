package builder

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

var testDigest = digest.Digest("sha256:" + strings.Repeat("ab", 32))

func mustPolicy(t *testing.T, yml string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("weld.policy.yml", []byte(yml))
	if err != nil {
		t.Fatalf("policy.Parse(%q): %v", yml, err)
	}
	return p
}

func TestPolicyImagesComposesWithTheCallers(t *testing.T) {
	layout := ImageSource{Layout: "/layouts/busybox", Digest: testDigest}
	for _, tc := range []struct {
		name, policy string
		uses         []string // FROMs of step app
		flags        map[string]ImageSource
		want         map[string]ImageSource
		events       []string
	}{
		{name: "a ref replacement", policy: "replace:\n  node:10.4.8: busybox:1.36\n", uses: []string{"node:10.4.8"},
			want:   map[string]ImageSource{"node:10.4.8": {Image: "busybox:1.36"}},
			events: []string{"info app Dockerfile:1: step app: policy weld.policy.yml:2:3 replaces base node:10.4.8 with busybox:1.36"}},
		{name: "the replacement built from the caller's layout", policy: "replace:\n  node:10.4.8: busybox:1.36\n", uses: []string{"node:10.4.8"},
			flags: map[string]ImageSource{"busybox:1.36": layout},
			want: map[string]ImageSource{"busybox:1.36": layout,
				"node:10.4.8": {Layout: layout.Layout, Digest: testDigest, Name: "busybox:1.36"}},
			events: []string{"info app Dockerfile:1: step app: policy weld.policy.yml:2:3 replaces base node:10.4.8 with busybox:1.36"}},
		{name: "the policy wins over the caller", policy: "replace:\n  node:10.4.8: busybox:1.36\n",
			flags:  map[string]ImageSource{"node:10.4.8": {Image: "alpine"}},
			want:   map[string]ImageSource{"node:10.4.8": {Image: "busybox:1.36"}},
			events: []string{"warning  weld.policy.yml:2:3 replaces node:10.4.8; the policy wins over --image node:10.4.8"}},
		{name: "an OCI layout", policy: "replace:\n  docker.io/library/node:10.4.8: oci-layout:///l@" + testDigest.String() + "\n",
			want: map[string]ImageSource{"node:10.4.8": {Layout: "/l", Digest: testDigest}}},
		{name: "no replacement", policy: "allowed_bases: [busybox]\n", flags: map[string]ImageSource{"busybox": layout},
			want: map[string]ImageSource{"busybox": layout}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPolicy(t, tc.policy)
			var uses []policy.BaseUse
			for _, ref := range tc.uses {
				u := policy.BaseUse{Step: "app", Pos: dag.Pos{File: "Dockerfile", Line: 1}, Ref: ref}
				if r, ok := p.Replacement(ref); ok {
					u.Replacement = &r
				}
				uses = append(uses, u)
			}
			before := maps.Clone(tc.flags)
			got, events, err := policyImages(p, uses, tc.flags)
			if err != nil {
				t.Fatalf("policyImages: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("policyImages images (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.events, eventLines(events)); diff != "" {
				t.Errorf("policyImages events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tc.flags); diff != "" {
				t.Errorf("policyImages changed the caller's map (-before +after):\n%s", diff)
			}
		})
	}
}

func eventLines(events []Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, string(e.Type)+" "+e.Step+" "+e.Message)
	}
	return out
}

func TestImageCycle(t *testing.T) {
	layout := ImageSource{Layout: "/l", Digest: testDigest}
	for _, tc := range []struct {
		name   string
		images map[string]ImageSource
		cycle  string // in the error; "" for none
	}{
		{"none", map[string]ImageSource{"a": {Image: "b"}, "b": layout}, ""},
		{"a ref not replaced", map[string]ImageSource{"a": {Image: "b"}}, ""},
		{"to itself", map[string]ImageSource{"a": {Image: "docker.io/library/a:latest"}}, "a leads back to itself through a"},
		{"two", map[string]ImageSource{"a": {Image: "b"}, "b": {Image: "a"}}, "a leads back to itself through a"},
		{"three, beside a good chain", map[string]ImageSource{"x": {Image: "y"}, "y": layout, "c": {Image: "d"}, "d": {Image: "e"}, "e": {Image: "c"}}, "c leads back to itself through c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := imageCycle(tc.images)
			switch {
			case tc.cycle == "" && err != nil:
				t.Errorf("imageCycle = %v, want none", err)
			case tc.cycle != "" && (err == nil || !strings.Contains(err.Error(), tc.cycle) || !errors.Is(err, ErrInvalid)):
				t.Errorf("imageCycle = %v, want ErrInvalid naming %q", err, tc.cycle)
			}
		})
	}
}
