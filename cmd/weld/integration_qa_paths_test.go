//go:build integration

package main

// A hostile project folder plants symlinks where weld keeps its own state
// (the default store's .weld/images, an output folder's .weld-staging and
// .weld.lock, a store's blobs): weld refuses them (exit 2) and writes
// nothing where they point.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/itest"
)

// TestQAPathsPlantedLinksInOwnState: each planted link leads to a victim
// folder outside the project; the build exits 2, names the link, and the
// victim stays empty.
func TestQAPathsPlantedLinksInOwnState(t *testing.T) {
	e := testEnv(t)
	for _, tc := range []struct {
		name  string
		link  string // in the project, a symlink to the victim (or a file in it)
		file  bool   // the link names a file in the victim, not the victim
		args  []string
		shown string // what the error names
	}{
		{name: "the project's .weld", link: ".weld", shown: ".weld"},
		{name: "the default store .weld/images", link: ".weld/images", shown: "images"},
		{name: "the default store's blobs", link: ".weld/images/blobs", shown: "blobs"},
		{name: "the default store's staging folder", link: ".weld/images/.weld-staging", shown: ".weld-staging"},
		{name: "an output folder's staging folder", link: "out/.weld-staging", args: []string{"--output", "oci:out"}, shown: ".weld-staging"},
		{name: "an output folder's lock", link: "out/.weld.lock", file: true, args: []string{"--output", "oci:out"}, shown: ".weld.lock"},
		{name: "a tar output folder's lock", link: "out/.weld.lock", file: true, args: []string{"--output", "type=oci,dest=out,tar=true"}, shown: ".weld.lock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := nonce(t)
			dir := writeProject(t, map[string]string{
				"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-it/qa-paths-" + n[:8] + ":v1\n",
				"Dockerfile": "FROM busybox\nRUN echo " + n + " > /n\n",
			})
			victim := t.TempDir()
			target := victim
			if tc.file {
				target = filepath.Join(victim, "planted")
			}
			link := filepath.Join(dir, tc.link)
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			itest.Symlink(t, target, link)
			w := e.command(dir, e.host, tc.args...).withDockerHost(deadDocker)
			w.expect(t, w.run(t, 2*time.Minute), 2, tc.shown, "symlink")
			ents, err := os.ReadDir(victim)
			if err != nil {
				t.Fatal(err)
			}
			if len(ents) > 0 {
				var names []string
				for _, en := range ents {
					names = append(names, en.Name())
				}
				t.Errorf("weld wrote through the planted %s into %s: %s", tc.link, victim, strings.Join(names, ", "))
			}
		})
	}
}

// TestQAPathsKilledRunStagingReclaimed: a run killed with SIGKILL while
// its image is staged leaves its staging folder behind; the next run on
// that output removes it (its lock died with it), publishes, and leaves
// no staging at all.
func TestQAPathsKilledRunStagingReclaimed(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-it/qa-paths-kill-" + n[:8] + ":v1\n",
		"Dockerfile": "FROM busybox\nARG SLEEP=0\nRUN echo " + n + " > /n && sleep $SLEEP\n",
	})
	out := filepath.Join(dir, "out")
	killed := e.command(dir, e.host, "--output", "oci:out", "--build", "SLEEP=60").withDockerHost(deadDocker)
	if err := killed.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if runs, _ := filepath.Glob(filepath.Join(out, ".weld-staging", "run-*", ".run.lock")); len(runs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			_ = killed.cmd.Process.Kill()
			t.Fatalf("no staging folder appeared within a minute; stderr:\n%s", killed.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = killed.cmd.Process.Kill()
	_ = killed.cmd.Wait()
	stale, _ := filepath.Glob(filepath.Join(out, ".weld-staging", "run-*"))
	if len(stale) == 0 {
		t.Fatal("the killed run left no staging folder: the test proves nothing")
	}
	w := e.command(dir, e.host, "--output", "oci:out").withDockerHost(deadDocker)
	w.expect(t, w.run(t, 2*time.Minute), 0)
	for _, s := range stale {
		if _, err := os.Stat(s); !os.IsNotExist(err) {
			t.Errorf("the killed run's staging folder %s is still there after the next run (%v)", s, err)
		}
	}
	noStaging(t, out)
	if _, err := os.Stat(filepath.Join(out, "app", "index.json")); err != nil {
		t.Errorf("the next run published no layout: %v", err)
	}
}

// TestQAPathsOutputLinkRefusedBeforeBuild: oci:DIR/<label> (or its tar)
// planted as a symlink out of DIR is refused before anything builds (exit
// 2, no RUN in the progress), and the file it points at is untouched.
func TestQAPathsOutputLinkRefusedBeforeBuild(t *testing.T) {
	e := testEnv(t)
	for _, tc := range []struct{ name, output, entry string }{
		{"a layout folder", "oci:out", "app"},
		{"a tar", "type=oci,dest=out,tar=true", "app.tar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := nonce(t)
			dir := writeProject(t, map[string]string{
				"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-it/qa-paths-out-" + n[:8] + ":v1\n",
				"Dockerfile": "FROM busybox\nRUN echo ran-" + n + "\n",
				"out/.keep":  "",
			})
			victim := filepath.Join(t.TempDir(), "keep")
			if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			itest.Symlink(t, victim, filepath.Join(dir, "out", tc.entry))
			w := e.command(dir, e.host, "--output", tc.output).withDockerHost(deadDocker)
			w.expect(t, w.run(t, 2*time.Minute), 2, "out/"+tc.entry, "outside")
			if strings.Contains(w.stderr.String(), "RUN echo ran-") {
				t.Errorf("the step built before the output was refused; stderr:\n%s", w.stderr.String())
			}
			if dt, _ := os.ReadFile(victim); string(dt) != "keep" {
				t.Errorf("the file behind the link now holds %q", dt)
			}
		})
	}
}
