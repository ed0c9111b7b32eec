//go:build integration

package builder_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
)

// A cache mount (RUN --mount=type=cache) is a folder the daemon keeps
// between builds, shared by every build that names the same ID (by default
// its target), whatever its Dockerfile: it is in no cache key and no image,
// so no other guarantee covers what a RUN with a secret leaves in it. These
// tests play a tenant whose RUN copies its secret into a cache mount, and a
// second build that copies the same cache mount into its image.

// cacheMountProjects are a writer, whose RUN mounts the secret tok and
// copies it into the cache mount /root/.npm, and a reader, whose RUN copies
// /root/.npm into its image (/seen), with or without the secret. The RUNs
// are unique to the test.
func cacheMountProjects(t *testing.T, readerHasSecret bool) (writer, reader string) {
	n := nonce(t)
	yml := func(name string) string {
		return "build:\n  version: 2016-03-14\n  steps:\n    s:\n      name: " + name + "\n"
	}
	writer = writeProject(t, map[string]string{
		"build.yml": yml("weld-it-cachemount-writer"),
		"Dockerfile": "FROM busybox\n" +
			"RUN --mount=type=secret,id=tok --mount=type=cache,target=/root/.npm " +
			"cp /run/secrets/tok /root/.npm/npmrc-$(cat /proc/sys/kernel/random/uuid) && echo " + n + "\n",
	})
	mount := "--mount=type=cache,target=/root/.npm"
	if readerHasSecret {
		mount = "--mount=type=secret,id=tok " + mount
	}
	reader = writeProject(t, map[string]string{
		"build.yml": yml("weld-it-cachemount-reader"),
		"Dockerfile": "FROM busybox\n" +
			"RUN " + mount + " mkdir /seen && cp -r /root/.npm/. /seen/ && echo " + n + "\n",
	})
	return writer, reader
}

// seenLeak fails the test if the reader's image holds the writer's value.
func seenLeak(t *testing.T, tn tenant, value string) {
	t.Helper()
	img := readLayout(t, filepath.Join(tn.out, "s"))
	if where := img.containsBytes([]byte(value)); len(where) > 0 {
		t.Errorf("the reader's image holds the writer's secret, from the shared cache mount, in %s", strings.Join(where, ", "))
	}
}

// TestSecretCacheMountOtherTenant: a tenant with its own secret cache key
// cannot read what another tenant's RUN left in a cache mount of the same
// ID; the scan of its image looks only for its own secrets, so it would
// publish the other tenant's.
func TestSecretCacheMountOtherTenant(t *testing.T) {
	e := testEnv(t)
	writer, reader := cacheMountProjects(t, false)
	a := newTenant(t, "tenantA-"+nonce(t))
	a.build(t, e, writer, builder.WithSecretCacheKey(randomKey(t))).mustPass(t)
	b := newTenant(t, "unused")
	e.runBuild(t, ctxTimeout(t, 5*time.Minute), reader, builder.WithSecretCacheKey(randomKey(t)),
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: b.out})).mustPass(t)
	seenLeak(t, b, a.value)
}

// TestSecretCacheMountRotation: with one key (one tenant), a cache mount
// that a RUN filled with the secret's old value is not seen by a RUN with
// the new value, nor by a RUN without the secret: the scan only knows the
// values of this build, so the old one would ship.
func TestSecretCacheMountRotation(t *testing.T) {
	e := testEnv(t)
	key := randomKey(t)
	for _, tc := range []struct {
		name      string
		hasSecret bool
	}{{"reader with the rotated secret", true}, {"reader without the secret", false}} {
		t.Run(tc.name, func(t *testing.T) {
			writer, reader := cacheMountProjects(t, tc.hasSecret)
			old := newTenant(t, "old-"+nonce(t))
			old.build(t, e, writer, builder.WithSecretCacheKey(key)).mustPass(t)
			rotated := newTenant(t, "rotated-"+nonce(t))
			rotated.build(t, e, reader, builder.WithSecretCacheKey(key)).mustPass(t)
			seenLeak(t, rotated, old.value)
		})
	}
}
