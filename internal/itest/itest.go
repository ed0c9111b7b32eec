// Package itest holds the helpers that weld's tests share (builder's and
// cmd/weld's integration tests, and the unit tests that need special
// files): unique nonces, throwaway projects and build files, FIFOs and
// symlinks, and watching the daemon's processes. It is imported only by
// tests.
package itest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Nonce returns a random hex string, unique per call: it defeats the cache
// and marks what a test looks for.
func Nonce(t testing.TB) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// WriteProject writes files (path relative to a fresh temp dir → content)
// and returns the dir.
func WriteProject(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	WriteFiles(t, dir, files)
	return dir
}

// ProcsWith returns the pids whose command line holds s.
func ProcsWith(s string) []string {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		dt, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(dt), s) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// WaitForProcess waits until a process whose command line holds s runs.
func WaitForProcess(t testing.TB, s string, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if len(ProcsWith(s)) > 0 {
			return
		}
	}
	t.Fatalf("no process with %q in its command line started within %v (the RUN did not start)", s, d)
}

// WaitNoProcess fails unless every process holding s has ended within d.
func WaitNoProcess(t testing.TB, s string, d time.Duration) {
	t.Helper()
	var pids []string
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if pids = ProcsWith(s); len(pids) == 0 {
			return
		}
	}
	t.Errorf("the RUN's process is still running %v after the build was stopped (pids %v): the daemon's solve was not canceled", d, pids)
}
