//go:build integration

package main

// CLI tests of ONBUILD triggers judged where they run: in the step that
// builds FROM the image, where a stage name of the parent's Dockerfile is an
// external image unless the child has such a stage.

import (
	"strings"
	"testing"
	"time"
)

// onbuildYML: step a, and step b built FROM a's image.
const onbuildYML = `build:
  version: 2016-03-14
  steps:
    a:
      name: weld-qa-onbuild-a
      dockerfile: a.Dockerfile
      target: TARGET
    b:
      name: weld-qa-onbuild-b
      dockerfile: b.Dockerfile
`

// onbuildProject writes the two steps' Dockerfiles, a's target (its last
// stage when ""), and the policy allowed_bases: [busybox].
func onbuildProject(t *testing.T, a, target, b string) string {
	t.Helper()
	yml := strings.Replace(onbuildYML, "TARGET", target, 1)
	if target == "" {
		yml = strings.Replace(onbuildYML, "      target: TARGET\n", "", 1)
	}
	return writeProject(t, map[string]string{
		"build.yml": yml, "a.Dockerfile": a, "b.Dockerfile": b,
		"weld.policy.yml": "allowed_bases: [busybox]\n", // the rule is at weld.policy.yml:1:16
	})
}

// TestQAOnbuildStageNameRefusedBeforeAnyDaemon: a's Dockerfile calls a stage
// "unvetted", and its ONBUILD trigger copies (or mounts) from "unvetted". In
// b, which builds FROM a, that is the image docker.io/library/unvetted:latest.
// weld build and weld lint refuse it (exit 1) naming a's Dockerfile:line, the
// step b, the image and the rule, and no connection reaches the daemon.
func TestQAOnbuildStageNameRefusedBeforeAnyDaemon(t *testing.T) {
	e := testEnv(t)
	const child = "FROM weld-qa-onbuild-a\nUSER 1000\n"
	cases := []struct{ name, a, target, want string }{
		{"COPY --from", "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\n", "",
			"a.Dockerfile:2: step b: image unvetted (ONBUILD COPY --from of step a) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"},
		{"RUN --mount from=", "FROM busybox AS unvetted\nONBUILD RUN --mount=type=bind,from=unvetted,target=/m true\n", "",
			"a.Dockerfile:2: step b: image unvetted (ONBUILD RUN --mount from= of step a) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"},
		{"a's target stage", "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\nFROM busybox\n", "unvetted",
			"a.Dockerfile:2: step b: image unvetted (ONBUILD COPY --from of step a) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := onbuildProject(t, tc.a, tc.target, child)
			host, touched := trustSpyDaemon(t)
			w := e.command(dir, host, "--output", "oci:out")
			w.expect(t, w.run(t, time.Minute), 1, tc.want)
			if touched() {
				t.Errorf("weld connected to the daemon before refusing; stderr:\n%s", w.stderr.String())
			}
			lw := e.command(dir, host)
			lw.cmd.Args = []string{e.bin, "lint"}
			lw.expect(t, lw.run(t, time.Minute), 1, tc.want)
			if touched() {
				t.Errorf("weld lint connected to the daemon; stderr:\n%s", lw.stderr.String())
			}
		})
	}
}

// TestQAOnbuildAllowedStillBuild: the daemon agrees with what the check
// lets through. A trigger of a stage that is not a's target never reaches
// b; a trigger whose "unvetted" is a stage of b's own Dockerfile copies from
// that stage (b proves it ran).
func TestQAOnbuildAllowedStillBuild(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	cases := []struct{ name, a, b string }{
		{"a non-target stage's trigger", "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\nFROM busybox\nUSER 1000\n",
			"FROM weld-qa-onbuild-a\nRUN test ! -e /x && echo " + n + "\nUSER 1000\n"},
		{"b's own stage", "FROM busybox AS unvetted\nONBUILD COPY --from=unvetted /x /x\nUSER 1000\n",
			"FROM busybox AS unvetted\nRUN echo " + n + " > /x\nFROM weld-qa-onbuild-a\nUSER 0\nRUN grep -q " + n + " /x\nUSER 1000\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := onbuildProject(t, tc.a, "", tc.b)
			w := e.command(dir, e.host, "--output", "oci:out")
			w.expect(t, w.run(t, 3*time.Minute), 0)
		})
	}
}
