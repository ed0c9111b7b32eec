//go:build integration

package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestUsageErrorsExit2: an unknown command, like an unknown flag, is a
// usage error: exit 2, before anything else happens.
func TestUsageErrorsExit2(t *testing.T) {
	e := testEnv(t)
	for _, args := range [][]string{{"nosuch"}, {"build", "--nosuch"}, {"plan", "--format", "nosuch"}, {"help", "nosuch"}, {"report"}} {
		w := &weld{cmd: exec.Command(e.bin, args...)}
		w.cmd.Dir = t.TempDir()
		w.cmd.Stdout, w.cmd.Stderr = &w.stdout, &w.stderr
		w.expect(t, w.run(t, 30*time.Second), 2)
	}
}

// TestNoPublishNoticeWithoutImages: a build whose steps have no name:
// publishes nothing, so weld does not say where it would publish.
func TestNoPublishNoticeWithoutImages(t *testing.T) {
	e := testEnv(t)
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    a:\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nRUN echo " + nonce(t) + " > /x\n",
	})
	w := e.command(dir, e.host)
	w.cmd.Env = append(w.cmd.Env, "DOCKER_HOST=unix:///nonexistent/docker.sock")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	if strings.Contains(w.stderr.String(), "publishing to") {
		t.Errorf("weld announced a publish for a build with no image name; stderr:\n%s", w.stderr.String())
	}
}
