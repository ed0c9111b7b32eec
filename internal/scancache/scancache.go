// Package scancache remembers which blobs the leak scan found clean of
// which secrets, so that a rebuild does not decompress and search again
// the layers it scanned in an earlier run (a no-op rebuild's images are the
// same bytes).
//
// A verdict is an empty file in a private folder (cachedir.Open), named by
// a keyed hash: HMAC-SHA256 under the machine's secret cache key of the
// scanner's version and the secrets (IDs and values), then SHA-256 of that
// with the blob's digest. Neither a value nor a hash of one without the key
// is ever written; a verdict names no blob either. Only "clean" is kept,
// and only for a blob the scan read whole: a finding, an incomplete scan or
// an error keeps nothing, so the next run scans that blob again. The blob
// is named by its digest, which the staged store checked as it wrote it.
package scancache

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/internal/cachedir"
)

// domain separates these hashes from any other use of the key.
const domain = "weld-leakscan-verdict-v1\x00"

// Store is a folder of verdicts, at most max of them, the least recently
// used evicted first.
type Store struct {
	root *os.Root
	max  int
}

// Open opens (or makes) the folder dir; see cachedir.Open for what it
// refuses.
func Open(dir string, max int) (*Store, error) {
	root, err := cachedir.Open(dir)
	if err != nil {
		return nil, err
	}
	return &Store{root: root, max: max}, nil
}

// Close releases the folder.
func (s *Store) Close() error { return s.root.Close() }

// Verdicts are a Store's verdicts for one scanner version and one set of
// secrets under one key.
type Verdicts struct {
	s      *Store
	prefix []byte
}

// For returns the verdicts of scanner version for secrets (by ID) under
// key.
func (s *Store) For(key []byte, version int, secrets map[string][]byte) *Verdicts {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(domain))
	writeInt(m, uint64(version))
	ids := make([]string, 0, len(secrets))
	for id := range secrets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		writeBytes(m, []byte(id))
		writeBytes(m, secrets[id])
	}
	return &Verdicts{s: s, prefix: m.Sum(nil)}
}

func writeInt(h hash.Hash, n uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	h.Write(b[:])
}

func writeBytes(h hash.Hash, b []byte) {
	writeInt(h, uint64(len(b)))
	h.Write(b)
}

// name is the file of blob d's verdict.
func (v *Verdicts) name(d digest.Digest) string {
	h := sha256.New()
	h.Write(v.prefix)
	h.Write([]byte(d))
	return hex.EncodeToString(h.Sum(nil))
}

// Clean reports whether blob d was found clean before.
func (v *Verdicts) Clean(d digest.Digest) bool {
	if v == nil || d.Validate() != nil {
		return false
	}
	name := v.name(d)
	fi, err := v.s.root.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	now := time.Now()
	_ = v.s.root.Chtimes(name, now, now) // most recently used
	return true
}

// MarkClean records that blob d was scanned whole and found clean.
// Failures only lose the verdict.
func (v *Verdicts) MarkClean(d digest.Digest) {
	if v == nil || d.Validate() != nil {
		return
	}
	f, err := v.s.root.OpenFile(v.name(d), os.O_WRONLY|os.O_CREATE|cachedir.NoFollow, 0o600)
	if err != nil {
		return
	}
	_ = f.Close()
	v.s.maybePrune()
}

// unpruned throttles this process's prunes of the folder.
var unpruned cachedir.Pruner

// maybePrune prunes after a verdict was written, when unpruned says it is
// time.
func (s *Store) maybePrune() { unpruned.Added(s.root, 1, int64(s.max), s.prune) }

// prune evicts the least recently used verdicts until at most max are
// left.
func (s *Store) prune() {
	d, err := s.root.Open(".")
	if err != nil {
		return
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return
	}
	type use struct {
		name string
		at   time.Time
	}
	var uses []use
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil {
			uses = append(uses, use{e.Name(), fi.ModTime()})
		}
	}
	if len(uses) <= s.max {
		return
	}
	slices.SortFunc(uses, func(a, b use) int { return a.at.Compare(b.at) })
	for _, u := range uses[:len(uses)-s.max] {
		_ = s.root.Remove(u.name)
	}
}
