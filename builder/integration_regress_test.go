//go:build integration

package builder_test

// Regression tests for bugs the integration tests found, each with what
// failed and why.

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
)

// TestCleanupSquashesOntoAnImage is TestCleanupSquashesOntoAStep with an
// external base replaced by --image (FROM busybox).
//
// Was broken: the squash's base state is llb.OCILayout("weldbase0@sha256:…")
// (builder/images.go), a ref with no domain; the daemon parses it as
// "dummy://weldbase0@sha256:…" and fails with `failed to load cache key:
// parse "dummy://weldbase0@sha256:…": invalid port`. The Dockerfile frontend
// uses the normalized name instead (docker.io/library/busybox@sha256:…).
func TestCleanupSquashesOntoAnImage(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := cleanupProject(t, n, "busybox", nil, nil)
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
	b.mustPass(t)
	checkSquashed(t, readLayout(t, filepath.Join(out, "tidy")), readLayout(t, filepath.Join(e.images, "busybox")), n)
}

// TestTypedErrorsSurviveTheSession: the errors a step's session returns
// (StepError with its Tail, ErrMissingArtifact, ErrCommandFailed) reach the
// caller of Run intact.
//
// Was broken: they are returned from the gateway build function inside
// client.Build, which sends them through BuildKit's gRPC session; what comes
// back is a "failed to solve: step …" string error. So errors.Is with the
// exported sentinels is false, a command's or test's StepError.Tail is empty
// (explain makes a new StepError around the string), and the message names
// the step twice: `step "x": failed to solve: step "x" (...): ...`.
func TestTypedErrorsSurviveTheSession(t *testing.T) {
	e := testEnv(t)
	t.Run("missing artifact", func(t *testing.T) {
		n := nonce(t)
		dir := writeProject(t, map[string]string{
			"build.yml": `build:
  version: 2016-03-14
  steps:
    producer:
      dockerfile: Dockerfile
      artifacts:
        - /nowhere/missing.bin
`,
			"Dockerfile": "FROM busybox\nRUN echo " + n + " > /present\n",
		})
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir)
		if !errors.Is(b.err, builder.ErrMissingArtifact) {
			t.Errorf("Run error %v: errors.Is(err, ErrMissingArtifact) = false", b.err)
		}
		checkStepNamedOnce(t, b.err, "producer")
	})
	t.Run("command", func(t *testing.T) {
		n := nonce(t)
		dir := writeProject(t, map[string]string{
			"build.yml": `build:
  version: 2016-03-14
  steps:
    checked:
      dockerfile: Dockerfile
      command: sh -c "echo cmd-said-` + n + `; exit 7"
`,
			"Dockerfile": "FROM busybox\nRUN echo " + n + " > /marker\n",
		})
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir)
		if !errors.Is(b.err, builder.ErrCommandFailed) {
			t.Errorf("Run error %v: errors.Is(err, ErrCommandFailed) = false", b.err)
		}
		var se *builder.StepError
		if !errors.As(b.err, &se) {
			t.Fatalf("Run error %v holds no *StepError", b.err)
		}
		if !strings.Contains(strings.Join(se.Tail, "\n"), "cmd-said-"+n) {
			t.Errorf("StepError.Tail = %q, want the command's output cmd-said-%s", se.Tail, n)
		}
		checkStepNamedOnce(t, b.err, "checked")
	})
}

func checkStepNamedOnce(t *testing.T, err error, label string) {
	t.Helper()
	if err == nil {
		t.Fatal("Run succeeded, want a failure")
	}
	if c := strings.Count(err.Error(), `step "`+label+`"`); c != 1 {
		t.Errorf("Run error %q names step %q %d times, want once", err, label, c)
	}
}
