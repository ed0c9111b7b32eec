package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weld-build/weld/dag"
)

// onbuildStep is a step of onbuildInput: its Dockerfile's text, its image
// name (org/LABEL), its target and the steps it builds FROM.
type onbuildStep struct {
	label, dockerfile, target string
	from                      []string
}

// onbuildInput writes each step's Dockerfile (named after its label) and
// loads the steps as dag would; only, when set, are the steps checked.
func onbuildInput(t *testing.T, steps []onbuildStep, only []string) Input {
	t.Helper()
	dir := t.TempDir()
	b := &dag.Build{File: "build.yml", WorkDir: dir}
	in := Input{Build: b}
	for _, st := range steps {
		if err := os.WriteFile(filepath.Join(dir, st.label), []byte(st.dockerfile), 0o644); err != nil {
			t.Fatal(err)
		}
		s := &dag.Step{Label: st.label, Name: "org/" + st.label, Dockerfile: filepath.Join(dir, st.label), Target: st.target, FromSteps: st.from}
		b.Steps = append(b.Steps, s)
		for _, l := range only {
			if l == st.label {
				in.Steps = append(in.Steps, s)
			}
		}
	}
	return in
}

// TestCheckReferencesOnbuildInChild: an ONBUILD trigger runs in the step
// that builds FROM the image, so its --from is judged there: a stage of the
// parent's Dockerfile is an external image in the child, unless the child
// has a stage, or builds FROM a step, of that name. Only the parent's target
// stage's triggers reach the child.
func TestCheckReferencesOnbuildInChild(t *testing.T) {
	const bases = "allowed_bases: [busybox]\n"
	child := onbuildStep{label: "app", dockerfile: "FROM org/parent\n", from: []string{"parent"}}
	refused := func(line, what, via string) string {
		return "parent:" + line + ": step app: image " + what + " (ONBUILD " + via + " of step parent) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"
	}
	tests := []struct {
		name, policy string
		steps        []onbuildStep
		only         []string
		want         []string
	}{
		{name: "a parent's stage name is an image in the child", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\n"}, child},
			want: []string{refused("2", "unvetted", "COPY --from")}},
		{name: "RUN --mount from= a parent's stage name", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS unvetted\nRUN true\nONBUILD RUN --mount=type=bind,from=unvetted,target=/m true\n"}, child},
			want: []string{refused("3", "unvetted", "RUN --mount from=")}},
		{name: "case does not hide it", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS unvetted\nONBUILD COPY --from=UNVETTED /x /x\n"}, child},
			want: []string{refused("2", "UNVETTED", "COPY --from")}},
		{name: "the child's own stage of that name", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\n"},
			{label: "app", dockerfile: "FROM busybox AS unvetted\nFROM org/parent\n", from: []string{"parent"}}}},
		{name: "a stage index is the child's stage", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox\nONBUILD COPY --from=0 /x /x\n"}, child}},
		{name: "RUN --mount from= takes no index: 0 is an image", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS s\nFROM busybox\nONBUILD RUN --mount=from=0,target=/m true\n"}, child},
			want: []string{"parent:3: step parent: image 0 (ONBUILD RUN --mount from=) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"}},
		{name: "a step the child builds FROM", policy: bases, steps: []onbuildStep{
			{label: "tools", dockerfile: "FROM busybox\n"},
			{label: "parent", dockerfile: "FROM org/tools AS t\nFROM busybox\nONBUILD COPY --from=org/tools /x /x\n", from: []string{"tools"}},
			{label: "app", dockerfile: "FROM org/tools AS t\nFROM org/parent\n", from: []string{"tools", "parent"}}}},
		{name: "a step only the parent builds FROM is an image in the child", policy: bases, steps: []onbuildStep{
			{label: "tools", dockerfile: "FROM busybox\n"},
			{label: "parent", dockerfile: "FROM org/tools AS t\nFROM busybox\nONBUILD COPY --from=org/tools /x /x\n", from: []string{"tools"}}, child},
			want: []string{refused("3", "org/tools", "COPY --from")}},
		{name: "a non-final stage's trigger does not reach the child", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\nFROM busybox\n"}, child}},
		{name: "the parent's target stage's trigger does", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\nFROM busybox\n", target: "unvetted"}, child},
			want: []string{refused("2", "unvetted", "COPY --from")}},
		{name: "a non-final stage's trigger runs in the parent's own stages", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS base\nONBUILD COPY --from=unvetted/x:1 /x /x\nFROM base\n"}, child},
			want: []string{"parent:2: step parent: image unvetted/x:1 (ONBUILD COPY --from) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"}},
		{name: "an image refused in the parent is not refused again", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox\nONBUILD COPY --from=unvetted/x:1 /x /x\n"}, child},
			want: []string{"parent:2: step parent: image unvetted/x:1 (ONBUILD COPY --from) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"}},
		{name: "the child alone is checked", policy: bases, only: []string{"app"}, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox\nONBUILD COPY --from=unvetted/x:1 /x /x\n"}, child},
			want: []string{refused("2", "unvetted/x:1", "COPY --from")}},
		{name: "every child", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\n"}, child,
			{label: "app2", dockerfile: "FROM org/parent\n", from: []string{"parent"}}},
			want: []string{refused("2", "unvetted", "COPY --from"), strings.Replace(refused("2", "unvetted", "COPY --from"), "step app", "step app2", 1)}},
		{name: "an allowed image", policy: bases, steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS busybox\nONBUILD COPY --from=busybox /x /x\n"}, child}},
		{name: "replaced by an allowed image", policy: bases + "replace:\n  unvetted: busybox\n", steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\n"}, child}},
		{name: "replaced by a refused one", policy: bases + "replace:\n  unvetted: evil/x:1\n", steps: []onbuildStep{
			{label: "parent", dockerfile: "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\n"}, child},
			want: []string{refused("2", "evil/x:1 (replacing unvetted)", "COPY --from")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("weld.policy.yml", []byte(tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			refs, err := References(onbuildInput(t, tc.steps, tc.only), p)
			if err != nil {
				t.Fatal(err)
			}
			checkRefusals(t, refs, p, tc.want)
		})
	}
}

// TestReferencesRefusesChainedOnbuild: BuildKit's parser refuses ONBUILD
// ONBUILD (and ONBUILD FROM), so no trigger can hide another; weld refuses
// the Dockerfile as BuildKit would, naming the step.
func TestReferencesRefusesChainedOnbuild(t *testing.T) {
	for _, text := range []string{
		"FROM busybox\nONBUILD ONBUILD COPY --from=unvetted/x:1 /x /x\n",
		"FROM busybox\nONBUILD FROM unvetted/x:1\n",
	} {
		in := onbuildInput(t, []onbuildStep{{label: "parent", dockerfile: text}}, nil)
		_, err := References(in, &Policy{})
		if err == nil || !strings.Contains(err.Error(), "step parent") || !strings.Contains(err.Error(), "ONBUILD") {
			t.Errorf("References(%q) = %v, want an error naming step parent and ONBUILD", text, err)
		}
	}
}
