package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/sourcepolicy"

	"github.com/weld-build/weld/dag"
)

// refsInput: one step per Dockerfile, plus parent (named org/parent), which
// app builds FROM.
func refsInput(t *testing.T, files map[string]string, args map[string]string) Input {
	t.Helper()
	dir := t.TempDir()
	b := &dag.Build{File: "build.yml", WorkDir: dir}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		s := &dag.Step{Label: name, Dockerfile: filepath.Join(dir, name), Pos: dag.Pos{File: "build.yml", Line: 3, Col: 5}}
		if name == "parent" {
			s.Name = "org/parent"
		}
		if name == "app" {
			s.FromSteps, s.Args = []string{"parent"}, args
		}
		b.Steps = append(b.Steps, s)
	}
	return Input{Build: b}
}

func TestCheckReferences(t *testing.T) {
	const bases = "allowed_bases: [busybox]\n"
	tests := []struct {
		name, policy, dockerfile string
		args                     map[string]string
		want                     []string
	}{
		{"COPY --from an image", bases, "FROM busybox\nCOPY --from=unvetted/tools:1 /x /x\n", nil, []string{
			"app:2: step app: image unvetted/tools:1 (COPY --from) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"}},
		{"COPY --from a stage, an index, a FROM step", bases, "FROM busybox AS b\nFROM org/parent\nCOPY --from=b /x /x\nCOPY --from=0 /x /y\nCOPY --from=org/parent /x /z\n", nil, nil},
		{"COPY --from an allowed image", bases, "FROM busybox\nCOPY --from=busybox /x /x\n", nil, nil},
		{"RUN --mount from=", bases, "FROM busybox\nRUN --mount=type=cache,target=/c --mount=type=bind,from=unvetted/mnt:1,target=/m true\n", nil, []string{
			"app:2: step app: image unvetted/mnt:1 (RUN --mount from=) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"}},
		{"ONBUILD", bases, "FROM busybox\nONBUILD RUN --mount=from=unvetted/m:1,target=/m true\n", nil, []string{
			"app:2: step app: image unvetted/m:1 (ONBUILD RUN --mount from=) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"}},
		{"replace makes a COPY --from allowed", bases + "replace:\n  unvetted/tools:1: busybox\n", "FROM busybox\nCOPY --from=unvetted/tools:1 /x /x\n", nil, nil},
		{"replace is checked after", bases + "replace:\n  busybox:1: unvetted/b:1\n", "FROM busybox\nCOPY --from=busybox:1 /x /x\n", nil, []string{
			"app:2: step app: image unvetted/b:1 (replacing busybox:1) (COPY --from) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"}},
		{"no allowlist allows images", "", "FROM busybox\nCOPY --from=unvetted/tools:1 /x /x\n", nil, nil},
		{"# syntax= by default", "", "# syntax=docker/dockerfile:1\nFROM busybox\n", nil, []string{
			"app:1: step app: frontend docker/dockerfile:1 (# syntax=) is not allowed by weld.policy.yml (allowed_frontends: none); to run it as the frontend, add allowed_frontends: [docker/dockerfile:1] to the policy file (weld.policy.yml), or remove it to build with BuildKit's built-in Dockerfile frontend"}},
		{"# syntax= allowed", "allowed_frontends: ['docker/dockerfile:*']\n", "# syntax=docker/dockerfile:1.7\nFROM busybox\n", nil, nil},
		{"BUILDKIT_SYNTAX", "allowed_frontends: ['docker/dockerfile:*']\n", "# syntax=docker/dockerfile:1.7\nFROM busybox\n", map[string]string{"BUILDKIT_SYNTAX": "unvetted/f:1"}, []string{
			"build.yml:3:5: step app: frontend unvetted/f:1 (build arg BUILDKIT_SYNTAX) is not allowed by weld.policy.yml:1:20 (allowed_frontends: docker/dockerfile:*); to run it as the frontend, add allowed_frontends: [unvetted/f:1] to the policy file (weld.policy.yml), or remove it to build with BuildKit's built-in Dockerfile frontend"}},
		{"ADD without allowed_sources", "", "FROM busybox\nADD https://evil.example/x /x\n", nil, nil},
		{"ADD under allowed_sources", "allowed_sources: ['https://ok.example/**', 'git://github.com/myorg/*']\n",
			"FROM busybox\nARG V=1\nADD https://ok.example/a/b/$V /x\nADD https://ok.example.evil/x /y\nADD https://github.com/myorg/r.git#v1 /r\nADD git@github.com:other/r.git /o\nADD local.txt /l\n", nil, []string{
				"app:4: step app: source https://ok.example.evil/x (ADD) is not allowed by weld.policy.yml:1:18 (allowed_sources: https://ok.example/**, git://github.com/myorg/*)",
				"app:6: step app: source git@github.com:other/r.git (ADD) is not allowed by weld.policy.yml:1:18 (allowed_sources: https://ok.example/**, git://github.com/myorg/*)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("weld.policy.yml", []byte(tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			in := refsInput(t, map[string]string{"app": tc.dockerfile, "parent": "FROM busybox\n"}, tc.args)
			refs, err := References(in, p)
			if err != nil {
				t.Fatal(err)
			}
			checkRefusals(t, refs, p, tc.want)
		})
	}
}

// TestSourcePoliciesAgreeWithStaticCheck runs BuildKit's own policy engine
// on the identifiers BuildKit gives each source, and the static check on the
// same refs: they must give the same verdict.
func TestSourcePoliciesAgreeWithStaticCheck(t *testing.T) {
	const pol = `allowed_bases: [busybox, 'docker.io/library/alpine:3.*', 'registry.local/**', 'myorg/*']
allowed_frontends: ['docker/dockerfile:1*']
allowed_sources: ['https://ok.example/*', 'git://github.com/myorg/*']
`
	d := "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		kind, ref string
		frontend  bool // as BuildKit marks the image it runs as the frontend
		want      bool // allowed, without the operator's policy
	}{
		{KindImage, "busybox", false, true}, {KindImage, "busybox:1.36", false, false}, {KindImage, "alpine:3.20", false, true},
		{KindImage, "alpine:3.20" + d, false, true}, {KindImage, "alpine" + d, false, false}, {KindImage, "alpine:edge", false, false},
		{KindImage, "registry.local/a/b/c:1", false, true}, {KindImage, "registry.local:5000/a:1", false, false},
		{KindImage, "myorg/app:1", false, true}, {KindImage, "myorg/team/app:1", false, false}, {KindImage, "unvetted/x:1", false, false},
		{KindImage, "docker.io/library/busybox:latest", false, true}, {KindImage, "ghcr.io/library/busybox:latest", false, false},
		{KindFrontend, "docker/dockerfile:1.7", true, true}, {KindFrontend, "docker/dockerfile:2", true, false},
		{KindFrontend, "busybox", true, false}, {KindFrontend, "unvetted/f:1", true, false},
		{KindSource, "https://ok.example/x.tgz", false, true}, {KindSource, "https://ok.example/a/x.tgz", false, false},
		{KindSource, "http://ok.example/x.tgz", false, false}, {KindSource, "https://ok.example.evil/x", false, false},
		{KindSource, "https://github.com/myorg/r.git#v1", false, true}, {KindSource, "git@github.com:myorg/r.git", false, true},
		{KindSource, "git://github.com/other/r.git", false, false}, {KindSource, "https://github.com/myorg/a/b.git", false, false},
	}
	p, err := Parse("weld.policy.yml", []byte(pol))
	if err != nil {
		t.Fatal(err)
	}
	for _, operator := range []string{"", "allowed_bases: ['**']\nallowed_sources: ['https://**']\nallowed_frontends: ['docker/dockerfile:1.7']\n"} {
		q := p
		if operator != "" {
			op, err := Parse("operator.yml", []byte(operator))
			if err != nil {
				t.Fatal(err)
			}
			q = Intersect(op, p)
		}
		engine := sourcepolicy.NewEngine(q.SourcePolicies())
		for _, tc := range tests {
			id := SourceIdentifier(tc.kind, tc.ref)
			op := &pb.SourceOp{Identifier: id}
			if tc.frontend {
				op.Attrs = map[string]string{"image.recordtype": "frontend"}
			}
			_, err := engine.Evaluate(context.Background(), op)
			daemon := err == nil
			static := q.refuse(Reference{Kind: tc.kind, Ref: tc.ref}) == nil
			if operator == "" && static != tc.want {
				t.Errorf("%s %s: the static check allows: %v, want %v", tc.kind, tc.ref, static, tc.want)
			}
			if daemon != static {
				t.Errorf("operator %q: %s %s (%s): the daemon allows: %v (%v), the static check: %v", operator, tc.kind, tc.ref, id, daemon, err, static)
			}
		}
	}
}

func TestIntersect(t *testing.T) {
	parse := func(name, s string) *Policy {
		p, err := Parse(name, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	op := parse("operator.yml", "allowed_bases: [busybox]\nrules:\n  RootUser: error\nreplace:\n  node:1: oci-layout:///op\n")
	project := parse("weld.policy.yml", "allowed_bases: [busybox, 'unvetted/*']\nallowed_sources: ['https://x/*']\nrules:\n  RootUser: off\n  ExposeSSH: error\nreplace:\n  node:1: unvetted/n:1\n  go:1: oci-layout:///mine\n")
	got := Intersect(op, project)
	if got.Allowed("unvetted/x:1") {
		t.Errorf("Intersect allows unvetted/x:1, which the operator does not")
	}
	if !got.Allowed("busybox") {
		t.Errorf("Intersect refuses busybox, which both allow")
	}
	if got.sourceRefusal("https://y/z") == nil || got.sourceRefusal("https://x/z") != nil {
		t.Errorf("allowed_sources: the project's list must restrict where the operator has none")
	}
	if e := got.refuse(Reference{Kind: KindImage, Ref: "unvetted/x:1"}); e == nil || e.Policy != "operator.yml:1:16" {
		t.Errorf("refusal %v, want one naming operator.yml:1:16", e)
	}
	if r, _ := got.Replacement("node:1"); r.To != "oci-layout:///op" {
		t.Errorf("replace node:1 = %q, want the operator's", r.To)
	}
	// A layout the project's own file names is not trusted by the operator.
	if rep, _ := got.Replacement("go:1"); got.trustsLayout(&rep) {
		t.Errorf("the project's OCI layout replacement is trusted under the operator's policy")
	}
	if got.Severity(RuleRootUser, SeverityWarning) != SeverityError || got.Severity(RuleExposeSSH, SeverityWarning) != SeverityError {
		t.Errorf("rules: the operator's must win and the project's stay")
	}
	if len(got.SourcePolicies()) != 2 || Intersect(nil, project) != project || Intersect(op, nil) != op {
		t.Errorf("Intersect: want the operator's and the project's source policies, and nil sides ignored")
	}
	if project.Limit != nil || len(project.Replace) != 2 {
		t.Errorf("Intersect changed its argument")
	}
}

func TestParseFrontendsAndSources(t *testing.T) {
	tests := []struct{ text, want string }{
		{"allowed_sources: [ftp://x]\n", "weld.policy.yml:1:19: allowed_sources[0] \"ftp://x\": write http://…, https://… or git://HOST/PATH (a git repository, by any transport)"},
		{"allowed_sources: https://x\n", "weld.policy.yml:1:18: allowed_sources must be a list, not the string \"https://x\"; write one \"- item\" per line"},
		{"allowed_frontends: [' x']\n", "weld.policy.yml:1:21: allowed_frontends[0] \" x\": a pattern has no spaces and is not empty"},
		{"allowed_frontend: [x]\n", "weld.policy.yml:1:1: unknown key \"allowed_frontend\" in the policy file; did you mean \"allowed_frontends\"?"},
	}
	for _, tc := range tests {
		_, err := Parse("weld.policy.yml", []byte(tc.text))
		if err == nil || err.Error() != tc.want || !errors.Is(err, dag.ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want %s (bad input)", tc.text, err, tc.want)
		}
	}
	p, err := Parse("weld.policy.yml", []byte("allowed_frontends: ['docker/dockerfile:1']\nallowed_sources: []\n"))
	if err != nil || !p.HasSources || len(p.AllowedSources) != 0 || p.FrontendsPos.String() != "weld.policy.yml:1:20" {
		t.Errorf("Parse = %+v, %v; want allowed_sources set and empty, allowed_frontends at 1:20", p, err)
	}
}

// checkRefusals runs CheckReferences and compares the refusals' messages
// with want; a refusal must wrap ErrBaseRefused (exit 1).
func checkRefusals(t *testing.T, refs []Reference, p *Policy, want []string) {
	t.Helper()
	var got []string
	var rs Refusals
	if err := CheckReferences(refs, p); errors.As(err, &rs) {
		for _, r := range rs {
			got = append(got, r.Error())
		}
		if !errors.Is(err, ErrBaseRefused) {
			t.Errorf("CheckReferences error %v does not wrap ErrBaseRefused (exit 1)", err)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckReferences (-want +got):\n%s", diff)
	}
}
