//go:build integration

package builder_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/policy"
)

// srcCase is one Dockerfile an attacker would write, the policy it runs
// under, and what both layers must say: the static check (policy, before
// any daemon) and BuildKit's source policy (the daemon, with the static
// check out of the way).
type srcCase struct {
	name     string
	files    map[string]string // besides build.yml, which has step app (and parent, when Dockerfile.parent exists)
	policy   string
	operator string // an operator's policy, intersected (policy.Intersect)
	// static and daemon are the identifiers each layer refuses; nil: allowed.
	static, daemon []string
	// frontends forwards the steps' # syntax= image (what weld does for an
	// allowed one), so that the daemon's own rule is what stands.
	frontends map[string]string
}

// TestSourcePolicyAgrees: for every way a Dockerfile can name an image or a
// remote source, the static check and the daemon's source policy refuse the
// same ones, and the allowed ones build. The daemon runs without the static
// check, as an embedder that skipped it would.
func TestSourcePolicyAgrees(t *testing.T) {
	e := testEnv(t)
	var badHits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/bad/") {
			badHits.Add(1)
		}
		fmt.Fprintln(w, "payload "+r.URL.Path)
	}))
	defer srv.Close()
	const bases = "allowed_bases: [busybox]\n"
	img := func(ref string) string { return "docker-image://" + policy.Normalize(ref) }
	cases := []srcCase{
		{name: "COPY --from an external image", policy: bases,
			files:  map[string]string{"Dockerfile": "FROM busybox\nCOPY --from=unvetted/tools:1 /bin/x /x\n"},
			static: []string{img("unvetted/tools:1")}, daemon: []string{img("unvetted/tools:1")}},
		{name: "COPY --from an allowed image", policy: bases,
			files: map[string]string{"Dockerfile": "FROM busybox\nCOPY --from=busybox /bin/busybox /bb\n"}},
		{name: "RUN --mount from an external image", policy: bases,
			files:  map[string]string{"Dockerfile": "FROM busybox\nRUN --mount=type=bind,from=unvetted/mnt:1,target=/m true\n"},
			static: []string{img("unvetted/mnt:1")}, daemon: []string{img("unvetted/mnt:1")}},
		{name: "RUN --mount from an allowed image", policy: bases,
			files: map[string]string{"Dockerfile": "FROM busybox\nRUN --mount=type=bind,from=busybox,target=/m test -e /m/bin/busybox\n"}},
		{name: "FROM through an ARG", policy: bases,
			files:  map[string]string{"Dockerfile": "ARG B=unvetted/base:1\nFROM $B\nRUN true\n"},
			static: []string{img("unvetted/base:1")}, daemon: []string{img("unvetted/base:1")}},
		{name: "FROM through a stage", policy: bases,
			files:  map[string]string{"Dockerfile": "FROM unvetted/base:1 AS s\nFROM busybox\nCOPY --from=s /x /x\n"},
			static: []string{img("unvetted/base:1")}, daemon: []string{img("unvetted/base:1")}},
		{name: "# syntax= an unvetted frontend", policy: bases,
			files:     map[string]string{"Dockerfile": "# syntax=unvetted/frontend:1\nFROM busybox\n"},
			frontends: map[string]string{"app": "unvetted/frontend:1"},
			static:    []string{img("unvetted/frontend:1")}, daemon: []string{img("unvetted/frontend:1")}},
		{name: "# syntax= not forwarded: BuildKit's built-in frontend builds it", policy: bases,
			files:  map[string]string{"Dockerfile": "# syntax=unvetted/frontend:1\nFROM busybox\nRUN true\n"},
			static: []string{img("unvetted/frontend:1")}},
		{name: "ONBUILD of a parent step runs in its child", policy: bases,
			files: map[string]string{
				"Dockerfile.parent": "FROM busybox\nONBUILD COPY --from=unvetted/x:1 /x /x\n",
				"Dockerfile":        "FROM weld-sp-parent\nRUN true\n",
			},
			static: []string{img("unvetted/x:1")}, daemon: []string{img("unvetted/x:1")}},
		{name: "ADD of an allowed URL", policy: "allowed_sources: ['" + srv.URL + "/ok/*']\n",
			files: map[string]string{"Dockerfile": "FROM busybox\nADD " + srv.URL + "/ok/file /f\nRUN grep -q payload /f\n"}},
		{name: "ADD of a URL outside allowed_sources", policy: "allowed_sources: ['" + srv.URL + "/ok/*']\n",
			files:  map[string]string{"Dockerfile": "FROM busybox\nADD " + srv.URL + "/bad/file /f\n"},
			static: []string{srv.URL + "/bad/file"}, daemon: []string{srv.URL + "/bad/file"}},
		{name: "ADD of git outside allowed_sources", policy: "allowed_sources: ['" + srv.URL + "/ok/*']\n",
			files:  map[string]string{"Dockerfile": "FROM busybox\nADD https://github.com/unvetted/x.git#main /src\n"},
			static: []string{"git://github.com/unvetted/x.git#main"}, daemon: []string{"git://github.com/unvetted/x.git#main"}},
		{name: "a project cannot loosen the operator's policy", policy: "allowed_bases: [busybox, 'unvetted/*']\n", operator: bases,
			files:  map[string]string{"Dockerfile": "FROM busybox\nCOPY --from=unvetted/tools:1 /bin/x /x\n"},
			static: []string{img("unvetted/tools:1")}, daemon: []string{img("unvetted/tools:1")}},
		{name: "an operator's policy does not loosen the project's", policy: bases, operator: "allowed_bases: [busybox, 'unvetted/*']\n",
			files:  map[string]string{"Dockerfile": "FROM busybox\nCOPY --from=unvetted/tools:1 /bin/x /x\n"},
			static: []string{img("unvetted/tools:1")}, daemon: []string{img("unvetted/tools:1")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, pol := srcProject(t, tc)
			if got := staticRefusals(t, dir, pol); !slices.Equal(got, tc.static) {
				t.Errorf("static check refuses %q, want %q", got, tc.static)
			}
			b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithSourcePolicy(pol.SourcePolicies()...), builder.WithFrontends(tc.frontends))
			got := daemonRefusals(b.err)
			if !slices.Equal(got, tc.daemon) {
				t.Fatalf("the daemon refuses %q, want %q; Run: %v", got, tc.daemon, b.err)
			}
			if tc.daemon == nil {
				b.mustPass(t)
			}
		})
	}
	if n := badHits.Load(); n != 0 {
		t.Errorf("the daemon fetched a denied URL %d time(s): the source policy must deny it before any fetch", n)
	}
}

// TestSourcePolicyONBUILDOfBaseImage: a base image (an OCI layout) whose
// ONBUILD trigger copies from an external image: the static check cannot
// see it (the trigger is in the image's config), the daemon denies it.
func TestSourcePolicyONBUILDOfBaseImage(t *testing.T) {
	e := testEnv(t)
	trap := t.TempDir()
	mk := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    trap:\n      name: weld-sp-trap\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nONBUILD COPY --from=unvetted/x:1 /x /x\n",
	})
	e.runBuild(t, ctxTimeout(t, 3*time.Minute), mk, builder.WithProvenance(""),
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: trap})).mustPass(t)
	dir, pol := srcProject(t, srcCase{policy: "allowed_bases: [busybox, 'weld/trap:*']\n",
		files: map[string]string{"Dockerfile": "FROM weld/trap:1\nRUN true\n"}})
	if got := staticRefusals(t, dir, pol); got != nil {
		t.Fatalf("static check refuses %q; want nothing (it cannot see the base's triggers)", got)
	}
	ref, src, err := builder.ParseImage("weld/trap:1=oci-layout://" + filepath.Join(trap, "trap"))
	if err != nil {
		t.Fatal(err)
	}
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithImages(map[string]builder.ImageSource{ref: src}),
		builder.WithSourcePolicy(pol.SourcePolicies()...))
	if got, want := daemonRefusals(b.err), []string{"docker-image://docker.io/unvetted/x:1"}; !slices.Equal(got, want) {
		t.Fatalf("the daemon refuses %q, want %q; Run: %v", got, want, b.err)
	}
	var de *builder.SourceDeniedError
	errors.As(b.err, &de)
	if e := pol.Denial(de.Step, policy.Reference{}.Pos, de.Identifier); e == nil || e.Key != "allowed_bases" {
		t.Errorf("Denial(%s) = %v, want a refusal by allowed_bases", de.Identifier, e)
	}
}

// srcProject writes a case's project and parses its policy (intersected
// with the operator's, if any).
func srcProject(t *testing.T, tc srcCase) (string, *policy.Policy) {
	t.Helper()
	files := map[string]string{"weld.policy.yml": tc.policy}
	yml := "build:\n  version: 2016-03-14\n  steps:\n"
	if _, ok := tc.files["Dockerfile.parent"]; ok {
		yml += "    parent:\n      name: weld-sp-parent\n      dockerfile: Dockerfile.parent\n"
	}
	yml += "    app:\n      dockerfile: Dockerfile\n"
	files["build.yml"] = yml
	for k, v := range tc.files {
		files[k] = v
	}
	dir := writeProject(t, files)
	pol, err := policy.Load(filepath.Join(dir, "weld.policy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if tc.operator != "" {
		op, err := policy.Parse("operator.yml", []byte(tc.operator))
		if err != nil {
			t.Fatal(err)
		}
		pol = policy.Intersect(op, pol)
	}
	return dir, pol
}

// staticRefusals are the identifiers of what weld's static check refuses.
func staticRefusals(t *testing.T, dir string, pol *policy.Policy) []string {
	t.Helper()
	in := policy.Input{Build: loadPlan(t, dir).Build()}
	uses, err := policy.Bases(in, pol)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := policy.References(in, pol)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, err := range []error{policy.CheckBases(uses, pol), policy.CheckReferences(refs, pol)} {
		var rs policy.Refusals
		errors.As(err, &rs)
		for _, r := range rs {
			var be *policy.BaseError
			var re *policy.RefError
			switch {
			case errors.As(r, &be):
				out = append(out, "docker-image://"+policy.Normalize(be.Use.Effective()))
			case errors.As(r, &re):
				out = append(out, policy.SourceIdentifier(re.Ref.Kind, re.Ref.Ref))
			}
		}
	}
	return out
}

// daemonRefusals are the identifiers the daemon's source policy denied.
func daemonRefusals(err error) []string {
	var out []string
	var be *builder.BuildError
	if !errors.As(err, &be) {
		return nil
	}
	for _, f := range be.Failed {
		var de *builder.SourceDeniedError
		if errors.As(f, &de) {
			out = append(out, de.Identifier)
		}
	}
	return out
}

// TestSourcePolicyLintPhase: weld's lint subrequest runs the Dockerfile
// frontend too; a # syntax= image is never pulled there: the built-in
// frontend answers unless the step's frontend is allowed, and an allowed
// one still passes the daemon's policy.
func TestSourcePolicyLintPhase(t *testing.T) {
	e := testEnv(t)
	dir, pol := srcProject(t, srcCase{policy: "allowed_bases: [busybox]\n",
		files: map[string]string{"Dockerfile": "# syntax=unvetted/frontend:1\nFROM busybox\n"}})
	c, err := builder.Connect(ctxTimeout(t, time.Minute), builder.ConnectOptions{Addr: e.host})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		frontends map[string]string
		denied    bool
	}{{nil, false}, {map[string]string{"app": "unvetted/frontend:1"}, true}} {
		b, err := builder.New(c, e.imageOpt(t, "busybox", "busybox"), builder.WithSourcePolicy(pol.SourcePolicies()...), builder.WithFrontends(tc.frontends))
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Lint(ctxTimeout(t, 2*time.Minute), loadPlan(t, dir))
		var de *builder.SourceDeniedError
		if errors.As(err, &de) != tc.denied || tc.denied && de.Identifier != "docker-image://docker.io/unvetted/frontend:1" || !tc.denied && err != nil {
			t.Errorf("frontends %v: Lint = %v, want denied: %v", tc.frontends, err, tc.denied)
		}
	}
}
