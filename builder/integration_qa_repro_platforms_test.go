//go:build integration

package builder_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/builder"
)

// TestQAReproduciblePlatformsPush: a two-platform step (arm64 under
// emulation) pushed through the recording proxy: each platform's config
// and every time in every attestation (provenance, SBOM) is the last git
// commit's time, never the clock; a no-op rebuild has the same index and
// platform digests, is unchanged and writes nothing to the registry; a
// changed source file changes the index and both platforms' manifests;
// the first source again writes only the tag.
func TestQAReproduciblePlatformsPush(t *testing.T) {
	e := testEnv(t)
	if _, err := os.Stat(filepath.Join(e.images, "busybox-multi", "index.json")); err != nil {
		t.Fatalf("this test needs the busybox-multi layout (scripts/images.sh) and arm64 emulation (scripts/binfmt.sh): %v", err)
	}
	reg := newRecordingRegistry(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + reg.host + "/weld-it/qarepro-" + n[:8] +
			":v1\n      dockerfile: Dockerfile\n      platforms: [linux/amd64, linux/arm64]\n",
		"Dockerfile": "FROM busybox\nCOPY src.txt /src.txt\nRUN uname -m > /arch && echo " + n + " > /made\n",
		"src.txt":    "source " + n + "\n",
	})
	commitAt(t, dir)
	multi := e.imageOpt(t, "busybox", "busybox-multi")
	build := func(out string) *builder.StepResult {
		t.Helper()
		s := e.reproBuild(t, dir, filepath.Join(dir, out), multi)
		if len(s.Platforms) != 2 {
			t.Fatalf("the step has platforms %+v, want linux/amd64 and linux/arm64", s.Platforms)
		}
		return s
	}
	first := build("out")
	if w := reg.writes(); len(w) == 0 {
		t.Fatal("the first push wrote nothing to the registry")
	}
	checkNoClock(t, filepath.Join(dir, "out", "app"))

	second := build("out")
	if second.Digest != first.Digest || !second.Unchanged {
		t.Errorf("a no-op rebuild: index %s (unchanged %v), want %s, unchanged", second.Digest, second.Unchanged, first.Digest)
	}
	for i := range first.Platforms {
		if second.Platforms[i] != first.Platforms[i] {
			t.Errorf("a no-op rebuild: %+v, want %+v", second.Platforms[i], first.Platforms[i])
		}
	}
	if w := reg.writes(); len(w) > 0 {
		t.Errorf("the unchanged two-platform push wrote %v, want nothing", w)
	}

	src := filepath.Join(dir, "src.txt")
	writeFile(t, src, "changed "+n+"\n")
	changed := build("out2")
	if changed.Digest == first.Digest || changed.Unchanged {
		t.Errorf("a changed source: index %s (unchanged %v), want a new digest", changed.Digest, changed.Unchanged)
	}
	for i := range first.Platforms {
		if changed.Platforms[i].Digest == first.Platforms[i].Digest {
			t.Errorf("a changed source: %s keeps manifest %s, want a new one", first.Platforms[i].Platform, first.Platforms[i].Digest)
		}
	}
	reg.writes()
	writeFile(t, src, "source "+n+"\n")
	if back := build("out3"); back.Digest != first.Digest {
		t.Errorf("the first source again: index %s, want %s", back.Digest, first.Digest)
	}
	if w := reg.writes(); len(w) != 1 || w[0] != "PUT /v2/weld-it/qarepro-"+n[:8]+"/manifests/v1" {
		t.Errorf("pushing an index the registry has by digest wrote %v, want only the tag", w)
	}
}

// rfc3339 finds the times in a JSON document.
var rfc3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)

// checkNoClock fails unless every image config of the layout's index is
// created at the commit's time, and every time that any attestation holds
// is that time too.
func checkNoClock(t *testing.T, dir string) {
	t.Helper()
	want := time.Unix(commitTime, 0).UTC()
	blob, idx := layoutRoot(t, dir)
	images, attestations := 0, 0
	for _, m := range idx.Manifests {
		var man ocispecs.Manifest
		if err := json.Unmarshal(blob(m), &man); err != nil {
			t.Fatal(err)
		}
		if m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			for _, l := range man.Layers {
				attestations++
				for _, s := range rfc3339.FindAllString(string(blob(l)), -1) {
					if at, err := time.Parse(time.RFC3339Nano, s); err != nil || !at.Equal(want) {
						t.Errorf("attestation %s (%s) holds the time %s, want only the commit's %s", l.Digest, l.Annotations["in-toto.io/predicate-type"], s, want)
					}
				}
			}
			continue
		}
		images++
		var cfg ocispecs.Image
		if err := json.Unmarshal(blob(man.Config), &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.Created == nil || !cfg.Created.Equal(want) {
			t.Errorf("%v: config created %v, want the commit's time %v", m.Platform, cfg.Created, want)
		}
		for _, h := range cfg.History {
			if h.Created != nil && !h.Created.Equal(want) && !h.Created.Equal(time.Unix(0, 0)) {
				t.Errorf("%v: history %q created %v, want the commit's time (or the base's epoch 0)", m.Platform, h.CreatedBy, h.Created)
			}
		}
	}
	if images != 2 || attestations < 4 { // provenance and SBOM per platform
		t.Errorf("%s: %d images and %d attestations, want 2 images, a provenance and an SBOM each", dir, images, attestations)
	}
}
