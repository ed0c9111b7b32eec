//go:build integration

package main

// CLI tests of the policy file, weld lint and weld affected, against the
// real binary and daemon that scripts/test.sh provides.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// run runs `weld args…` in dir (no daemon needed) and returns its exit code.
func (e cliEnv) run(t *testing.T, dir string, args ...string) (*weld, int) {
	t.Helper()
	w := &weld{cmd: exec.Command(e.bin, args...)}
	w.cmd.Dir = dir
	w.cmd.Env = append(os.Environ(), "BUILDKIT_HOST=unix:///nonexistent/buildkitd.sock")
	w.cmd.Stdout, w.cmd.Stderr = &w.stdout, &w.stderr
	return w, w.run(t, time.Minute)
}

// TestPolicyRefusedBaseStopsBuild: a FROM outside allowed_bases, in any
// stage, exits 1 before any daemon is contacted, naming the step, the
// Dockerfile line, the base and the rule.
func TestPolicyRefusedBaseStopsBuild(t *testing.T) {
	e := testEnv(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    compile:
      dockerfile: Dockerfile.compile
    app:
      name: weld-policy-app
      dockerfile: Dockerfile.app
`,
		"Dockerfile.compile": "FROM busybox:1.36 AS ok\nRUN true\nFROM golang:1.26\nRUN go version\n",
		"Dockerfile.app":     "FROM busybox\nUSER 1000\n",
		"weld.policy.yml":    "# only busybox\nallowed_bases:\n  - docker.io/library/busybox:*\n",
	})
	w := e.command(dir, "unix:///nonexistent/buildkitd.sock", "--metadata-file", "m.json")
	w.expect(t, w.run(t, time.Minute), 1,
		"Dockerfile.compile:3: step compile: base golang:1.26 is not allowed by weld.policy.yml:3:3 (allowed_bases: docker.io/library/busybox:*)")
	if strings.Contains(w.stderr.String(), "nonexistent") {
		t.Errorf("weld contacted the daemon before refusing the base; stderr:\n%s", w.stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "m.json")); err == nil {
		t.Errorf("m.json was written: something ran")
	}
	// The same refusal from weld lint, and from --policy FILE elsewhere.
	if err := os.Rename(filepath.Join(dir, "weld.policy.yml"), filepath.Join(dir, "ops.yml")); err != nil {
		t.Fatal(err)
	}
	lw, code := e.run(t, dir, "lint", "--policy", "ops.yml")
	lw.expect(t, code, 1, "Dockerfile.compile:3: step compile: base golang:1.26 is not allowed by ops.yml:3:3")
}

// TestPolicyReplaceSwapsBase: replace builds a base from an OCI layout, or
// from another ref (here mapped by --image), and says so for each swap.
func TestPolicyReplaceSwapsBase(t *testing.T) {
	e := testEnv(t)
	layout := filepath.Join(e.images, "busybox")
	for _, tc := range []struct{ name, to string }{
		{"oci-layout", "oci-layout://" + layout},
		{"ref", "busybox"}, // --image busybox=oci-layout://… (added by e.command)
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := nonce(t)
			dir := writeProject(t, map[string]string{
				"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: weld-policy-replace
      dockerfile: Dockerfile
`,
				"Dockerfile":      "FROM node:10.4.8\nRUN busybox echo " + n + " > /replaced\nUSER 1000\n",
				"weld.policy.yml": "allowed_bases: [busybox, 'node:*']\nreplace:\n  node:10.4.8: " + tc.to + "\n",
			})
			w := e.command(dir, e.host, "--output", "oci:out", "--metadata-file", "m.json")
			w.expect(t, w.run(t, 3*time.Minute), 0,
				"Dockerfile:1: step app: policy weld.policy.yml:3:3 replaces base node:10.4.8 with "+tc.to)
			md := readPolicyMetadata(t, filepath.Join(dir, "m.json"))
			var bases []map[string]string
			_ = json.Unmarshal(md["app"]["weld.bases"], &bases)
			if len(bases) != 1 || bases[0]["ref"] != "node:10.4.8" || !strings.HasPrefix(bases[0]["digest"], "sha256:") || !strings.Contains(bases[0]["source"], layout) {
				t.Errorf("m.json app.weld.bases = %s, want node:10.4.8 with the layout's digest", md["app"]["weld.bases"])
			}
		})
	}
}

// TestLintExits1OnError: weld lint prints findings with file:line and rule;
// warnings exit 0, an error-severity finding (set in the policy) exits 1, a
// bad policy exits 2 at its line:col.
func TestLintExits1OnError(t *testing.T) {
	e := testEnv(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: weld-lint-app
      dockerfile: Dockerfile
`,
		"Dockerfile": "FROM busybox:1.36\nEXPOSE 22\nCMD echo hi\n",
	})
	w, code := e.run(t, dir, "lint")
	w.expect(t, code, 0)
	for _, want := range []string{
		"Dockerfile:2: warning ExposeSSH: step app:",
		"Dockerfile:3: warning JSONArgsRecommended: step app:",
		"Dockerfile:1: warning RootUser: step app:",
	} {
		if !strings.Contains(w.stdout.String(), want) {
			t.Errorf("weld lint stdout does not hold %q:\n%s", want, w.stdout.String())
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "weld.policy.yml"), []byte("rules:\n  ExposeSSH: error\n  JSONArgsRecommended: off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, code = e.run(t, dir, "lint", "--format", "json")
	w.expect(t, code, 1)
	var out struct {
		Findings []struct{ Rule, Severity, Step string } `json:"findings"`
		Errors   int                                     `json:"errors"`
	}
	if err := json.Unmarshal(w.stdout.Bytes(), &out); err != nil {
		t.Fatalf("weld lint --format json: %v\n%s", err, w.stdout.String())
	}
	if out.Errors != 1 || slices.ContainsFunc(out.Findings, func(f struct{ Rule, Severity, Step string }) bool { return f.Rule == "JSONArgsRecommended" }) {
		t.Errorf("weld lint --format json = %s, want 1 error and no JSONArgsRecommended", w.stdout.String())
	}
	// weld build runs the same checks first (BuildKit's through the
	// daemon's lint subrequest), and stops before building anything.
	bw := e.command(dir, e.host, "--image", "busybox:1.36=oci-layout://"+filepath.Join(e.images, "busybox"), "--output", "oci:out")
	bw.expect(t, bw.run(t, time.Minute), 1, "Dockerfile:2: error ExposeSSH: step app:", "nothing was built")
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("out exists (err %v): nothing may be built or published", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weld.policy.yml"), []byte("rules:\n  ExposeSSH: fatal\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, code = e.run(t, dir, "lint")
	w.expect(t, code, 2, "weld.policy.yml:2:14: rules: ExposeSSH must be error, warning or off")
}

// TestAffectedByBaseBuildsExactly: weld affected --base lists the steps on a
// base and downstream; weld build --affected-by-base builds exactly those
// (the other branch would fail if it were built).
func TestAffectedByBaseBuildsExactly(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    a:
      name: weld-aff-a
      dockerfile: Dockerfile.a
    b:
      name: weld-aff-b
      dockerfile: Dockerfile.b
    c:
      name: weld-aff-c
      dockerfile: Dockerfile.c
      artifacts: [/c.txt]
    d:
      name: weld-aff-d
      dockerfile: Dockerfile.d
      depends_on: [c]
`,
		"Dockerfile.a": "FROM busybox:1.36\nRUN echo " + n + " > /a.txt\n",
		"Dockerfile.b": "FROM weld-aff-a\nRUN cat /a.txt\n",
		"Dockerfile.c": "FROM alpine:3.20\nRUN echo c > /c.txt && exit 7\n",
		"Dockerfile.d": "FROM busybox:1.36\nCOPY c.txt /\n",
	})
	w, code := e.run(t, dir, "affected", "--base", "busybox:1.36")
	w.expect(t, code, 0)
	if got := w.stdout.String(); got != "a\nb\nd\n" {
		t.Errorf("weld affected --base busybox:1.36 = %q, want a, b, d", got)
	}
	w, code = e.run(t, dir, "affected", "--base", "docker.io/library/alpine", "--format", "json")
	w.expect(t, code, 0)
	if !strings.Contains(w.stdout.String(), `"steps": [`+"\n"+`    "c",`+"\n"+`    "d"`) {
		t.Errorf("weld affected --base docker.io/library/alpine --format json = %s, want steps c, d", w.stdout.String())
	}
	w, code = e.run(t, dir, "affected", "--changed", "Dockerfile.b")
	w.expect(t, code, 0)
	if got := w.stdout.String(); got != "a\nb\nc\nd\n" { // the context is the work dir
		t.Errorf("weld affected --changed Dockerfile.b = %q", got)
	}

	// Naming steps as well is bad input.
	bw := e.command(dir, e.host, "--image", "busybox:1.36=oci-layout://"+filepath.Join(e.images, "busybox"),
		"--affected-by-base", "busybox:1.36", "--output", "oci:out", "--metadata-file", "m.json", "a")
	bw.expect(t, bw.run(t, time.Minute), 2, "--affected-by-base selects the steps")

	// With d on alpine too, busybox (any tag) affects a and its FROM child b
	// only; c would fail if it were built.
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile.d"), []byte("FROM alpine:3.20\nCOPY c.txt /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bw = e.command(dir, e.host, "--image", "busybox:1.36=oci-layout://"+filepath.Join(e.images, "busybox"),
		"--affected-by-base", "busybox", "--output", "oci:out", "--metadata-file", "m.json")
	bw.expect(t, bw.run(t, 3*time.Minute), 0, "building the steps affected by busybox: a, b")
	md := readPolicyMetadata(t, filepath.Join(dir, "m.json"))
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range md {
			if !yield(k) {
				return
			}
		}
	})
	if diff := cmp.Diff([]string{"a", "b"}, keys); diff != "" {
		t.Errorf("m.json keys (-want +got):\n%s", diff)
	}
	for _, k := range keys {
		if string(md[k]["status"]) != `"done"` {
			t.Errorf("m.json %s.status = %s, want done", k, md[k]["status"])
		}
	}
}

func readPolicyMetadata(t *testing.T, path string) map[string]map[string]json.RawMessage {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]map[string]json.RawMessage
	if err := json.Unmarshal(dt, &md); err != nil {
		t.Fatalf("parsing %s: %v\n%s", path, err, dt)
	}
	return md
}

// TestPolicyPinDigests: with pin_digests, a base from the registry is
// resolved through the daemon, recorded in weld.bases, and built from that
// digest.
func TestPolicyPinDigests(t *testing.T) {
	e := testEnv(t)
	registry := os.Getenv("WELD_TEST_REGISTRY")
	if registry == "" {
		t.Fatal("TestPolicyPinDigests needs WELD_TEST_REGISTRY (a running registry at 127.0.0.1:PORT); run scripts/test.sh")
	}
	n := nonce(t)
	base := registry + "/weld-pin-base:" + n[:8]
	seed := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    base:\n      name: " + base + "\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /base.txt\nUSER 1000\n",
	})
	w := e.command(seed, e.host, "--push", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	var pushed string
	_ = json.Unmarshal(readPolicyMetadata(t, filepath.Join(seed, "m.json"))["base"]["containerimage.digest"], &pushed)

	dir := writeProject(t, map[string]string{
		"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-pin-app\n      dockerfile: Dockerfile\n",
		"Dockerfile":      "FROM " + base + "\nRUN grep " + n + " /base.txt\n",
		"weld.policy.yml": "allowed_bases: ['" + registry + "/**']\npin_digests: true\n",
	})
	w = e.command(dir, e.host, "--output", "oci:out", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	var bases []map[string]string
	_ = json.Unmarshal(readPolicyMetadata(t, filepath.Join(dir, "m.json"))["app"]["weld.bases"], &bases)
	if len(bases) != 1 || bases[0]["ref"] != base || bases[0]["digest"] != pushed || !strings.HasPrefix(pushed, "sha256:") {
		t.Errorf("m.json app.weld.bases = %v, want %s pinned to the pushed digest %s", bases, base, pushed)
	}
}

// TestPolicyGates: the policy's gates run on an OCI layout of each image
// before anything is published; a refusing gate exits 1, shows its output
// and publishes nothing.
func TestPolicyGates(t *testing.T) {
	e := testEnv(t)
	for _, tc := range []struct {
		name, gate string
		code       int
	}{
		{"passes", "test -f {{oci_dir}}/index.json && echo gate-saw-$WELD_IMAGE", 0},
		{"refuses", "echo scanner found CVE-1 in {{oci_dir}}; exit 4", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{
				"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-gated\n",
				"Dockerfile":      "FROM busybox\nRUN echo " + nonce(t) + " > /x\nUSER 1000\n",
				"weld.policy.yml": "gates:\n  - run: \"" + tc.gate + "\"\n",
			})
			w := e.command(dir, e.host, "--output", "oci:out", "--progress", "plain")
			code := w.run(t, 3*time.Minute)
			if tc.code == 0 {
				w.expect(t, code, 0, "gate-saw-weld-gated")
				if _, err := os.Stat(filepath.Join(dir, "out", "app", "index.json")); err != nil {
					t.Errorf("the image was not published: %v", err)
				}
				return
			}
			w.expect(t, code, 1, "gate weld.policy.yml:2:", "refused image weld-gated", "scanner found CVE-1")
			if _, err := os.Stat(filepath.Join(dir, "out", "app")); !os.IsNotExist(err) {
				t.Errorf("out/app exists (err %v): a refused image must not be published", err)
			}
		})
	}
}
