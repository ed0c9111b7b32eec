package llbsecret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/moby/buildkit/solver/pb"
)

// A cache mount (RUN --mount=type=cache) is a folder the daemon keeps
// between builds and lends to every RUN that names its ID, in any build:
// it is in no cache key and no image, so what a RUN with a secret writes
// into it (an .npmrc, a token in a tool's cache) would reach any later RUN,
// of another tenant or after the secret was rotated, and ship from there
// unseen by the leak scan, which looks only for the values of its own
// build. Two rules close that:
//
//   - CacheNamespace: the Dockerfile frontend prefixes every cache mount ID
//     of a build with a keyed name, so builds under different keys (one per
//     tenant) never share a cache mount;
//   - keyCacheMounts: the cache mounts of an exec op that mounts secrets get
//     the keyed hashes of those secrets appended to their IDs, so only RUNs
//     with the same values see what such a RUN left there.

// cacheSep starts the suffix keyCacheMounts adds to a cache mount's ID.
const cacheSep = "#weld-secrets-"

// CacheNamespace is the cache mount namespace of the builds under key: a
// keyed hash of a constant, which tells nothing of the key.
func CacheNamespace(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("weld-cache-mount-ns-v1\x00"))
	return "weld-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// keyCacheMounts appends to the ID of each cache mount of ex a hash of the
// tags of the secrets ex mounts (replacing one set before, so that a
// definition rewritten twice gets the same bytes), and reports whether
// that changed ex.
func keyCacheMounts(ex *pb.ExecOp, tags []string) bool {
	sum := sha256.Sum256([]byte(strings.Join(tags, ",")))
	suffix := cacheSep + hex.EncodeToString(sum[:16])
	changed := false
	for _, m := range ex.Mounts {
		if m.MountType != pb.MountType_CACHE || m.CacheOpt == nil {
			continue
		}
		id := m.CacheOpt.ID
		if i := strings.LastIndex(id, cacheSep); i >= 0 {
			id = id[:i]
		}
		if id += suffix; id != m.CacheOpt.ID {
			m.CacheOpt.ID, changed = id, true
		}
	}
	return changed
}
