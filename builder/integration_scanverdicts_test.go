//go:build integration

package builder_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
)

// TestScanVerdictsNeverHideALeak: the leak scan keeps what it found clean
// (internal/scancache) so that a rebuild does not read the same layers
// again, and that never lets a leak through. A clean build leaves verdicts
// in the user's cache; the same build again adds none (it read nothing new)
// and passes. Then the secret's value becomes the very text the image's
// layer already holds: the layer's bytes are the same as before, the old
// verdict was made for another value, and the build is refused. A build
// that leaks is refused every time, its leaking layer never kept as clean.
func TestScanVerdictsNeverHideALeak(t *testing.T) {
	e := testEnv(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	marker := "weld-known-text-" + nonce(t)
	dir := writeProject(t, map[string]string{
		"tok":        "first-value-" + nonce(t),
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo " + marker + " > /ok\n",
		"Dockerfile.leaky": "FROM busybox\n" +
			"RUN --mount=type=secret,id=tok cp /run/secrets/tok /leaked && echo " + nonce(t) + "\n",
		"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: app
      secrets:
        tok: {type: file, value: tok}
`,
	})
	verdicts := func() int {
		t.Helper()
		ents, err := os.ReadDir(filepath.Join(cache, "weld", "scanned"))
		if err != nil {
			t.Fatalf("no verdicts folder: %v", err)
		}
		n := 0
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), ".") {
				n++
			}
		}
		return n
	}
	out := filepath.Join(t.TempDir(), "out")
	run := func() build {
		t.Helper()
		return e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
	}
	if b := run(); b.err != nil {
		t.Fatalf("clean build: %v", b.err)
	}
	first := verdicts()
	if first == 0 {
		t.Fatal("a clean build kept no verdict")
	}
	if b := run(); b.err != nil {
		t.Fatalf("clean rebuild: %v", b.err)
	}
	if n := verdicts(); n != first {
		t.Errorf("a no-op rebuild made %d verdicts, had %d: it scanned blobs again", n, first)
	}

	// The same layer, now holding the secret's value.
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte(marker), 0o600); err != nil {
		t.Fatal(err)
	}
	if b := run(); !errors.Is(b.err, builder.ErrSecretLeak) || !strings.Contains(b.err.Error(), "/ok (raw)") {
		t.Fatalf("build whose layer holds the new value = %v, want ErrSecretLeak naming /ok", b.err)
	}

	if err := os.WriteFile(filepath.Join(dir, "build.yml"), []byte(strings.Replace(mustRead(t, filepath.Join(dir, "build.yml")), "name: app", "name: app\n      dockerfile: Dockerfile.leaky", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if b := run(); !errors.Is(b.err, builder.ErrSecretLeak) || !strings.Contains(b.err.Error(), "/leaked (raw)") {
			t.Fatalf("leaky build %d = %v, want ErrSecretLeak naming /leaked", i+1, b.err)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}
