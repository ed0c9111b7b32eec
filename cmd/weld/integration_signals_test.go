//go:build integration

package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// longProject is a project whose one step runs for 30 s, printing n.
func longProject(t *testing.T, n string) string {
	return writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    long:\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nRUN sh -c 'sleep 30; echo " + n + "'\n",
	})
}

// TestSIGTERMExits143: SIGTERM during a long RUN exits 143 promptly, and
// the daemon's solve is canceled.
func TestSIGTERMExits143(t *testing.T) { signalDuringRun(t, syscall.SIGTERM, 143) }

// signalDuringRun sends sig to weld once a long RUN runs, and wants exit
// code promptly and the RUN's process ended (the daemon's solve canceled).
func signalDuringRun(t *testing.T, sig syscall.Signal, code int) {
	e := testEnv(t)
	n := nonce(t)
	w := e.command(longProject(t, n), e.host)
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cmd.Process.Kill() })
	waitForProcess(t, n, 60*time.Second)
	sent := time.Now()
	if err := w.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	got := w.wait(t, 20*time.Second)
	if took := time.Since(sent); took > 10*time.Second {
		t.Errorf("weld exited %v after %v, want promptly", took, sig)
	}
	w.expect(t, got, code)
	waitNoProcess(t, n, 10*time.Second)
}

// TestSignalWhileWaitingOnADaemon: a daemon address that accepts the
// connection and never answers holds weld in its start-up; SIGINT and
// SIGTERM still end it at once, with 130 and 143.
func TestSignalWhileWaitingOnADaemon(t *testing.T) {
	e := testEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		w := e.command(longProject(t, nonce(t)), "tcp://"+l.Addr().String())
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // past the build file, into the connect
		if err := w.cmd.Process.Signal(tc.sig); err != nil {
			t.Fatal(err)
		}
		w.expect(t, w.wait(t, 15*time.Second), tc.code)
	}
}

// TestDaemonLostMidBuild: when the daemon dies during a build, weld exits 1
// and says which daemon it lost, by address.
func TestDaemonLostMidBuild(t *testing.T) {
	e := testEnv(t)
	// Not t.TempDir: a killed daemon leaves its mounts behind.
	dir, err := os.MkdirTemp("", "weld-lost-daemon-")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "buildkitd.sock")
	addr := "unix://" + sock
	d := startBuildkitd(t, dir, addr, sock)
	n := nonce(t)
	w := e.command(longProject(t, n), addr, "--output", "oci:out")
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cmd.Process.Kill() })
	waitForProcess(t, n, 60*time.Second)
	if err := d.Kill(); err != nil {
		t.Fatal(err)
	}
	// The RUN's container outlives its daemon; end it with the test.
	t.Cleanup(func() {
		for _, pid := range procsWith(n) {
			if p, err := strconv.Atoi(pid); err == nil {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
	w.expect(t, w.wait(t, 60*time.Second), 1, "lost the connection to the BuildKit daemon at "+addr)
}
