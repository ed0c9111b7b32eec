//go:build integration

package main

// CLI tests of the policy's reach beyond FROM: every image and remote
// source a Dockerfile names, refused before any daemon by weld's check, or
// by the daemon's BuildKit source policy, in the same form.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const srcBuildYML = `build:
  version: 2016-03-14
  steps:
    app:
      name: weld-srcpolicy-app
      dockerfile: Dockerfile
`

// TestSrcPolicyRefusesBeforeAnyDaemon: each Dockerfile names an image or a
// source outside the policy in a way FROM-only checks missed; weld build
// exits 1 naming file:line, the step, the image and the rule, before it
// contacts a daemon (BUILDKIT_HOST points nowhere); weld lint says the same.
func TestSrcPolicyRefusesBeforeAnyDaemon(t *testing.T) {
	e := testEnv(t)
	const bases = "allowed_bases: [busybox]\n" // the rule is at weld.policy.yml:1:16
	cases := []struct{ name, policy, dockerfile, parent, want string }{
		{"COPY --from", bases, "FROM busybox\nCOPY --from=unvetted/tools:1 /bin/x /x\n", "",
			"Dockerfile:2: step app: image unvetted/tools:1 (COPY --from) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"},
		{"RUN --mount from=", bases, "FROM busybox\nRUN --mount=type=bind,from=unvetted/mnt:1,target=/m cp /m/x /x\n", "",
			"Dockerfile:2: step app: image unvetted/mnt:1 (RUN --mount from=) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"},
		{"# syntax=", bases, "# syntax=unvetted/frontend:1\nFROM busybox\n", "",
			"Dockerfile:1: step app: frontend unvetted/frontend:1 (# syntax=) is not allowed by weld.policy.yml (allowed_frontends: none); to run it as the frontend, add allowed_frontends: [unvetted/frontend:1] to the policy file"},
		{"# syntax= without a policy file", "", "# syntax=unvetted/frontend:1\nFROM busybox\n", "",
			"Dockerfile:1: step app: frontend unvetted/frontend:1 (# syntax=) is not allowed by the default policy (allowed_frontends: none)"},
		{"# syntax= outside allowed_frontends", bases + "allowed_frontends: [docker/dockerfile:1]\n", "# syntax=unvetted/frontend:1\nFROM busybox\n", "",
			"Dockerfile:1: step app: frontend unvetted/frontend:1 (# syntax=) is not allowed by weld.policy.yml:2:20 (allowed_frontends: docker/dockerfile:1)"},
		{"FROM through an ARG", bases, "ARG B=unvetted/base:1\nFROM $B\n", "",
			"Dockerfile:2: step app: base unvetted/base:1 is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"},
		{"FROM through a stage", bases, "FROM unvetted/base:1 AS s\nFROM busybox\nCOPY --from=s /x /x\n", "",
			"Dockerfile:1: step app: base unvetted/base:1 is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"},
		{"ONBUILD", bases, "FROM busybox\nONBUILD COPY --from=unvetted/x:1 /x /x\nUSER 1000\n", "",
			"Dockerfile:2: step app: image unvetted/x:1 (ONBUILD COPY --from) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"},
		{"ADD of a URL", "allowed_sources: ['https://downloads.example/*']\n", "FROM busybox\nADD https://evil.example/x.tgz /x\n", "",
			"Dockerfile:2: step app: source https://evil.example/x.tgz (ADD) is not allowed by weld.policy.yml:1:18 (allowed_sources: https://downloads.example/*)"},
		{"ADD of git", "allowed_sources: ['git://github.com/myorg/*']\n", "FROM busybox\nADD git@github.com:unvetted/x.git#main /src\n", "",
			"Dockerfile:2: step app: source git@github.com:unvetted/x.git#main (ADD) is not allowed by weld.policy.yml:1:18 (allowed_sources: git://github.com/myorg/*)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"build.yml": srcBuildYML, "Dockerfile": tc.dockerfile}
			if tc.policy != "" {
				files["weld.policy.yml"] = tc.policy
			}
			dir := writeProject(t, files)
			w := e.command(dir, "unix:///nonexistent/buildkitd.sock", "--output", "oci:out")
			w.expect(t, w.run(t, time.Minute), 1, tc.want)
			if strings.Contains(w.stderr.String(), "nonexistent") {
				t.Errorf("weld contacted the daemon before refusing; stderr:\n%s", w.stderr.String())
			}
			lw, code := e.run(t, dir, "lint")
			lw.expect(t, code, 1, tc.want)
		})
	}
}

// TestSrcPolicyAllowedStillBuild: what the policy allows builds, through
// the daemon and its source policy: an allowed image through COPY --from
// and RUN --mount, and ADD of a URL under allowed_sources (a loopback
// server); a URL outside it is refused and never fetched.
func TestSrcPolicyAllowedStillBuild(t *testing.T) {
	e := testEnv(t)
	var hits, bad atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if strings.HasPrefix(r.URL.Path, "/bad/") {
			bad.Add(1)
		}
		fmt.Fprintln(w, "payload")
	}))
	defer srv.Close()
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": srcBuildYML,
		"Dockerfile": "FROM busybox\nCOPY --from=busybox /bin/busybox /bb\n" +
			"RUN --mount=type=bind,from=busybox,target=/m test -e /m/bin/busybox\n" +
			"ADD " + srv.URL + "/ok/file /f\nRUN grep -q payload /f && echo " + n + "\nUSER 1000\n",
		"weld.policy.yml": "allowed_bases: [busybox]\nallowed_sources: ['" + srv.URL + "/ok/*']\n",
	})
	w := e.command(dir, e.host, "--output", "oci:out")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	if hits.Load() == 0 {
		t.Errorf("the allowed URL was never fetched")
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nADD "+srv.URL+"/bad/file /f\nUSER 1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w = e.command(dir, e.host, "--output", "oci:out2")
	w.expect(t, w.run(t, 3*time.Minute), 1,
		"Dockerfile:2: step app: source "+srv.URL+"/bad/file (ADD) is not allowed by weld.policy.yml:2:18 (allowed_sources: "+srv.URL+"/ok/*)")
	if bad.Load() != 0 {
		t.Errorf("the refused URL was fetched")
	}
}

// TestSrcPolicyDaemonDeniesBaseTrigger: a base image (an OCI layout) whose
// config carries an ONBUILD trigger copying from an external image; weld's
// check cannot see it, the daemon's source policy denies it, and weld
// reports it in the static check's form.
func TestSrcPolicyDaemonDeniesBaseTrigger(t *testing.T) {
	e := testEnv(t)
	mk := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    trap:\n      name: weld-srcpolicy-trap\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nONBUILD COPY --from=unvetted/x:1 /x /x\n",
	})
	trap := filepath.Join(mk, "out")
	w := e.command(mk, e.host, "--provenance", "none", "--output", "oci:out")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	dir := writeProject(t, map[string]string{
		"build.yml":       srcBuildYML,
		"Dockerfile":      "FROM weld/trap:1\nRUN true\nUSER 1000\n",
		"weld.policy.yml": "allowed_bases: [busybox, 'weld/trap:*']\n",
	})
	w = e.command(dir, e.host, "--image", "weld/trap:1=oci-layout://"+filepath.Join(trap, "trap"), "--output", "oci:out")
	w.expect(t, w.run(t, 3*time.Minute), 1,
		"step app: image docker.io/unvetted/x:1 (refused by BuildKit's source policy) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox, weld/trap:*)")
}

// TestSrcPolicyAllowedFrontendRuns: a # syntax= image that allowed_frontends
// lists runs as the step's frontend (here testdata/frontend, which hands over
// to BuildKit's Dockerfile frontend and labels the image), given as an OCI
// layout; without the entry the same Dockerfile is refused.
func TestSrcPolicyAllowedFrontendRuns(t *testing.T) {
	e := testEnv(t)
	fe := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    fe:\n      name: weld-srcpolicy-frontend\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nCOPY frontend /bin/frontend\nLABEL moby.buildkit.frontend.network.none=\"true\"\nLABEL moby.buildkit.frontend.caps=\"moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts\"\nENTRYPOINT [\"/bin/frontend\"]\n",
	})
	gb := exec.Command("go", "build", "-o", filepath.Join(fe, "frontend"), "./testdata/frontend")
	gb.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := gb.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/frontend: %v\n%s", err, out)
	}
	w := e.command(fe, e.host, "--provenance", "none", "--output", "oci:out")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	files := map[string]string{
		"build.yml":  srcBuildYML,
		"Dockerfile": "# syntax=weld/frontend:1\nFROM busybox\nRUN true\nUSER 1000\n",
	}
	for _, tc := range []struct {
		name, policy string
		code         int
	}{
		{"not allowed", "allowed_bases: [busybox]\n", 1},
		{"allowed", "allowed_bases: [busybox]\nallowed_frontends: ['weld/frontend:1']\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files["weld.policy.yml"] = tc.policy
			dir := writeProject(t, files)
			w := e.command(dir, e.host, "--image", "weld/frontend:1=oci-layout://"+filepath.Join(fe, "out", "fe"), "--output", "oci:out")
			w.expect(t, w.run(t, 3*time.Minute), tc.code)
			ran := false
			blobs, _ := filepath.Glob(filepath.Join(dir, "out", "app", "blobs", "sha256", "*"))
			for _, b := range blobs {
				if dt, err := os.ReadFile(b); err == nil && strings.Contains(string(dt), `"weld.test.frontend":"ran"`) {
					ran = true
				}
			}
			if ran != (tc.code == 0) {
				t.Errorf("the frontend ran: %v, want %v (image blobs %d)", ran, tc.code == 0, len(blobs))
			}
		})
	}
}
