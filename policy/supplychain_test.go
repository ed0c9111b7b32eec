package policy

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weld-build/weld/dag"
)

func TestParseSupplyChain(t *testing.T) {
	dgst := "sha256:" + strings.Repeat("b", 64)
	text := `sign: {key: keys/cosign.key}
require_signed_bases:
  - {pattern: "registry.local/base:*", key: base.pub}
  - pattern: oci-layout://images/*
    keys: [a.pub, /etc/weld/b.pub]
  - {pattern: "oci-layout://**", key: any.pub}
banned_bases:
  - registry.local/base:1.0
  - busybox
  - ` + dgst + `
`
	p, err := Parse("ops/weld.policy.yml", []byte(text))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	if p.Sign == nil || p.Sign.Key != "ops/keys/cosign.key" || p.Sign.Pos.Line != 1 {
		t.Errorf("Sign = %+v, want ops/keys/cosign.key at line 1", p.Sign)
	}
	if len(p.SignedBases) != 3 {
		t.Fatalf("SignedBases = %+v, want 2", p.SignedBases)
	}
	if got := p.SignedBases[1].Keys; len(got) != 2 || got[0] != "ops/a.pub" || got[1] != "/etc/weld/b.pub" {
		t.Errorf("SignedBases[1].Keys = %v", got)
	}
	abs, err := filepath.Abs("ops/images/busybox")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		base string
		rule int
	}{{"registry.local/base:2.0", 0}, {"oci-layout://" + abs, 1}, {"oci-layout:///anywhere/x", 2}, {"registry.local/other:1", -1}, {"alpine:3", -1}} {
		r, ok := p.SignedBaseRule(tc.base)
		got := -1
		for i, sb := range p.SignedBases {
			if ok && sb.Pos == r.Pos {
				got = i
			}
		}
		if got != tc.rule {
			t.Errorf("SignedBaseRule(%q) = rule %d (%v), want %d", tc.base, got, ok, tc.rule)
		}
	}
	banned := func(name, d string) bool {
		for _, b := range p.BannedBases {
			if b.Matches(name, d) {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name, digest string
		want         bool
	}{
		{"registry.local/base:1.0", "", true},
		{"registry.local/base:1.0@" + dgst, "", true},
		{"registry.local/base:1.1", "", false},
		{"registry.local/other:1", dgst, true},
		{"registry.local/other:1", "sha256:" + strings.Repeat("c", 64), false},
		{"busybox", "", true},
		{"docker.io/library/busybox:1.36", "", true},
		{"busyboxy:1", "", false},
	} {
		if got := banned(tc.name, tc.digest); got != tc.want {
			t.Errorf("banned(%q, %q) = %v, want %v", tc.name, tc.digest, got, tc.want)
		}
	}
}

func TestParseSupplyChainErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"sign: {}\n", "weld.policy.yml:1:7: sign has no key"},
		{"sign: {key: a, password: x}\n", `weld.policy.yml:1:16: unknown key "password" in sign`},
		{"sign: cosign.key\n", "weld.policy.yml:1:7: sign must be a map"},
		{"require_signed_bases:\n  - {pattern: x/*}\n", "weld.policy.yml:2:5: require_signed_bases[0] has no key"},
		{"require_signed_bases:\n  - {key: a.pub}\n", "weld.policy.yml:2:5: require_signed_bases[0] has no pattern"},
		{"require_signed_bases:\n  - {pattern: x, kee: a.pub}\n", `unknown key "kee" in require_signed_bases[0]`},
		{"require_signed_bases: {pattern: x, key: y}\n", "require_signed_bases must be a list"},
		{"banned_bases:\n  - sha256:abc\n", "weld.policy.yml:2:5: banned_bases[0] \"sha256:abc\" is not a sha256 digest"},
		{"banned_bases:\n  - \"UPPER:x\"\n", "weld.policy.yml:2:5: banned_bases[0]"},
	} {
		_, err := Parse("weld.policy.yml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.text, err, tc.want)
		}
		if err != nil && !errors.Is(err, dag.ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want dag.ErrInvalid", tc.text, err)
		}
	}
}

func TestIntersectSupplyChainIsOperators(t *testing.T) {
	op, _ := Parse("op.yml", []byte("sign: {key: op.key}\n"))
	proj, _ := Parse("p.yml", []byte("sign: {key: /etc/shadow}\nrequire_signed_bases: [{pattern: '**', key: /x.pub}]\nbanned_bases: [a:1]\n"))
	got := Intersect(op, proj)
	if got.Sign == nil || got.Sign.Key != "op.key" || len(got.SignedBases) != 0 || len(got.BannedBases) != 0 {
		t.Errorf("Intersect = sign %+v, signed bases %v, banned %v; want the operator's alone", got.Sign, got.SignedBases, got.BannedBases)
	}
}
