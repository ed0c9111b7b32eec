//go:build integration

package builder_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/internal/itest"
)

// More secret-keyed cache tests: the keyed RUNs through FROM steps,
// provenance, failure reports and an exported cache.

// TestSecretCacheFromStep: a step built FROM a step whose RUN mounts a
// secret reuses that RUN (the parent's ops are keyed the same in both
// sessions), and its own secret RUN gets the secret's value.
func TestSecretCacheFromStep(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": itest.BuildYML(`    s:
      name: weld-it-secretcache-parent
      dockerfile: Dockerfile
    child:
      name: weld-it-secretcache-child
      dockerfile: Dockerfile.child
`),
		"Dockerfile": "FROM busybox\n" +
			"RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d' ' -f1 > /h && cat /proc/sys/kernel/random/uuid > /run-id && echo " + n + "\n",
		"Dockerfile.child": "FROM weld-it-secretcache-parent\n" +
			"RUN --mount=type=secret,id=tok,env=TOK printf %s \"$TOK\" | sha256sum | cut -d' ' -f1 > /h2 && echo " + n + "\n",
	})
	value := "from-" + nonce(t)
	tn := newTenant(t, value)
	b := tn.build(t, e, dir, builder.WithSecretCacheKey(randomKey(t)))
	b.mustPass(t)
	h, parentID := tn.image(t)
	child := readLayout(t, filepath.Join(tn.out, "child"))
	if h != sha(value) || strings.TrimSpace(child.mustFile(t, "h2")) != sha(value) {
		t.Errorf("/h or the child's /h2 is not the hash of the secret")
	}
	if got := strings.TrimSpace(child.mustFile(t, "run-id")); got != parentID {
		t.Errorf("the child's /run-id = %s, want the parent's %s (one run of the parent's RUN)", got, parentID)
	}
}

// TestSecretCacheProvenanceMax: provenance mode=max records the LLB, so
// the keyed hash of the secret, and never its value (the leak scan checks
// the attestations too, and would refuse it).
func TestSecretCacheProvenanceMax(t *testing.T) {
	e := testEnv(t)
	dir, _ := secretProject(t, "0")
	value := "prov-" + nonce(t)
	tn := newTenant(t, value)
	b := tn.build(t, e, dir, builder.WithSecretCacheKey(randomKey(t)), builder.WithProvenance("max"))
	b.mustPass(t)
	if h, _ := tn.image(t); h != sha(value) {
		t.Errorf("/h is not the hash of the secret")
	}
	if where := layoutBytesContain(t, tn.out, []byte("WELD_SECRET_HMAC_0")); len(where) == 0 {
		t.Errorf("the mode=max provenance does not record the keyed hash; is it there at all?")
	}
	if where := layoutBytesContain(t, tn.out, []byte(value)); len(where) > 0 {
		t.Errorf("the secret's value is in the output: %q", where)
	}
	if where := layoutBytesContain(t, tn.out, []byte(sha(value))); len(where) > 1 {
		t.Errorf("the secret's plain hash is in more than the layer holding /h: %q", where)
	}
}

// TestSecretCacheFailingRunNamesItsLine: a failing RUN that mounts a
// secret (so rewritten) is still reported against its step and its
// Dockerfile line, with its output: the source map follows the new digests.
func TestSecretCacheFailingRunNamesItsLine(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": itest.BuildYML(`    breaks:
      dockerfile: Dockerfile.breaks
`),
		"Dockerfile.breaks": "FROM busybox\n" +
			"RUN --mount=type=secret,id=tok echo fine-" + n + "\n" +
			"RUN --mount=type=secret,id=tok echo boom-" + n + " && exit 3\n",
	})
	b := newTenant(t, "v-"+nonce(t)).build(t, e, dir, builder.WithSecretCacheKey(randomKey(t)))
	var se *builder.StepError
	if !errors.As(b.err, &se) {
		t.Fatalf("Run error %v (%T) holds no *builder.StepError", b.err, b.err)
	}
	if se.Step != "breaks" || !strings.HasSuffix(se.Source, "Dockerfile.breaks:3") {
		t.Errorf("StepError = step %q at %q, want breaks at …Dockerfile.breaks:3", se.Step, se.Source)
	}
	if !strings.Contains(strings.Join(se.Tail, "\n"), "boom-"+n) {
		t.Errorf("StepError.Tail = %q, want the RUN's output boom-%s", se.Tail, n)
	}
}

// TestSecretCacheRemoteImport: a cache exported with --cache-to serves
// the RUN that mounts a secret to a daemon that lost it (pruned here), when
// the key is the same (as machines that share a cache must have); with
// another key it never hits. So the rewritten definition is solved with the
// session's cache imports.
func TestSecretCacheRemoteImport(t *testing.T) {
	e := testEnv(t)
	dir, marker := secretProject(t, "0")
	value := "remote-" + nonce(t)
	cache := filepath.Join(t.TempDir(), "cache")
	to, err := builder.ParseCache("type=local,dest=" + cache)
	if err != nil {
		t.Fatal(err)
	}
	from, err := builder.ParseCache("type=local,src=" + cache)
	if err != nil {
		t.Fatal(err)
	}
	keyA, keyB := randomKey(t), randomKey(t)
	first := newTenant(t, value)
	first.build(t, e, dir, builder.WithSecretCacheKey(keyA), builder.WithCacheTo(to)).mustPass(t)
	_, id := first.image(t)
	for _, tc := range []struct {
		name string
		key  []byte
		hit  bool
	}{{"same key", keyA, true}, {"other key", keyB, false}} {
		t.Run(tc.name, func(t *testing.T) {
			pruneRecords(t, e, marker)
			tn := newTenant(t, value)
			b := tn.build(t, e, dir, builder.WithSecretCacheKey(tc.key), builder.WithCacheFrom(from))
			b.mustPass(t)
			if _, got := tn.image(t); (got == id) != tc.hit {
				t.Errorf("run-id %s after the prune, the exported run's %s: cache hit = %v, want %v", got, id, got == id, tc.hit)
			}
		})
	}
}

// pruneRecords removes from the daemon's cache the records whose
// description holds marker (this test's RUN), and nothing else.
func pruneRecords(t *testing.T, e itEnv, marker string) {
	t.Helper()
	out, err := exec.Command("buildctl", "--addr", e.host, "prune", "--filter", "description~="+marker).CombinedOutput()
	if err != nil {
		t.Fatalf("buildctl prune: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Total") {
		t.Logf("buildctl prune: %s", out)
	}
}
