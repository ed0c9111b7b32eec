//go:build integration

package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQAServeRunsNoGitOnUpload: an upload carrying its own .git, whose
// config has git check commit signatures on log with a gpg.program (a
// command git runs), builds under weld serve without git ever running on
// it: the program never runs, and the image has SOURCE_DATE_EPOCH 0 (not
// the commit's time) and no revision label.
func TestQAServeRunsNoGitOnUpload(t *testing.T) {
	n := nonce(t)
	s, _, out := serveSetup(t, "unused-"+n)
	repo := t.TempDir()
	marker := filepath.Join(t.TempDir(), "ran")
	script := writeFile(t, filepath.Join(t.TempDir(), "gpg.sh"), "#!/bin/sh\ntouch "+marker+"\n")
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	gitIn := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		o, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(o))
	}
	gitIn("", "init", "-q")
	tree := gitIn("", "mktree")
	commit := gitIn("tree "+tree+"\nauthor a <a@a> 1700000000 +0000\ncommitter a <a@a> 1700000000 +0000\n"+
		"gpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----\n\nsigned\n", "hash-object", "-t", "commit", "-w", "--stdin")
	gitIn("", "update-ref", "HEAD", commit)
	gitIn("", "config", "log.showSignature", "true")
	gitIn("", "config", "gpg.program", script)
	files := map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-it/nogit\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /n\n",
	}
	err := filepath.WalkDir(filepath.Join(repo, ".git"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dt, err := os.ReadFile(p)
		rel, _ := filepath.Rel(repo, p)
		files[filepath.ToSlash(rel)] = string(dt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	id := s.submitTar(t, serveTokenA, "", tarGz(t, files))
	evs := s.follow(t, serveTokenA, id, 3*time.Minute)
	if len(evs) == 0 || !strings.Contains(evs[len(evs)-1].data, `"succeeded"`) {
		t.Fatalf("the build did not succeed: %+v\nserver log:\n%s", evs, s.log())
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("weld serve ran git on the upload: its gpg.program ran")
	}
	layout := filepath.Join(out, "a", id, "app")
	var root, idx struct {
		Manifests []struct {
			Digest      string
			Annotations map[string]string
		}
	}
	readJSONFile(t, filepath.Join(layout, "index.json"), &root)
	readJSONFile(t, blobOf(layout, strings.TrimPrefix(root.Manifests[0].Digest, "sha256:")), &idx)
	var man struct{ Config struct{ Digest string } }
	readJSONFile(t, blobOf(layout, strings.TrimPrefix(idx.Manifests[0].Digest, "sha256:")), &man)
	var cfg struct {
		Created string
		Config  struct{ Labels map[string]string }
	}
	readJSONFile(t, blobOf(layout, strings.TrimPrefix(man.Config.Digest, "sha256:")), &cfg)
	if cfg.Created != "1970-01-01T00:00:00Z" {
		t.Errorf("the image was created %s, want SOURCE_DATE_EPOCH 0 (git was not to be asked)", cfg.Created)
	}
	if rev := cfg.Config.Labels["org.opencontainers.image.revision"]; rev != "" {
		t.Errorf("the image has the revision label %q, want none (no revision= was given)", rev)
	}
}
