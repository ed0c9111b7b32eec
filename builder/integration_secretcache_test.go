//go:build integration

package builder_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/internal/itest"
)

// These tests play tenants of a hosted service: the same Dockerfile and
// context, each build with its own value of the secret, on one daemon.

// secretProject is one step s whose RUN hashes the secret tok into /h and
// writes a fresh random ID into /run-id, so two images show whether the RUN
// ran once for both (same ID) or for each. The RUN is unique to the test
// (a nonce) and sleeps, so that builds started at once overlap.
func secretProject(t *testing.T, sleep string) (dir, marker string) {
	marker = nonce(t)
	dir = writeProject(t, map[string]string{
		"build.yml": itest.BuildYML(`    s:
      name: weld-it-secretcache
      dockerfile: Dockerfile
`),
		"Dockerfile": "FROM busybox\n" +
			"RUN --mount=type=secret,id=tok sleep " + sleep + " && sha256sum /run/secrets/tok | cut -d' ' -f1 > /h && " +
			"cat /proc/sys/kernel/random/uuid > /run-id && echo " + marker + "\n",
	})
	return dir, marker
}

// tenant is one build's secret value and where its image goes.
type tenant struct {
	value string
	out   string
}

func newTenant(t *testing.T, value string) tenant {
	return tenant{value: value, out: filepath.Join(t.TempDir(), "out")}
}

// build runs the project with the tenant's secret as --secret id=tok.
func (tn tenant) build(t *testing.T, e itEnv, dir string, opts ...builder.Option) build {
	t.Helper()
	src := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(src, []byte(tn.value), 0o600); err != nil {
		t.Fatal(err)
	}
	return e.runBuild(t, ctxTimeout(t, 5*time.Minute), dir, append([]builder.Option{
		builder.WithSecrets(builder.SecretSpec{ID: "tok", Src: src}),
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: tn.out}),
	}, opts...)...)
}

// image reads back the tenant's /h and /run-id.
func (tn tenant) image(t *testing.T) (h, runID string) {
	t.Helper()
	img := readLayout(t, filepath.Join(tn.out, "s"))
	return strings.TrimSpace(img.mustFile(t, "h")), strings.TrimSpace(img.mustFile(t, "run-id"))
}

func sha(v string) string {
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:])
}

// buildAll runs one build per tenant, all at once.
func buildAll(t *testing.T, e itEnv, dir string, tenants []tenant, opts ...builder.Option) []build {
	t.Helper()
	out := make([]build, len(tenants))
	var wg sync.WaitGroup
	for i, tn := range tenants {
		wg.Go(func() { out[i] = tn.build(t, e, dir, opts...) })
	}
	wg.Wait()
	return out
}

// randomKey is a secret cache key of this test alone.
func randomKey(t *testing.T) []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSecretCacheConcurrentTenants: six builds of the same Dockerfile and
// context started at once on one daemon, each with its own secret, as a
// hosted service runs them (each its own Builder.Run, all with the
// machine's key): every image holds the hash of its own secret, also with
// --no-cache, where BuildKit still de-duplicates identical in-flight ops.
func TestSecretCacheConcurrentTenants(t *testing.T) {
	e := testEnv(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // a fresh machine key
	for _, tc := range []struct {
		name string
		opts []builder.Option
	}{
		{"cache", nil},
		{"no-cache", []builder.Option{builder.WithNoCache(true)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := secretProject(t, "3")
			var tenants []tenant
			for i := range 6 {
				tenants = append(tenants, newTenant(t, fmt.Sprintf("tenant-%d-%s", i, nonce(t))))
			}
			builds := buildAll(t, e, dir, tenants, tc.opts...)
			ids := map[string]int{}
			for i, tn := range tenants {
				builds[i].mustPass(t)
				h, id := tn.image(t)
				if h != sha(tn.value) {
					owner := "no tenant"
					for j, other := range tenants {
						if h == sha(other.value) {
							owner = fmt.Sprintf("tenant %d", j)
						}
					}
					t.Errorf("tenant %d: /h is the hash of the secret of %s, want its own", i, owner)
				}
				if j, dup := ids[id]; dup {
					t.Errorf("tenants %d and %d share one run of the RUN (run-id %s)", j, i, id)
				}
				ids[id] = i
			}
		})
	}
}

// TestSecretCacheSameValueShares: two builds with the same secret value,
// started at once, still share the RUN (in flight or through the cache):
// both images hold the same run ID.
func TestSecretCacheSameValueShares(t *testing.T) {
	e := testEnv(t)
	dir, _ := secretProject(t, "3")
	value := "same-" + nonce(t)
	tenants := []tenant{newTenant(t, value), newTenant(t, value)}
	key := builder.WithSecretCacheKey(randomKey(t))
	builds := buildAll(t, e, dir, tenants, key)
	var ids []string
	for i, tn := range tenants {
		builds[i].mustPass(t)
		h, id := tn.image(t)
		if h != sha(value) {
			t.Errorf("build %d: /h = %s, want the hash of the secret", i, h)
		}
		ids = append(ids, id)
	}
	if ids[0] != ids[1] {
		t.Errorf("the two builds with the same secret ran the RUN twice (run-ids %s, %s), want them to share it", ids[0], ids[1])
	}
}

// TestSecretCacheRotation: with a warm cache, the same value again is a
// cache hit; a rotated value runs the RUN again and the image holds the hash
// of the new value.
func TestSecretCacheRotation(t *testing.T) {
	e := testEnv(t)
	dir, marker := secretProject(t, "0")
	key := builder.WithSecretCacheKey(randomKey(t))
	valueA, valueB := "A-"+nonce(t), "B-"+nonce(t)

	first := newTenant(t, valueA)
	b1 := first.build(t, e, dir, key)
	b1.mustPass(t)
	h1, id1 := first.image(t)
	if h1 != sha(valueA) {
		t.Fatalf("first build: /h = %s, want the hash of A", h1)
	}
	if ran, seen := runRan(t, b1, marker); !ran {
		t.Errorf("first build: RUN reported=%v ran=%v, want it run", seen, ran)
	}

	again := newTenant(t, valueA)
	b2 := again.build(t, e, dir, key)
	b2.mustPass(t)
	if _, id2 := again.image(t); id2 != id1 {
		t.Errorf("same value again: run-id %s, want the cached %s", id2, id1)
	}
	if ran, seen := runRan(t, b2, marker); !seen || ran {
		t.Errorf("same value again: RUN reported=%v ran=%v, want a cache hit", seen, ran)
	}

	rotated := newTenant(t, valueB)
	b3 := rotated.build(t, e, dir, key)
	b3.mustPass(t)
	h3, id3 := rotated.image(t)
	if h3 != sha(valueB) {
		t.Errorf("rotated to B: /h is the hash of A=%v, want the hash of B", h3 == sha(valueA))
	}
	if id3 == id1 {
		t.Errorf("rotated to B: the image holds A's cached run (run-id %s)", id3)
	}
	if ran, seen := runRan(t, b3, marker); !ran {
		t.Errorf("rotated to B: RUN reported=%v ran=%v, want it run", seen, ran)
	}
}

// TestSecretCacheRotatedLeakIsRefused: a layer that holds secret A, refused
// by the leak scan, is not served from the cache once the secret is rotated
// to B (which the scan then looks for): the RUN runs again with B, the scan
// refuses it again, and A is in no output.
func TestSecretCacheRotatedLeakIsRefused(t *testing.T) {
	e := testEnv(t)
	dir := writeProject(t, map[string]string{
		"build.yml": itest.BuildYML(`    s:
      name: weld-it-secretcache-leak
      dockerfile: Dockerfile
`),
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok cp /run/secrets/tok /leaked && echo " + nonce(t) + "\n",
	})
	key := builder.WithSecretCacheKey(randomKey(t))
	valueA, valueB := "leakA-"+nonce(t), "leakB-"+nonce(t)
	for _, tn := range []tenant{newTenant(t, valueA), newTenant(t, valueB)} {
		b := tn.build(t, e, dir, key)
		if !errors.Is(b.err, builder.ErrSecretLeak) {
			t.Fatalf("build with %s: Run() = %v, want ErrSecretLeak", tn.value[:5], b.err)
		}
		checkNoLayout(t, filepath.Join(tn.out, "s"))
		if where := layoutBytesContain(t, tn.out, []byte(valueA)); len(where) > 0 {
			t.Errorf("secret A is in the output of the build with %s: %q", tn.value[:5], where)
		}
	}
}

// runRan finds, in a build's progress, the RUN vertex holding marker and
// reports whether it ran (completed not from the cache) in any of the build's
// sessions (the leak scan's export re-solves it from the cache); seen is
// false when no such vertex completed.
func runRan(t *testing.T, b build, marker string) (ran, seen bool) {
	t.Helper()
	raw := func() []byte {
		b.progress.mu.Lock()
		defer b.progress.mu.Unlock()
		return bytes.Clone(b.progress.raw.Bytes())
	}()
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		var st client.SolveStatus
		if err := dec.Decode(&st); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding the progress: %v", err)
		}
		for _, v := range st.Vertexes {
			if !strings.Contains(v.Name, "RUN") || !strings.Contains(v.Name, marker) || v.Completed == nil {
				continue
			}
			seen = true
			ran = ran || !v.Cached
		}
	}
	return ran, seen
}
