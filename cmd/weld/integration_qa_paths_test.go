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
			trustSymlink(t, target, link)
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
