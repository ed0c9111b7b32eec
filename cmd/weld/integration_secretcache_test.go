//go:build integration

package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/itest"
)

// TestSecretCacheKeyFlag: the key of the secret hash in the cache key of a
// RUN that mounts a secret is the machine's (made once, 0600, under
// $XDG_CACHE_HOME) unless --secret-cache-key gives one. Runs with the same
// key and value share the RUN across processes; another key never hits.
// A key file that is too short or not a regular file is bad input.
func TestSecretCacheKeyFlag(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": itest.BuildYML(`    s:
      name: weld-cli-secretcache
      dockerfile: Dockerfile
      artifacts: [/run-id]
`),
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok && cat /proc/sys/kernel/random/uuid > /run-id && echo " + n + "\n",
		"tok.txt":    "value-" + nonce(t),
		"short.key":  "too short",
	})
	cacheHome := t.TempDir()
	keyFile := func(name string) string {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, k, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyA, keyB := keyFile("a.key"), keyFile("b.key")
	runs := 0
	weldRun := func(args ...string) *weld {
		runs++
		art := fmt.Sprintf("art-%d", runs)
		w := e.command(dir, e.host, append([]string{"--secret", "id=tok,src=tok.txt", "--output", fmt.Sprintf("oci:out-%d", runs), "--artifacts-dir", art}, args...)...)
		w.cmd.Env = append(w.cmd.Env, "XDG_CACHE_HOME="+cacheHome)
		return w
	}
	runID := func(args ...string) string {
		t.Helper()
		w := weldRun(args...)
		w.expect(t, w.run(t, 3*time.Minute), 0)
		dt, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("art-%d", runs), "run-id"))
		if err != nil {
			t.Fatalf("reading the artifact: %v", err)
		}
		return strings.TrimSpace(string(dt))
	}
	machine := runID()
	st, err := os.Stat(filepath.Join(cacheHome, "weld", "secret-cache.key"))
	if err != nil || st.Size() != 32 || st.Mode().Perm() != 0o600 {
		t.Errorf("machine key: %v, %v; want 32 bytes, mode 0600", st, err)
	}
	if again := runID(); again != machine {
		t.Errorf("a second run with the machine key ran the RUN again (%s, then %s), want a cache hit", machine, again)
	}
	a1 := runID("--secret-cache-key", keyA)
	if a1 == machine {
		t.Errorf("a run with another key hit the machine key's cache")
	}
	if a2 := runID("--secret-cache-key", keyA); a2 != a1 {
		t.Errorf("two runs with the same --secret-cache-key ran the RUN twice (%s, %s)", a1, a2)
	}
	if b := runID("--secret-cache-key", keyB); b == a1 || b == machine {
		t.Errorf("a run with key B reused a run made with another key")
	}
	for _, bad := range []string{"short.key", ".", "missing.key"} {
		w := weldRun("--secret-cache-key", bad)
		w.expect(t, w.run(t, time.Minute), 2, "--secret-cache-key")
	}
}
