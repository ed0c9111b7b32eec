package llbsecret

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
)

// cacheMountDef is a RUN with a cache mount (id) and, when secret, the
// secret tok, and a RUN with the same cache mount and no secret.
func cacheMountDef(t *testing.T, id string) *pb.Definition {
	t.Helper()
	base := llb.Image("busybox")
	withSecret := base.Run(llb.Shlex("true"), llb.WithCustomName("secret"),
		llb.AddSecret("/run/secrets/tok", llb.SecretID("tok")),
		llb.AddMount("/c", llb.Scratch(), llb.AsPersistentCacheDir(id, llb.CacheMountShared))).Root()
	plain := base.Run(llb.Shlex("false"), llb.WithCustomName("plain"),
		llb.AddMount("/c", llb.Scratch(), llb.AsPersistentCacheDir(id, llb.CacheMountShared))).Root()
	def, err := llb.Merge([]llb.State{withSecret, plain}).Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return def.ToPB()
}

func cacheID(t *testing.T, def *pb.Definition, name string) string {
	t.Helper()
	for _, m := range execNamed(t, def, name).Mounts {
		if m.MountType == pb.MountType_CACHE {
			return m.CacheOpt.ID
		}
	}
	t.Fatalf("op %q has no cache mount", name)
	return ""
}

func TestRewriteCacheMounts(t *testing.T) {
	const id = "ns//c"
	def := cacheMountDef(t, id)
	a := rewrite(t, def, testKey, values("tok", "A"))
	checkConsistent(t, a)
	if got := cacheID(t, a, "plain"); got != id {
		t.Errorf("cache mount ID of the RUN without secrets = %q, want %q unchanged", got, id)
	}
	idA := cacheID(t, a, "secret")
	if !strings.HasPrefix(idA, id+cacheSep) {
		t.Errorf("cache mount ID of the secret RUN = %q, want %q + %q + a hash", idA, id, cacheSep)
	}
	for _, tc := range []struct {
		name   string
		key    []byte
		lookup Lookup
		same   bool
	}{
		{"same value and key", testKey, values("tok", "A"), true},
		{"rotated value", testKey, values("tok", "B"), false},
		{"secret absent", testKey, values(), false},
		{"other key", bytes.Repeat([]byte{9}, 32), values("tok", "A"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cacheID(t, rewrite(t, def, tc.key, tc.lookup), "secret")
			if (got == idA) != tc.same {
				t.Errorf("cache mount ID = %q, value A's %q: same = %v, want %v", got, idA, got == idA, tc.same)
			}
		})
	}
	t.Run("rewritten twice", func(t *testing.T) {
		if again := rewrite(t, a, testKey, values("tok", "A")); again != a {
			t.Errorf("Rewrite(Rewrite(def)) is a new definition, want the same")
		}
		if got := cacheID(t, rewrite(t, a, testKey, values("tok", "B")), "secret"); got != cacheID(t, rewrite(t, def, testKey, values("tok", "B")), "secret") {
			t.Errorf("rotating a rewritten definition gives cache mount ID %q, want the one of the original rotated", got)
		}
	})
	t.Run("forged suffix", func(t *testing.T) {
		forged := cacheMountDef(t, id+cacheSep+"00")
		if got := cacheID(t, rewrite(t, forged, testKey, values("tok", "A")), "secret"); got != idA {
			t.Errorf("a Dockerfile's own %q suffix gives cache mount ID %q, want it replaced: %q", cacheSep, got, idA)
		}
	})
}

func TestCacheNamespace(t *testing.T) {
	a, b := CacheNamespace(testKey), CacheNamespace(bytes.Repeat([]byte{8}, 32))
	if a == b || a != CacheNamespace(testKey) {
		t.Errorf("CacheNamespace: %q and %q for two keys, want distinct and stable", a, b)
	}
	if strings.Contains(a, "/") || !strings.HasPrefix(a, "weld-") {
		t.Errorf("CacheNamespace = %q, want weld- and no slash", a)
	}
}
