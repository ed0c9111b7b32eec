//go:build integration

package builder_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
)

// TestDockerignore: the context weld hands the frontend (as an input, which
// the frontend does not filter) honours .dockerignore, and a Dockerfile's
// own <Dockerfile>.dockerignore wins over it.
func TestDockerignore(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		".dockerignore":               "secret.txt\nsub/ignored\n",
		"secret.txt":                  "do not ship " + n,
		"kept.txt":                    "kept " + n,
		"sub/ignored":                 "ignored " + n,
		"Dockerfile":                  "FROM busybox\nCOPY . /ctx/\n",
		"Dockerfile.own":              "FROM busybox\nCOPY . /ctx/\n",
		"Dockerfile.own.dockerignore": "kept.txt\n",
		"build.yml": `build:
  version: 2016-03-14
  steps:
    root:
      name: root
    own:
      name: own
      dockerfile: Dockerfile.own
`,
	})
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
	b.mustPass(t)
	root := readLayout(t, filepath.Join(out, "root"))
	if _, ok := root.file("ctx/secret.txt"); ok {
		t.Error("root: ctx/secret.txt is in the image; .dockerignore excludes it")
	}
	if _, ok := root.file("ctx/sub/ignored"); ok {
		t.Error("root: ctx/sub/ignored is in the image; .dockerignore excludes it")
	}
	root.mustFile(t, "ctx/kept.txt")
	own := readLayout(t, filepath.Join(out, "own"))
	if _, ok := own.file("ctx/kept.txt"); ok {
		t.Error("own: ctx/kept.txt is in the image; Dockerfile.own.dockerignore excludes it")
	}
	own.mustFile(t, "ctx/secret.txt") // the context's .dockerignore does not apply to it
}

// TestArtifactsDirAndAfterBuild: --artifacts-dir writes each artifact to the
// host as Habitus lays it out (DIR/<dest>/<basename>), and
// after_build_command runs on the host only when asked.
func TestArtifactsDirAndAfterBuild(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN mkdir -p /out/tree && echo " + n + " > /out/app && echo leaf > /out/tree/leaf\n",
		"build.yml": `build:
  version: 2016-03-14
  steps:
    compile:
      name: compile
      artifacts:
        - /out/app
        - /out/tree:bin
      after_build_command: echo ran > after.txt
`,
	})
	for _, run := range []bool{false, true} {
		arts := filepath.Join(t.TempDir(), "arts")
		_ = os.Remove(filepath.Join(dir, "after.txt"))
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir,
			builder.WithArtifactsDir(arts), builder.WithAfterBuildCommands(run))
		b.mustPass(t)
		if dt, err := os.ReadFile(filepath.Join(arts, "app")); err != nil || strings.TrimSpace(string(dt)) != n {
			t.Errorf("arts/app = %q, %v; want %q", dt, err, n)
		}
		if dt, err := os.ReadFile(filepath.Join(arts, "bin", "tree", "leaf")); err != nil || strings.TrimSpace(string(dt)) != "leaf" {
			t.Errorf("arts/bin/tree/leaf = %q, %v; want leaf", dt, err)
		}
		_, err := os.Stat(filepath.Join(dir, "after.txt"))
		if ran := err == nil; ran != run {
			t.Errorf("WithAfterBuildCommands(%v): after_build_command ran = %v", run, ran)
		}
	}
}
