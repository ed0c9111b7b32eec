//go:build integration

package builder_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/builder"
)

// startDaemon starts a buildkitd of the test's own, with a fresh state
// folder, through scripts/buildkitd.sh; it is stopped when the test ends.
func startDaemon(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join("..", "scripts", "buildkitd.sh")
	out, err := exec.Command(script, "start", dir).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("scripts/buildkitd.sh start %s: %v\n%s", dir, err, stderr)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("scripts/buildkitd.sh stop %s: %v\n%s", dir, err, out)
		}
	})
	return strings.TrimSpace(string(out))
}

// runVertices returns the RUN vertices of a step that a build reported,
// each with whether the daemon answered it from the cache.
func runVertices(t *testing.T, b build, label string) map[string]bool {
	t.Helper()
	b.progress.mu.Lock()
	raw := append([]byte(nil), b.progress.raw.Bytes()...)
	b.progress.mu.Unlock()
	out := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for dec.More() {
		var st client.SolveStatus
		if err := dec.Decode(&st); err != nil {
			t.Fatalf("decoding the progress: %v", err)
		}
		for _, v := range st.Vertexes {
			if strings.HasPrefix(v.Name, "["+label+"]") && strings.Contains(v.Name, " RUN ") {
				out[v.Name] = out[v.Name] || v.Cached
			}
		}
	}
	return out
}

// TestCacheToLocalThenFreshDaemon: --cache-to type=local writes a scope (a
// sub-folder) per step; a fresh daemon (new state folder) importing it with
// --cache-from answers every step's RUNs from that cache.
func TestCacheToLocalThenFreshDaemon(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    left:
      name: weld-it-cache-left
      dockerfile: Dockerfile.left
    right:
      name: weld-it-cache-right
      dockerfile: Dockerfile.right
`,
		"Dockerfile.left":  "FROM busybox\nRUN echo left-" + n + " > /left\nRUN cat /left > /left2\n",
		"Dockerfile.right": "FROM busybox\nRUN echo right-" + n + " > /right\nRUN cat /right > /right2\n",
	})
	cacheDir := filepath.Join(t.TempDir(), "cache")
	to, err := builder.ParseCache("type=local,dest=" + cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	out1 := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithCacheTo(to),
		builder.WithOutputs(builder.Output{Type: "oci", Dest: out1}))
	b.mustPass(t)
	for _, l := range []string{"left", "right"} {
		if _, err := os.Stat(filepath.Join(cacheDir, l, "index.json")); err != nil {
			t.Errorf("no cache of its own for step %s: %v", l, err)
		}
	}
	if _, err := os.Stat(filepath.Join(cacheDir, "index.json")); !os.IsNotExist(err) {
		t.Errorf("cache/index.json: Stat err = %v, want not exist: steps share no scope", err)
	}

	fresh := e
	fresh.host = startDaemon(t)
	from, err := builder.ParseCache("type=local,src=" + cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(t.TempDir(), "out")
	b2 := fresh.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithCacheFrom(from),
		builder.WithOutputs(builder.Output{Type: "oci", Dest: out2}))
	b2.mustPass(t)
	for _, l := range []string{"left", "right"} {
		s := b2.res.Step(l)
		if s.CachedVertices == 0 {
			t.Errorf("step %s on the fresh daemon: cached_vertices = 0 of %d, want cache hits from %s", l, s.Vertices, cacheDir)
		}
		runs := runVertices(t, b2, l)
		if len(runs) != 2 {
			t.Errorf("step %s: saw RUN vertices %v, want 2", l, runs)
		}
		for name, cached := range runs {
			if !cached {
				t.Errorf("step %s on the fresh daemon: %q ran, want it answered from the imported cache", l, name)
			}
		}
		if got, want := readLayout(t, filepath.Join(out2, l)).manifest.Layers, readLayout(t, filepath.Join(out1, l)).manifest.Layers; len(got) != len(want) || got[len(got)-1].Digest != want[len(want)-1].Digest {
			t.Errorf("step %s: the fresh daemon's layers %v differ from the first build's %v", l, got, want)
		}
	}
}
