package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// evilCheckout makes a git checkout whose one commit (at 1700000000)
// carries a signature and whose own config asks git to check signatures
// on log with gpg.program, a script that writes the file it returns.
func evilCheckout(t *testing.T) (dir, marker string) {
	t.Helper()
	dir = t.TempDir()
	marker = filepath.Join(t.TempDir(), "ran")
	gitIn := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	gitIn("", "init", "-q")
	tree := gitIn("", "mktree")
	commit := gitIn("tree "+tree+"\nauthor a <a@a> 1700000000 +0000\ncommitter a <a@a> 1700000000 +0000\n"+
		"gpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----\n\nsigned\n", "hash-object", "-t", "commit", "-w", "--stdin")
	gitIn("", "update-ref", "HEAD", commit)
	script := filepath.Join(t.TempDir(), "gpg.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	gitIn("", "config", "log.showSignature", "true")
	gitIn("", "config", "gpg.program", script)
	// The checkout really runs it for a plain git log.
	gitIn("", "log", "-1", "--format=%ct")
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the checkout's gpg.program did not run for git log, so this test proves nothing: %v", err)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	return dir, marker
}

// TestGitRunsNoCheckoutProgram: the commit time is read without running
// the gpg.program a checkout's config names; with WithoutGit (weld
// serve's uploads) git does not run at all: epoch 0, no revision label.
func TestGitRunsNoCheckoutProgram(t *testing.T) {
	dir, marker := evilCheckout(t)
	if got := gitCommitTime(context.Background(), dir); got != "1700000000" {
		t.Errorf("gitCommitTime = %q, want 1700000000", got)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("gitCommitTime ran the checkout's gpg.program")
	}

	o, err := makeOptions([]Option{WithoutGit()})
	if err != nil {
		t.Fatal(err)
	}
	setEpoch(context.Background(), o, dir)
	setRevision(context.Background(), o, dir)
	if o.repro.epoch != "0" || o.labels[LabelRevision] != "" {
		t.Errorf("WithoutGit: epoch %q, revision %q; want 0 and none", o.repro.epoch, o.labels[LabelRevision])
	}
	o, err = makeOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	setRevision(context.Background(), o, dir)
	if len(o.labels[LabelRevision]) != 40 {
		t.Errorf("without WithoutGit the revision label is %q, want the commit", o.labels[LabelRevision])
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a checkout's gpg.program ran")
	}
}
