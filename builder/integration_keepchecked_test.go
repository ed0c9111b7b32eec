//go:build integration

package builder_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
)

// TestCachesKeepOnlyCheckedSecretImages: a step whose session serves a
// secret keeps its rewritten layers and its SBOM scans in weld's caches
// once its image passed the leak scan, so a rebuild reads them; an image
// that leaks the secret leaves nothing in either cache, and no cached
// file holds the secret.
func TestCachesKeepOnlyCheckedSecretImages(t *testing.T) {
	e := testEnv(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	token := "keep-" + nonce(t)
	project := func(run string) string {
		dir := writeProject(t, map[string]string{
			"tok":        token,
			"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok && " + run + "\n",
			"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: weld-it-keepchecked
      dockerfile: Dockerfile
      secrets:
        tok: {type: file, value: tok}
`,
		})
		commitAt(t, dir) // reproducible: weld rewrites the layers' times
		return dir
	}
	build := func(dir string) build {
		out := filepath.Join(t.TempDir(), "out")
		return e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, e.imageOpt(t, "busybox", "busybox"),
			builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
	}
	layers, scans := filepath.Join(cache, "weld", "layers"), filepath.Join(cache, "weld", "sbom")

	clean := project("echo " + nonce(t) + " > /made")
	first := build(clean)
	first.mustPass(t)
	nl, ns := countFiles(t, layers, "*.blob"), countFiles(t, scans, "*.json")
	if nl == 0 || ns == 0 {
		t.Fatalf("after a clean build with a secret the caches hold %d layers and %d scans, want some of each", nl, ns)
	}
	again := build(clean)
	again.mustPass(t)
	if got, want := again.res.Step("app").Digest, first.res.Step("app").Digest; got != want {
		t.Errorf("the rebuild from the caches has digest %s, the first build %s", got, want)
	}

	leaky := build(project("cp /run/secrets/tok /leaked && echo " + nonce(t)))
	if !errors.Is(leaky.err, builder.ErrSecretLeak) {
		t.Fatalf("the leaking build: Run() = %v, want ErrSecretLeak", leaky.err)
	}
	if gl, gs := countFiles(t, layers, "*.blob"), countFiles(t, scans, "*.json"); gl != nl || gs != ns {
		t.Errorf("the leaking build changed the caches: %d layers and %d scans, were %d and %d", gl, gs, nl, ns)
	}
	enc := []byte(base64.StdEncoding.EncodeToString([]byte(token)))
	err := filepath.WalkDir(filepath.Join(cache, "weld"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dt, err := os.ReadFile(p)
		if err == nil && (bytes.Contains(dt, []byte(token)) || bytes.Contains(dt, enc)) {
			t.Errorf("the cached file %s holds the secret", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countFiles(t *testing.T, dir, pattern string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}
