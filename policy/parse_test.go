package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/weld-build/weld/dag"
)

func TestParse(t *testing.T) {
	text := `# ops own this file
allowed_bases:
  - docker.io/library/alpine:*
  - registry.local/**
  - golang:1.26
replace:
  node:10.4.8: node:10.4.9
  alpine:3.20: oci-layout://images/alpine@sha256:` + strings.Repeat("a", 64) + `
pin_digests: true
rules:
  RootUser: error
  JSONArgsRecommended: off
  UnpinnedBase: warning
gates:
  - run: "trivy image --input {{oci_dir}}"
`
	p, err := Parse("ops/weld.policy.yml", []byte(text))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := &Policy{
		File: "ops/weld.policy.yml", HasAllowlist: true, AllowedPos: dag.Pos{File: "ops/weld.policy.yml", Line: 3, Col: 3},
		AllowedBases: []Pattern{
			{Text: "docker.io/library/alpine:*", Norm: "docker.io/library/alpine:*", Pos: dag.Pos{File: "ops/weld.policy.yml", Line: 3, Col: 5}},
			{Text: "registry.local/**", Norm: "registry.local/**", Pos: dag.Pos{File: "ops/weld.policy.yml", Line: 4, Col: 5}},
			{Text: "golang:1.26", Norm: "docker.io/library/golang:1.26", Pos: dag.Pos{File: "ops/weld.policy.yml", Line: 5, Col: 5}},
		},
		Replace: []Replacement{
			{From: "node:10.4.8", Key: "docker.io/library/node:10.4.8", To: "node:10.4.9", Pos: dag.Pos{File: "ops/weld.policy.yml", Line: 7, Col: 3}},
			{From: "alpine:3.20", Key: "docker.io/library/alpine:3.20", To: "oci-layout://ops/images/alpine@sha256:" + strings.Repeat("a", 64), Pos: dag.Pos{File: "ops/weld.policy.yml", Line: 8, Col: 3}},
		},
		PinDigests: true,
		Rules: map[string]Rule{
			"RootUser":            {Severity: SeverityError, Pos: dag.Pos{File: "ops/weld.policy.yml", Line: 11, Col: 3}},
			"JSONArgsRecommended": {Severity: SeverityOff, Pos: dag.Pos{File: "ops/weld.policy.yml", Line: 12, Col: 3}},
			"UnpinnedBase":        {Severity: SeverityWarning, Pos: dag.Pos{File: "ops/weld.policy.yml", Line: 13, Col: 3}},
		},
		Gates: []Gate{{Run: "trivy image --input {{oci_dir}}", Pos: dag.Pos{File: "ops/weld.policy.yml", Line: 15, Col: 10}}},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
	if got := p.Gates[0].Command("/tmp/oci/app"); got != "trivy image --input /tmp/oci/app" {
		t.Errorf("Gate.Command = %q", got)
	}
	if got := p.Replace[0].Source(); got != "node:10.4.8=docker-image://node:10.4.9" {
		t.Errorf("Replacement.Source = %q", got)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, text := range []string{"", "# nothing\n", "---\n"} {
		p, err := Parse("p.yml", []byte(text))
		if err != nil || p.HasAllowlist || !p.Allowed("anything:1") {
			t.Errorf("Parse(%q) = %+v, %v; want an empty policy that allows every base", text, p, err)
		}
	}
	p, _ := Parse("p.yml", []byte("allowed_bases: []\n"))
	if p.Allowed("alpine") || !p.Allowed("scratch") {
		t.Errorf("allowed_bases: [] must allow only scratch")
	}
}

// TestParseErrors: each bad input is reported at its exact line:col.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown key", "allowed_base: [alpine]\n", "p.yml:1:1: unknown key \"allowed_base\" in the policy file; did you mean \"allowed_bases\"?"},
		{"not a map", "- alpine\n", "p.yml:1:1: the policy file must be a map, not a list"},
		{"allowed_bases not a list", "allowed_bases: alpine\n", "p.yml:1:16: allowed_bases must be a list, not the string \"alpine\"; write one \"- item\" per line"},
		{"bad pattern", "allowed_bases:\n  - alpine\n  - Alpine:3\n", "p.yml:3:5: allowed_bases[1] \"Alpine:3\": invalid reference format: repository name (library/Alpine) must be lowercase"},
		{"pattern not a string", "allowed_bases:\n  - {a: b}\n", "p.yml:2:5: allowed_bases[0] must be a string, not a map"},
		{"replace not a ref", "replace:\n  'alpine:3.20': 'UPPER'\n", "p.yml:2:18: replace: alpine:3.20: \"UPPER\" is not an image reference (invalid reference format: repository name (library/UPPER) must be lowercase)"},
		{"replace bad scheme", "replace:\n  alpine: http://x\n", "p.yml:2:11: replace: alpine: \"http://x\": use an image ref, docker-image://REF or oci-layout://DIR"},
		{"replace bad digest", "replace:\n  alpine: oci-layout://d@sha256:abc\n", "p.yml:2:11: replace: alpine: \"oci-layout://d@sha256:abc\": \"sha256:abc\" is not a sha256 digest"},
		{"replace same image twice", "replace:\n  alpine: a\n  docker.io/library/alpine:latest: b\n", "p.yml:3:3: replace: \"docker.io/library/alpine:latest\" is the same image as \"alpine\" (line 2); keep one"},
		{"replace bad key", "replace:\n  'a b': c\n", "p.yml:2:3: replace: \"a b\" is not an image reference"},
		{"pin_digests not a bool", "pin_digests: yes please\n", "p.yml:1:14: pin_digests must be true or false, not the string \"yes please\""},
		{"unknown rule", "rules:\n  RootUsr: error\n", "p.yml:2:3: rules: unknown check \"RootUsr\"; did you mean \"RootUser\"?"},
		{"bad severity", "rules:\n  RootUser: fatal\n", "p.yml:2:13: rules: RootUser must be error, warning or off, not the string \"fatal\""},
		{"gate without oci_dir", "gates:\n  - run: trivy image\n", "p.yml:2:10: gates[0].run \"trivy image\" does not use {{oci_dir}}"},
		{"gate without run", "gates:\n  - {cmd: x}\n", "p.yml:2:6: unknown key \"cmd\" in gates[0]"},
		{"gate not a list", "gates: {run: x}\n", "p.yml:1:8: gates must be a list, not a map"},
		{"duplicate key", "pin_digests: true\npin_digests: false\n", "p.yml:2:1: duplicate key \"pin_digests\" in the policy file (first at line 1); remove one"},
		{"yaml syntax", "allowed_bases: [alpine\nrules: {}\n", "p.yml:2:1: YAML syntax: did not find expected ',' or ']'"},
		{"tab indent", "rules:\n\tRootUser: error\n", "p.yml:2:1: YAML syntax: found character that cannot start any token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yml", []byte(tc.text))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Parse(%q) = %v, want an error starting %q", tc.text, err, tc.want)
			}
			if !errors.Is(err, dag.ErrInvalid) {
				t.Errorf("Parse(%q) error does not wrap dag.ErrInvalid (exit 2)", tc.text)
			}
		})
	}
}

func TestParseAllErrors(t *testing.T) {
	_, err := Parse("p.yml", []byte("rules:\n  Nope: error\n  RootUser: loud\ngates: []\nextra: 1\n"))
	var list dag.ErrorList
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("Parse = %v, want 3 errors in a dag.ErrorList", err)
	}
}
