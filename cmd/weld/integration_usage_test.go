//go:build integration

package main

import (
	"os/exec"
	"testing"
	"time"
)

// TestUsageErrorsExit2: an unknown command, like an unknown flag, is a
// usage error: exit 2, before anything else happens.
func TestUsageErrorsExit2(t *testing.T) {
	e := testEnv(t)
	for _, args := range [][]string{{"nosuch"}, {"build", "--nosuch"}, {"plan", "--format", "nosuch"}} {
		w := &weld{cmd: exec.Command(e.bin, args...)}
		w.cmd.Dir = t.TempDir()
		w.cmd.Stdout, w.cmd.Stderr = &w.stdout, &w.stderr
		w.expect(t, w.run(t, 30*time.Second), 2)
	}
}
