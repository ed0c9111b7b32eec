//go:build integration

package main

// CLI tests of weld build's lint gate where the base's config matters: the
// checks see the config of an OCI layout base and of the step a Dockerfile
// builds FROM, an error-severity finding stops the build before anything
// builds, and a base the daemon's source policy denies is reported as
// before.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLintGateSeesBaseConfigs: with UndefinedVar an error, a variable the
// base's ENV defines passes (the golang layout's GOPATH, a parent step's
// ENV) and one it does not stops weld build with exit 1 and the finding,
// before any step runs.
func TestLintGateSeesBaseConfigs(t *testing.T) {
	e := testEnv(t)
	golang := "golang=oci-layout://" + filepath.Join(e.images, "golang")
	const twoSteps = "build:\n  version: 2016-03-14\n  steps:\n    parent:\n      name: weld-lintbase-parent\n      dockerfile: Dockerfile.parent\n    child:\n      name: weld-lintbase-child\n      dockerfile: Dockerfile.child\n"
	for _, tc := range []struct {
		name, yml, parent, child string
		want                     string // the finding; "" for none
	}{
		{"layout defines it", srcBuildYML, "", "FROM golang\nENV A=$GOPATH\nUSER 1000\n", ""},
		{"layout lacks it", srcBuildYML, "", "FROM busybox\nENV A=$GOPATH\nUSER 1000\n",
			"Dockerfile:2: error UndefinedVar: step app: Usage of undefined variable '$GOPATH'"},
		{"parent defines it", twoSteps, "FROM golang\nENV PARENTVAR=1\nUSER 1000\n", "FROM weld-lintbase-parent\nENV A=$PARENTVAR B=$GOPATH\n", ""},
		{"parent lacks it", twoSteps, "FROM golang\nENV PARENTVAR=1\nUSER 1000\n", "FROM weld-lintbase-parent\nENV A=$NOTPARENT\n",
			"Dockerfile.child:2: error UndefinedVar: step child: Usage of undefined variable '$NOTPARENT'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := nonce(t)
			files := map[string]string{"build.yml": tc.yml, "weld.policy.yml": "rules:\n  UndefinedVar: error\n"}
			run := "RUN echo built-" + n + "\n"
			if tc.parent != "" {
				files["Dockerfile.parent"] = tc.parent + run
				files["Dockerfile.child"] = tc.child
			} else {
				files["Dockerfile"] = tc.child + run
			}
			dir := writeProject(t, files)
			w := e.command(dir, e.host, "--image", golang, "--output", "oci:out")
			code := w.run(t, 3*time.Minute)
			if tc.want == "" {
				w.expect(t, code, 0, "built-"+n)
				if strings.Contains(w.stderr.String(), "UndefinedVar") {
					t.Errorf("weld build found an undefined variable the base defines:\n%s", w.stderr.String())
				}
				return
			}
			w.expect(t, code, 1, tc.want, "nothing was built")
			if strings.Contains(w.stderr.String(), "built-"+n) {
				t.Errorf("a step ran before the lint gate refused the build:\n%s", w.stderr.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
				t.Errorf("out exists (err %v): nothing may be built or published", err)
			}
		})
	}
}

// TestLintGateDeniedParentBase: a step built FROM a step whose base (an OCI
// layout) carries an ONBUILD trigger that copies from an image the policy
// does not allow: the lint gate, converting the parent, meets the daemon's
// denial and weld reports it in the static check's form, before anything
// builds.
func TestLintGateDeniedParentBase(t *testing.T) {
	e := testEnv(t)
	mk := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    trap:\n      name: weld-lintbase-trap\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nONBUILD COPY --from=unvetted/x:1 /x /x\n",
	})
	w := e.command(mk, e.host, "--provenance", "none", "--output", "oci:out")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml":         "build:\n  version: 2016-03-14\n  steps:\n    parent:\n      name: weld-lintbase-parent\n      dockerfile: Dockerfile.parent\n    app:\n      name: weld-lintbase-app\n      dockerfile: Dockerfile\n",
		"Dockerfile.parent": "FROM weld/trap:1\nRUN echo built-" + n + "\nUSER 1000\n",
		"Dockerfile":        "FROM weld-lintbase-parent\nRUN true\n",
		"weld.policy.yml":   "allowed_bases: [busybox, 'weld/trap:*']\n",
	})
	w = e.command(dir, e.host, "--image", "weld/trap:1=oci-layout://"+filepath.Join(mk, "out", "trap"), "--output", "oci:out")
	w.expect(t, w.run(t, 3*time.Minute), 1,
		"step app: image docker.io/unvetted/x:1 (refused by BuildKit's source policy) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox, weld/trap:*)")
	if strings.Contains(w.stderr.String(), "built-"+n) {
		t.Errorf("a step ran before the lint gate refused the build:\n%s", w.stderr.String())
	}
}
