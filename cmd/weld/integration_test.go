//go:build integration

package main

// These tests run the real weld binary ($WELD_BIN) against a real buildkitd
// ($BUILDKIT_HOST), for what only the command line shows: exit codes, the
// messages on stderr, and SIGINT. scripts/test.sh sets the environment.

import (
	"github.com/weld-build/weld/internal/itest"

	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Shared with cmd/weld's integration tests (internal/itest).
var (
	nonce          = itest.Nonce
	writeProject   = itest.WriteProject
	procsWith      = itest.ProcsWith
	waitForProcess = itest.WaitForProcess
	waitNoProcess  = itest.WaitNoProcess
)

// cliEnv is what the tests need from scripts/test.sh.
type cliEnv struct{ bin, host, images string }

func testEnv(t *testing.T) cliEnv {
	t.Helper()
	e := cliEnv{bin: os.Getenv("WELD_BIN"), host: os.Getenv("BUILDKIT_HOST"), images: os.Getenv("WELD_TEST_IMAGES")}
	if e.bin == "" || e.host == "" || e.images == "" {
		t.Fatalf("integration tests need WELD_BIN (the weld binary), BUILDKIT_HOST (a running buildkitd) and WELD_TEST_IMAGES (a folder with busybox/ and golang/ OCI layouts); got WELD_BIN=%q BUILDKIT_HOST=%q WELD_TEST_IMAGES=%q; run scripts/test.sh", e.bin, e.host, e.images)
	}
	if _, err := os.Stat(e.bin); err != nil {
		t.Fatalf("WELD_BIN: %v", err)
	}
	return e
}

// weld is one run of the binary.
type weld struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

// command prepares `weld build --progress plain --image busybox=… args…` in
// dir, with BUILDKIT_HOST set to host.
func (e cliEnv) command(dir, host string, args ...string) *weld {
	all := append([]string{"build", "--progress", "plain",
		"--image", "busybox=oci-layout://" + filepath.Join(e.images, "busybox")}, args...)
	w := &weld{cmd: exec.Command(e.bin, all...)}
	w.cmd.Dir = dir
	w.cmd.Env = append(os.Environ(), "BUILDKIT_HOST="+host)
	w.cmd.Stdout, w.cmd.Stderr = &w.stdout, &w.stderr
	return w
}

// run runs weld and returns its exit code.
func (w *weld) run(t *testing.T, timeout time.Duration) int {
	t.Helper()
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return w.wait(t, timeout)
}

func (w *weld) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode()
		}
		t.Fatalf("running weld: %v", err)
	case <-time.After(timeout):
		_ = w.cmd.Process.Kill()
		<-done
		t.Fatalf("weld did not exit within %v; stderr:\n%s", timeout, w.stderr.String())
	}
	return -1
}

// expect fails the test unless weld exited with code and stderr holds
// every string of want.
func (w *weld) expect(t *testing.T, got, code int, want ...string) {
	t.Helper()
	if got != code {
		t.Errorf("weld %s exited %d, want %d; stderr:\n%s", strings.Join(w.cmd.Args[1:], " "), got, code, w.stderr.String())
		return
	}
	for _, s := range want {
		if !strings.Contains(w.stderr.String(), s) {
			t.Errorf("weld's stderr does not hold %q; stderr:\n%s", s, w.stderr.String())
		}
	}
}

// TestBuildSucceeds: exit 0, and --metadata-file has the step's digest.
func TestBuildSucceeds(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    hello:
      name: weld-cli-hello
      dockerfile: Dockerfile
`,
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /hello\n",
	})
	w := e.command(dir, e.host, "--output", "oci:out", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	dt, err := os.ReadFile(filepath.Join(dir, "m.json"))
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]map[string]any
	if err := json.Unmarshal(dt, &md); err != nil {
		t.Fatalf("parsing m.json: %v\n%s", err, dt)
	}
	if d, _ := md["hello"]["containerimage.digest"].(string); !strings.HasPrefix(d, "sha256:") {
		t.Errorf("m.json hello.containerimage.digest = %v, want sha256:…; m.json:\n%s", md["hello"]["containerimage.digest"], dt)
	}
	if name := md["hello"]["image.name"]; name != "weld-cli-hello" {
		t.Errorf("m.json hello.image.name = %v, want weld-cli-hello", name)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "hello", "index.json")); err != nil {
		t.Errorf("out/hello/index.json: %v", err)
	}
}

// TestFailingRunExits1: a failing RUN exits 1; stderr names the step and the
// Dockerfile file:line.
func TestFailingRunExits1(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    breaks:
      dockerfile: Dockerfile.breaks
`,
		"Dockerfile.breaks": "FROM busybox\nRUN echo fine\nRUN echo boom-" + n + " && exit 3\n",
	})
	w := e.command(dir, e.host)
	w.expect(t, w.run(t, 3*time.Minute), 1, `"breaks"`, "Dockerfile.breaks:3", "boom-"+n)
}

// TestMissingArtifactExits1: a missing artifact exits 1; stderr names the
// step and the path.
func TestMissingArtifactExits1(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    producer:
      dockerfile: Dockerfile.producer
      artifacts:
        - /nowhere/missing-` + n[:6] + `.bin
    consumer:
      dockerfile: Dockerfile.consumer
      depends_on: [producer]
`,
		"Dockerfile.producer": "FROM busybox\nRUN echo " + n + " > /present\n",
		"Dockerfile.consumer": "FROM busybox\nCOPY missing-" + n[:6] + ".bin /\n",
	})
	w := e.command(dir, e.host)
	w.expect(t, w.run(t, 3*time.Minute), 1, `"producer"`, "/nowhere/missing-"+n[:6]+".bin")
}

// TestBadBuildFileExits2: a bad build.yml exits 2 with its file:line before
// any daemon is contacted (BUILDKIT_HOST points nowhere).
func TestBadBuildFileExits2(t *testing.T) {
	e := testEnv(t)
	for _, tc := range []struct{ name, yml, want string }{
		{"unknown dependency", `build:
  version: 2016-03-14
  steps:
    a:
      dockerfile: Dockerfile
      depends_on: [nosuchstep]
`, "build.yml:6"},
		{"yaml syntax", "build:\n  version: 2016-03-14\n  steps:\n    a: [unclosed\n", "build.yml:"},
		{"missing dockerfile", `build:
  version: 2016-03-14
  steps:
    a:
      dockerfile: Dockerfile.absent
`, "build.yml:5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"build.yml": tc.yml, "Dockerfile": "FROM busybox\n"})
			w := e.command(dir, "unix:///nonexistent/buildkitd.sock")
			w.expect(t, w.run(t, 30*time.Second), 2, tc.want)
			if strings.Contains(w.stderr.String(), "nonexistent") {
				t.Errorf("weld contacted the daemon before rejecting the build file; stderr:\n%s", w.stderr.String())
			}
		})
	}
}

// TestSIGINTExits130: SIGINT during a long RUN exits 130 promptly, and the
// daemon's solve is canceled (the RUN's process ends).
func TestSIGINTExits130(t *testing.T) { signalDuringRun(t, syscall.SIGINT, 130) }

// TestCacheFlags: weld build takes --cache-to and --cache-from together (the
// CLI's Dockerfile checks run sessions of their own that import the cache
// too), writes a scope per step, and reads it back.
func TestCacheFlags(t *testing.T) {
	e := testEnv(t)
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    one:\n      name: weld-cache-one\n",
		"Dockerfile": "FROM busybox\nRUN echo " + nonce(t) + " > /x\nUSER 1000\n",
	})
	cache := filepath.Join(t.TempDir(), "cache")
	for i, args := range [][]string{
		{"--cache-to", "type=local,dest=" + cache},
		{"--cache-from", "type=local,src=" + cache, "--cache-to", "type=local,dest=" + cache},
	} {
		w := e.command(dir, e.host, append(args, "--output", "oci:out")...)
		w.expect(t, w.run(t, 3*time.Minute), 0)
		if _, err := os.Stat(filepath.Join(cache, "one", "index.json")); err != nil {
			t.Fatalf("run %d: no cache scope for step one: %v", i, err)
		}
	}
}
