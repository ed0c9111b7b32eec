//go:build integration

package builder_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/weld-build/weld/builder"
)

// TestStreamedRewriteMatchesBuildKit: layers big enough to be rewritten
// while the daemon sends them (stagedstream.go: 8 MiB and more), one
// copied from the context (random bytes) and one a RUN made (its file
// times after the epoch), give exactly the digests of BuildKit's own
// rewrite, with a cold layer cache and from the cache. (A fresh nonce
// makes the daemon's layers new.)
func TestStreamedRewriteMatchesBuildKit(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	big := make([]byte, 12<<20)
	rng := rand.NewChaCha8([32]byte{2})
	_, _ = rng.Read(big)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    copied:
      name: weld-it-stream-copied
      dockerfile: Dockerfile.copied
    ran:
      name: weld-it-stream-ran
      dockerfile: Dockerfile.ran
`,
		"Dockerfile.copied": "FROM scratch\nCOPY big.bin /big.bin\n",
		"Dockerfile.ran":    "FROM busybox\nRUN head -c 10485760 /dev/zero > /zeros && echo " + n + " > /made\n",
		"big.bin":           string(big) + n,
	})
	commitAt(t, dir)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	// weld's build first: the daemon then makes its layers uncompressed
	// (a layer it already holds gzipped would arrive gzipped, and not be
	// rewritten as it arrives); BuildKit's rewrite forces gzip.
	cold := e.relayerBuild(t, dir)
	want := e.relayerBuild(t, dir, builder.WithDaemonRewrite())
	if len(want) != 2 {
		t.Fatalf("BuildKit's rewrite gave %+v, want 2 steps", want)
	}
	sameDigests(t, "a cold cache", cold, want)
	if entries := cacheBlobs(t, filepath.Join(cache, "weld", "layers")); len(entries) < 2 {
		t.Fatalf("the layer cache holds %d layers, want both big ones", len(entries))
	}
	sameDigests(t, "from the cache", e.relayerBuild(t, dir), want)
}
