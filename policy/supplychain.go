package policy

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"gopkg.in/yaml.v3"

	"github.com/weld-build/weld/dag"
)

// The supply-chain keys of a policy file:
//
//	sign: {key: cosign.key}             # sign every published image
//	require_signed_bases:               # bases that must carry a signature
//	  - {pattern: "registry.example/*", key: base.pub}
//	  - {pattern: "oci-layout://*", keys: [a.pub, b.pub]}
//	banned_bases:                       # refs or digests weld verify refuses
//	  - registry.example/base:1.2
//	  - sha256:0123…
//
// Key files are relative to the policy file's folder; Parse does not read
// them (the builder and weld verify do, before anything runs).

// SignRule is the policy's sign: every published image is signed with Key.
type SignRule struct {
	// Key is the private key file, resolved against the policy's folder.
	Key string
	// Pos is where the key is written.
	Pos dag.Pos
}

// SignedBaseRule is one require_signed_bases entry: a base matching
// Pattern must carry a signature that one of Keys verifies.
type SignedBaseRule struct {
	// Pattern is the base pattern (as in allowed_bases; oci-layout://DIR
	// patterns match OCI-layout bases by folder, relative to the policy
	// file's folder; oci-layout://** matches every one).
	Pattern Pattern
	// Keys are the public key files, resolved against the policy's folder.
	Keys []string
	// Pos is where the entry is written.
	Pos dag.Pos
}

// BannedBase is one banned_bases entry: an image ref (normalized, matched
// as a pattern) or a sha256 digest.
type BannedBase struct {
	// Text is the entry as written.
	Text string
	// Pattern is the ref as a pattern; empty for a digest.
	Pattern Pattern
	// Digest is the banned digest; empty for a ref.
	Digest string
	// Pos is where the entry is written.
	Pos dag.Pos
}

// Matches reports whether a base named name (a normalized ref, or
// oci-layout://DIR) with digest dgst is banned by b.
func (b BannedBase) Matches(name, dgst string) bool {
	if b.Digest != "" {
		return dgst == b.Digest || strings.HasSuffix(name, "@"+b.Digest)
	}
	n := strings.SplitN(name, "@", 2)[0]
	return b.Pattern.Match(Normalize(n)) || b.Pattern.Match(n)
}

// SignedBaseRule returns the first require_signed_bases rule matching the
// base named name (a ref, or oci-layout://DIR with DIR absolute; layout
// patterns are made absolute to match it).
func (p *Policy) SignedBaseRule(name string) (SignedBaseRule, bool) {
	for _, r := range p.SignedBases {
		pat := r.Pattern
		if dir, ok := strings.CutPrefix(pat.Norm, layoutScheme); ok && !filepath.IsAbs(dir) && !strings.HasPrefix(dir, "*") {
			if abs, err := filepath.Abs(dir); err == nil {
				pat.Norm = layoutScheme + abs
			}
		}
		if pat.Match(Normalize(name)) || pat.Match(name) {
			return r, true
		}
	}
	return SignedBaseRule{}, false
}

const layoutScheme = "oci-layout://"

// supplyChain decodes sign:, require_signed_bases: and banned_bases:.
func (d *decoder) supplyChain(p *Policy, kv pair) {
	dir := filepath.Dir(d.file)
	switch kv.key.Value {
	case "sign":
		for _, e := range d.mapping(kv.val, "sign", []string{"key"}) {
			if k, ok := d.str(e.val, "sign.key"); ok {
				p.Sign = &SignRule{Key: resolve(dir, k), Pos: d.pos(e.val)}
			}
		}
		if p.Sign == nil && kv.val.Kind == yaml.MappingNode {
			d.errorf(kv.val, "sign has no key: write sign: {key: cosign.key}")
		}
	case "require_signed_bases":
		p.SignedBases = d.signedBases(kv.val, dir)
	case "banned_bases":
		p.BannedBases = d.bannedBases(kv.val)
	}
}

func (d *decoder) signedBases(n *yaml.Node, dir string) []SignedBaseRule {
	var out []SignedBaseRule
	for i, item := range d.list(n, "require_signed_bases") {
		what := fmt.Sprintf("require_signed_bases[%d]", i)
		r := SignedBaseRule{Pos: d.pos(item)}
		for _, kv := range d.mapping(item, what, []string{"pattern", "key", "keys"}) {
			switch kv.key.Value {
			case "pattern":
				if s, ok := d.str(kv.val, what+".pattern"); ok {
					r.Pattern = d.basePattern(kv.val, what, s)
				}
			case "key":
				if s, ok := d.str(kv.val, what+".key"); ok {
					r.Keys = append(r.Keys, resolve(dir, s))
				}
			case "keys":
				for j, k := range d.list(kv.val, what+".keys") {
					if s, ok := d.str(k, fmt.Sprintf("%s.keys[%d]", what, j)); ok {
						r.Keys = append(r.Keys, resolve(dir, s))
					}
				}
			}
		}
		if item.Kind != yaml.MappingNode {
			continue
		}
		if r.Pattern.Text == "" && !hasKey(item, "pattern") {
			d.errorf(item, "%s has no pattern: write {pattern: \"registry.example/*\", key: base.pub}", what)
		}
		if len(r.Keys) == 0 && !hasKey(item, "key") && !hasKey(item, "keys") {
			d.errorf(item, "%s has no key: write key: FILE.pub or keys: [A.pub, B.pub]", what)
		}
		if r.Pattern.Text != "" && len(r.Keys) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// basePattern is an image pattern, or an oci-layout://DIR pattern whose
// folder is resolved against the policy's folder.
func (d *decoder) basePattern(n *yaml.Node, what, s string) Pattern {
	if dirPart, ok := strings.CutPrefix(s, "oci-layout://"); ok {
		if dirPart == "" {
			d.errorf(n, "%s.pattern %q names no folder", what, s)
			return Pattern{}
		}
		if !strings.HasPrefix(dirPart, "*") { // oci-layout://** is every layout
			dirPart = resolve(filepath.Dir(d.file), dirPart)
		}
		return Pattern{Text: s, Norm: "oci-layout://" + dirPart, Pos: d.pos(n)}
	}
	norm, err := normalizePattern(s)
	if err != nil {
		d.errorf(n, "%s.pattern %q: %v", what, s, err)
		return Pattern{}
	}
	return Pattern{Text: s, Norm: norm, Pos: d.pos(n)}
}

func (d *decoder) bannedBases(n *yaml.Node) []BannedBase {
	var out []BannedBase
	for i, item := range d.list(n, "banned_bases") {
		what := fmt.Sprintf("banned_bases[%d]", i)
		s, ok := d.str(item, what)
		if !ok {
			continue
		}
		b := BannedBase{Text: s, Pos: d.pos(item)}
		switch {
		case digestRE.MatchString(s):
			b.Digest = s
		case strings.HasPrefix(s, "sha256:"):
			d.errorf(item, "%s %q is not a sha256 digest (sha256: and 64 hex digits)", what, s)
			continue
		default:
			pat := s
			if untagged(s) {
				pat += ":*" // a ref without a tag bans every tag
			}
			norm, err := normalizePattern(pat)
			if err != nil {
				d.errorf(item, "%s %q: %v; write an image ref or a sha256 digest", what, s, err)
				continue
			}
			b.Pattern = Pattern{Text: s, Norm: norm, Pos: b.Pos}
		}
		out = append(out, b)
	}
	return out
}

// untagged says whether ref names neither a tag nor a digest.
func untagged(ref string) bool {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false
	}
	_, tagged := named.(reference.Tagged)
	_, digested := named.(reference.Digested)
	return !tagged && !digested
}

func resolve(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
