package itest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Buildkitd is a daemon a test started for itself.
type Buildkitd struct {
	// Dir is its folder (state, socket, log, pid file).
	Dir string
	// Addr is its unix:// address.
	Addr string
}

// Pid is the daemon's process id, from its pid file.
func (d Buildkitd) Pid(t testing.TB) int {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(d.Dir, "buildkitd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(dt)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// StartBuildkitds starts n buildkitds with the repository's
// scripts/buildkitd.sh (root is the repository), each limited to one step
// at a time (max-parallelism = 1: one machine each) and allowed plain HTTP
// to registry; they stop when the test ends. It fails the test, saying
// what is missing, when they cannot start.
func StartBuildkitds(t testing.TB, root string, n int, registry string) []Buildkitd {
	t.Helper()
	script, err := filepath.Abs(filepath.Join(root, "scripts", "buildkitd.sh"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "wf") // short: a unix socket path has 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	out := make([]Buildkitd, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		dir := filepath.Join(base, "bk"+strconv.Itoa(i+1))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(dir, "buildkitd.toml")
		toml := fmt.Sprintf("[worker.oci]\n  max-parallelism = 1\n[registry.%q]\n  http = true\n", registry)
		if err := os.WriteFile(conf, []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = exec.Command(script, "stop", dir).Run() })
		wg.Go(func() { out[i], errs[i] = startOne(script, dir, conf) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("starting %d buildkitds with %s (needs root, buildkitd and runc: scripts/setup.sh): %v", n, script, err)
	}
	return out
}

func startOne(script, dir, conf string) (Buildkitd, error) {
	var err error
	for range 2 { // once more: a start-up on a loaded machine can fail
		var out []byte
		if out, err = exec.Command(script, "start", dir, "--config", conf).Output(); err == nil {
			return Buildkitd{Dir: dir, Addr: strings.TrimSpace(string(out))}, nil
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		_ = exec.Command(script, "stop", dir).Run()
	}
	return Buildkitd{}, err
}
