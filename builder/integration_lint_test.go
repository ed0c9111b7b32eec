//go:build integration

package builder_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/subrequests/lint"

	"github.com/weld-build/weld/builder"
)

// lintFiles are Dockerfiles whose findings depend on what the frontend
// sees: the bases' configs (an OCI layout, a step built FROM, a registry
// image), the target, named contexts that replace a stage, # check= and
// the BUILDKIT_DOCKERFILE_CHECK build arg. REGBASE is replaced with an
// image in the test registry.
var lintFiles = map[string]string{
	"build.yml": `build:
  version: 2016-03-14
  steps:
    parent:
      name: weld-lint-parent
      dockerfile: Dockerfile.parent
    child:
      name: weld-lint-child
      dockerfile: Dockerfile.child
    grandchild:
      dockerfile: Dockerfile.grandchild
    gobase:
      dockerfile: Dockerfile.go
    twin:
      dockerfile: Dockerfile.go
    multi:
      dockerfile: Dockerfile.multi
      target: final
    multiall:
      dockerfile: Dockerfile.multi
    stagectx:
      dockerfile: Dockerfile.stagectx
    checks:
      dockerfile: Dockerfile.checks
      args:
        BUILDKIT_DOCKERFILE_CHECK: skip=JSONArgsRecommended
    reg:
      dockerfile: Dockerfile.reg
      args:
        BASE: REGBASE
`,
	"Dockerfile.parent":     "FROM busybox\nENV PARENTVAR=1\nWORKDIR /app\n",
	"Dockerfile.child":      "FROM weld-lint-parent\nENV A=$PARENTVAR B=$CHILDMISSING\nWORKDIR rel\nENV C=$PATH\n",
	"Dockerfile.grandchild": "FROM weld-lint-child\nENV D=$PARENTVAR E=$A F=$GRANDMISSING\n",
	"Dockerfile.go":         "FROM golang\nENV A=$GOPATH B=$GOMISSING\nWORKDIR rel\n",
	"Dockerfile.multi": "ARG PASSWORD=x\nFROM busybox AS Build\nENV key value\nMAINTAINER me\n" +
		"from busybox as final\nCOPY --from=Build /bin/sh /x\nCOPY --from=golang /usr/local/go/VERSION /v\nCMD echo hi\n" +
		"FROM busybox AS unused\nENV U=$NOTHERE\n",
	"Dockerfile.stagectx": "FROM busybox AS golang\nENV S=$STAGEMISSING\nFROM golang\nENV T=$GOPATH\n",
	"Dockerfile.checks":   "# check=skip=StageNameCasing\nFROM busybox AS Stage\nCMD echo hi\nENV k v\n",
	"Dockerfile.reg":      "ARG BASE\nFROM $BASE\nENV X=$REGVAR Y=$REGMISSING\n",
}

// TestLintInProcessMatchesSubrequest: the in-process lint finds exactly
// what the frontend's lint subrequest on the daemon found, step by step,
// and those findings are the right ones: an undefined variable is found
// unless the base's config (a layout, a parent step, a registry image)
// defines it.
func TestLintInProcessMatchesSubrequest(t *testing.T) {
	e := testEnv(t)
	reg := os.Getenv("WELD_TEST_REGISTRY")
	if reg == "" {
		t.Fatal("TestLintInProcessMatchesSubrequest needs WELD_TEST_REGISTRY (a running registry at 127.0.0.1:PORT); run scripts/test.sh")
	}
	base := reg + "/weld-lint-base:" + nonce(t)[:8]
	seed := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    base:\n      name: " + base + "\n",
		"Dockerfile": "FROM busybox\nENV REGVAR=1\n",
	})
	e.runBuild(t, ctxTimeout(t, 3*time.Minute), seed, builder.WithOutputs(builder.Output{Type: builder.OutputRegistry})).mustPass(t)
	files := map[string]string{}
	for k, v := range lintFiles {
		files[k] = strings.ReplaceAll(v, "REGBASE", base)
	}
	dir := writeProject(t, files)
	c, err := builder.Connect(ctxTimeout(t, time.Minute), builder.ConnectOptions{Addr: e.host})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := builder.New(c, e.imageOpt(t, "busybox", "busybox", "golang", "golang"))
	if err != nil {
		t.Fatal(err)
	}
	p := loadPlan(t, dir)
	got, err := b.Lint(ctxTimeout(t, 2*time.Minute), p)
	if err != nil {
		t.Fatalf("Lint: %v", err)
	}
	want, err := b.LintSubrequest(ctxTimeout(t, 2*time.Minute), p)
	if err != nil {
		t.Fatalf("LintSubrequest: %v", err)
	}
	for _, s := range p.Build().Steps {
		if g, w := lintSummary(got[s.Label]), lintSummary(want[s.Label]); !slices.Equal(g, w) {
			t.Errorf("step %s: in-process lint:\n  %s\nwant (the subrequest's):\n  %s", s.Label, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
		}
	}
	undefined := map[string][]string{
		"child": {"CHILDMISSING"}, "grandchild": {"GRANDMISSING"}, "gobase": {"GOMISSING"}, "twin": {"GOMISSING"},
		"multi": nil, "multiall": {"NOTHERE"}, "reg": {"REGMISSING"},
	}
	for label, vars := range undefined {
		if g := undefinedVars(got[label]); !slices.Equal(g, vars) {
			t.Errorf("step %s: UndefinedVar for %q, want %q", label, g, vars)
		}
	}
	if g := lintSummary(got["checks"]); !slices.ContainsFunc(g, func(s string) bool { return strings.HasPrefix(s, "StageNameCasing") }) ||
		slices.ContainsFunc(g, func(s string) bool { return strings.HasPrefix(s, "JSONArgsRecommended") }) {
		t.Errorf("step checks: %q, want StageNameCasing (BUILDKIT_DOCKERFILE_CHECK replaces # check=) and no JSONArgsRecommended", g)
	}
}

// lintSummary is what the findings say: rule, lines and detail of each
// warning, and the conversion error, if any.
func lintSummary(r *lint.LintResults) []string {
	if r == nil {
		return []string{"<no result>"}
	}
	var out []string
	for _, w := range r.Warnings {
		var lines []string
		if w.Location != nil {
			for _, rg := range w.Location.Ranges {
				lines = append(lines, fmt.Sprintf("%d-%d", rg.Start.Line, rg.End.Line))
			}
		}
		out = append(out, fmt.Sprintf("%s %v %s", w.RuleName, lines, w.Detail))
	}
	slices.Sort(out)
	if r.Error != nil {
		out = append(out, "error: "+r.Error.Message)
	}
	return out
}

// undefinedVars are the variables UndefinedVar names, sorted.
func undefinedVars(r *lint.LintResults) []string {
	var out []string
	for _, w := range r.Warnings {
		if w.RuleName != "UndefinedVar" {
			continue
		}
		_, rest, _ := strings.Cut(w.Detail, "'$")
		name, _, _ := strings.Cut(rest, "'")
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// TestLintDeniedParentBase: a step built FROM a step whose base the
// daemon's source policy denies is refused by Lint, as by the subrequest,
// with the denied image; the denied step itself is left to the build.
func TestLintDeniedParentBase(t *testing.T) {
	e := testEnv(t)
	dir, pol := srcProject(t, srcCase{policy: "allowed_bases: [busybox]\n", files: map[string]string{
		"Dockerfile.parent": "FROM unvetted/base:1\nENV P=1\n",
		"Dockerfile":        "FROM weld-sp-parent\nENV Q=$P\n",
	}})
	c, err := builder.Connect(ctxTimeout(t, time.Minute), builder.ConnectOptions{Addr: e.host})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := builder.New(c, e.imageOpt(t, "busybox", "busybox"), builder.WithSourcePolicy(pol.SourcePolicies()...))
	if err != nil {
		t.Fatal(err)
	}
	p := loadPlan(t, dir)
	for name, lint := range map[string]func() error{
		"Lint":           func() error { _, err := b.Lint(ctxTimeout(t, 2*time.Minute), p); return err },
		"LintSubrequest": func() error { _, err := b.LintSubrequest(ctxTimeout(t, 2*time.Minute), p); return err },
	} {
		err := lint()
		var de *builder.SourceDeniedError
		if !errors.As(err, &de) || de.Identifier != "docker-image://docker.io/unvetted/base:1" || de.Step != "app" {
			t.Errorf("%s = %v, want the source policy's denial of docker.io/unvetted/base:1 in step app", name, err)
		}
	}
	got, err := b.Lint(ctxTimeout(t, 2*time.Minute), p, "parent")
	if err != nil || got["parent"] == nil || got["parent"].Error == nil || !strings.Contains(got["parent"].Error.Message, "unvetted/base:1") {
		t.Errorf("Lint(parent) = %v, %v; want a result whose conversion error names the denied base", got, err)
	}
}
