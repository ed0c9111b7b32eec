//go:build integration

package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// startBuildkitd starts a buildkitd of the test's own with its state in dir,
// listening on addr (dial is where net.Dial finds it: "unix" paths start
// with a slash), and stops it when the test ends. It returns the process.
func startBuildkitd(t *testing.T, dir, addr, dial string, args ...string) *os.Process {
	t.Helper()
	bin, err := exec.LookPath("buildkitd")
	if err != nil {
		t.Fatalf("buildkitd is not on PATH (scripts/test.sh puts $WELD_TOOLS/bin there): %v", err)
	}
	d := exec.Command(bin, append([]string{"--root", filepath.Join(dir, "state"), "--addr", addr,
		"--oci-worker=true", "--containerd-worker=false"}, args...)...)
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		t.Fatal(err)
	}
	d.Stdout, d.Stderr = logf, logf
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = d.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = d.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = d.Process.Kill()
		}
	})
	network := "tcp"
	if filepath.IsAbs(dial) {
		network = "unix"
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if c, err := net.Dial(network, dial); err == nil {
			c.Close()
			return d.Process
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("buildkitd did not listen on %s within 30 s; its log:\n%s", addr, log)
		}
	}
}
