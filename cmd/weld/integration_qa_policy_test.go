//go:build integration

package main

// Attacks of a hostile tenant on the policy's two layers, from the command
// line.

import (
	"strings"
	"testing"
	"time"
)

// qaTwoSteps: step a's ONBUILD trigger copies --from a name that is a
// stage in a's Dockerfile but an external image where the trigger runs, in
// step b (FROM a): the static check judges it there (policy.triggerRefs).
var qaTwoSteps = map[string]string{
	"build.yml": `build:
  version: 2016-03-14
  steps:
    a:
      name: weld-qa-a
      dockerfile: Dockerfile
      context: a
    b:
      name: weld-qa-b
      dockerfile: Dockerfile
      context: b
      depends_on: [a]
`,
	"a/Dockerfile": "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /bin/busybox /x\nUSER 1000\n",
	"b/Dockerfile": "FROM weld-qa-a\nRUN true\nUSER 1000\n",
}

// TestQAPolicyReplaceEntryIsVetted: a replace entry that no FROM names
// still let the daemon pull its target (an image outside allowed_bases):
// weld allows every replacement by exact identity in BuildKit's source
// policy. weld now refuses it before any daemon: here at its use, the
// trigger of a that runs in b (an entry no Dockerfile uses is refused at its
// own line: policy.TestCheckReplacements).
func TestQAPolicyReplaceEntryIsVetted(t *testing.T) {
	e := testEnv(t)
	files := map[string]string{}
	for k, v := range qaTwoSteps {
		files[k] = v
	}
	files["weld.policy.yml"] = "allowed_bases: [busybox]\nreplace:\n  unvetted: 127.0.0.1:1/evil/y:1\n"
	dir := writeProject(t, files)
	const want = "a/Dockerfile:2: step b: image 127.0.0.1:1/evil/y:1 (replacing unvetted) (ONBUILD COPY --from of step a) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"
	w := e.command(dir, "unix:///nonexistent/buildkitd.sock", "--output", "oci:out")
	w.expect(t, w.run(t, time.Minute), 1, want)
	if strings.Contains(w.stderr.String(), "nonexistent") {
		t.Errorf("weld contacted the daemon before refusing; stderr:\n%s", w.stderr.String())
	}
	lw, code := e.run(t, dir, "lint")
	lw.expect(t, code, 1, want)
}
