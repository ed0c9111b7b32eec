package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/sign"
)

// TestSignedBasesPerPattern: require_signed_bases with one rule per
// pattern, the first rule that matches a base decides: the vendor's
// layout must be signed by the vendor's key, and a key the catch-all rule
// trusts (ours) does not pass it; a rule with several keys takes any of
// them; every refused FROM is reported, each naming its own rule.
func TestSignedBasesPerPattern(t *testing.T) {
	pd := t.TempDir()
	signers := map[string]*sign.Signer{}
	for _, name := range []string{"vendor", "ours", "spare"} {
		s, _ := testKey(t, name+".pub")
		pubPEM, err := s.PublicKeyPEM()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pd, name+".pub"), pubPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		signers[name] = s
	}
	p, err := policy.Parse(filepath.Join(pd, "weld.policy.yml"), []byte("require_signed_bases:\n"+
		"  - {pattern: \"oci-layout://vendor\", key: vendor.pub}\n"+
		"  - {pattern: \"oci-layout://**\", keys: [ours.pub, spare.pub]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	vendorUse := policy.BaseUse{Step: "app", Pos: dag.Pos{File: "Dockerfile", Line: 1}, Ref: "vendorbase"}
	oursUse := policy.BaseUse{Step: "tool", Pos: dag.Pos{File: "Dockerfile.tool", Line: 3}, Ref: "ourbase"}
	vendorRefused := "Dockerfile:1: step app: base vendorbase (built from oci-layout://" + filepath.Join(pd, "vendor") + ") is refused by " + p.File + ":2:5 (require_signed_bases: oci-layout://vendor): "
	oursRefused := "Dockerfile.tool:3: step tool: base ourbase (built from oci-layout://"
	for _, tc := range []struct {
		name         string
		vendor, ours string // the key each base is signed with
		want         []string
	}{
		{"each by its rule's key", "vendor", "ours", nil},
		{"another key of the rule", "vendor", "spare", nil},
		{"the catch-all's key does not pass the vendor's rule", "ours", "ours", []string{vendorRefused, "for key vendor.pub"}},
		{"the vendor's key does not pass the catch-all", "vendor", "vendor", []string{oursRefused, ":3:5 (require_signed_bases: oci-layout://**)"}},
		{"both refused", "spare", "vendor", []string{vendorRefused, oursRefused}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fv, fo := newFixture(t, "vendor layer"), newFixture(t, "our layer")
			signLayout(t, fv, signers[tc.vendor], fv.root)
			signLayout(t, fo, signers[tc.ours], fo.root)
			link := filepath.Join(pd, "vendor")
			_ = os.Remove(link)
			if err := os.Symlink(fv.dir, link); err != nil {
				t.Fatal(err)
			}
			o := &options{policy: p, images: map[string]ImageSource{
				"vendorbase": {Layout: link, Digest: fv.root.Digest},
				"ourbase":    {Layout: fo.dir, Digest: fo.root.Digest},
			}}
			err := checkSignedBases(context.Background(), o, []policy.BaseUse{vendorUse, oursUse})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("checkSignedBases = %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, policy.ErrBaseRefused) {
				t.Fatalf("checkSignedBases = %v, want a refusal", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("checkSignedBases = %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}
