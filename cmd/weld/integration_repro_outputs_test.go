//go:build integration

package main

import (
	"path/filepath"
	"testing"
	"time"
)

// outputRun is one weld build of the same project with other outputs.
type outputRun struct {
	name string
	args []string
	// oci and store are the folders of an -o oci:DIR and a store output,
	// whose root must be the digest too.
	oci, store string
	// push: the registry's tag must name the digest.
	push bool
	// unchanged is what the metadata must say.
	unchanged bool
}

// sameDigestRuns runs w(args) for each run in turn and fails unless every
// one publishes the first run's index digest, to every output it asks.
func (e pubEnv) sameDigestRuns(t *testing.T, dir, name, repo string, runs []outputRun, build func(args ...string) *weld) {
	t.Helper()
	want := ""
	for _, r := range runs {
		w := build(append(r.args, "--metadata-file", "m.json")...).withDockerHost(e.dockerHost)
		w.expect(t, w.run(t, 5*time.Minute), 0)
		md := readPlatformMeta(t, filepath.Join(dir, "m.json"))["app"]
		if want == "" {
			want = md.Digest
		}
		if md.Digest != want || md.Unchanged != r.unchanged {
			t.Errorf("%s: digest %s, unchanged %v; want %s (the first run's), unchanged %v", r.name, md.Digest, md.Unchanged, want, r.unchanged)
		}
		if r.push {
			if got := manifestDigest(t, e.registry, repo, "v1"); got != want {
				t.Errorf("%s: the registry serves %s:v1 as %s, want %s", r.name, repo, got, want)
			}
		}
		if r.oci != "" {
			if idx := readIndex(t, filepath.Join(dir, r.oci, "app")); len(idx.Manifests) != 1 || idx.Manifests[0].Digest.String() != want {
				t.Errorf("%s: %s/app holds %v, want the one root %s", r.name, r.oci, idx.Manifests, want)
			}
		}
		if r.store != "" {
			if got := namedManifests(readIndex(t, filepath.Join(dir, r.store)), name); len(got) != 1 || got[0].Digest.String() != want {
				t.Errorf("%s: the store %s names %s as %v, want %s", r.name, r.store, name, got, want)
			}
		}
	}
}

// TestDigestWhateverOutputs: the same inputs give the same index digest
// whatever outputs a run asks for (--push with --load, --push alone, an
// OCI folder, --load alone, the store), and a push after a run with other
// outputs is unchanged.
func TestDigestWhateverOutputs(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	repo := "weld-it/outs-" + n[:12]
	name := e.registry + "/" + repo + ":v1"
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + name + "\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nCOPY f /f\nRUN echo " + n + " > /n\n",
		"f":          n,
	})
	e.sameDigestRuns(t, dir, name, repo, []outputRun{
		{name: "--push --load -o oci:a", args: []string{"--push", "--load", "-o", "oci:a"}, oci: "a", push: true},
		{name: "--push", args: []string{"--push"}, push: true, unchanged: true},
		{name: "-o oci:b", args: []string{"-o", "oci:b"}, oci: "b"},
		{name: "--load", args: []string{"--load"}},
		{name: "store", args: []string{"-o", "type=oci-store,dest=st"}, store: "st"},
		{name: "--push --load again", args: []string{"--push", "--load"}, push: true, unchanged: true},
	}, func(args ...string) *weld { return e.command(dir, e.host, args...) })
}

// TestPlatformsDigestWhateverOutputs: a two-platform index has one digest
// whether it is pushed and loaded, pushed alone, or written to a folder.
func TestPlatformsDigestWhateverOutputs(t *testing.T) {
	pe := publishEnv(t)
	e, dir, repo, name := twoPlatformProject(t, pe, "plat-outs-")
	pe.sameDigestRuns(t, dir, name, repo, []outputRun{
		{name: "--push --load", args: []string{"--push", "--load"}, push: true},
		{name: "--push", args: []string{"--push"}, push: true, unchanged: true},
		{name: "-o oci:a", args: []string{"-o", "oci:a"}, oci: "a"},
	}, func(args ...string) *weld { return e.multiCommand(dir, args...) })
}

// twoPlatformProject is a step app for linux/amd64 and linux/arm64, named
// in the test registry under weld-it/PREFIX<nonce>:v1.
func twoPlatformProject(t *testing.T, pe pubEnv, prefix string) (e cliEnv, dir, repo, name string) {
	t.Helper()
	e = multiEnv(t)
	n := nonce(t)
	repo = "weld-it/" + prefix + n[:12]
	name = pe.registry + "/" + repo + ":v1"
	dir = writeProject(t, map[string]string{
		"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + name +
			"\n      dockerfile: Dockerfile\n      platforms: [linux/amd64, linux/arm64]\n",
		"Dockerfile": "FROM busybox\nRUN uname -m > /arch && echo " + n + " > /n\n",
	})
	return e, dir, repo, name
}
