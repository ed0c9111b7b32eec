package policy

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/weld-build/weld/dag"
)

// TestPolicyAffectedByBase: the steps built on a base, and through the
// policy's replace those whose FROM it swaps for that base; a layout
// replacement and a nil policy widen nothing.
func TestPolicyAffectedByBase(t *testing.T) {
	b, err := dag.Load(filepath.Join("..", "dag", "testdata", "affected", "build.yml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := dag.NewPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := Parse("weld.policy.yml", []byte("replace:\n  golang:1.26: registry.example/go:1\n  alpine:3.21: oci-layout:///x\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pol  *Policy
		ref  string
		want []string
	}{
		{"the replacement", pol, "registry.example/go:1", []string{"compile", "runtime"}},
		{"the base as written", pol, "alpine:3.20", []string{"base", "runtime"}},
		{"no policy", nil, "registry.example/go:1", nil},
		{"a layout replaces nothing by ref", pol, "oci-layout:///x", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.pol.AffectedByBase(p, tc.ref)
			if tc.ref == "oci-layout:///x" {
				if err == nil && len(got) > 0 {
					t.Errorf("AffectedByBase(%q) = %v, want nothing", tc.ref, got)
				}
				return
			}
			if err != nil || !cmp.Equal(got, tc.want, cmpopts.EquateEmpty()) {
				t.Errorf("AffectedByBase(%q) = %v, %v; want %v", tc.ref, got, err, tc.want)
			}
		})
	}
}
