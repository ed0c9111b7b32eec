package layertime

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/internal/cachedir"
)

// ErrUnsafe marks a cache folder or entry that Open or a read refuses.
var ErrUnsafe = cachedir.ErrUnsafe

// Key names a cache entry: the source blob, the epoch (Unix seconds) and
// the target compression (always Compression).
type Key struct {
	Source digest.Digest
	Epoch  int64
}

func (k Key) name() string {
	h := sha256.Sum256(fmt.Appendf(nil, "weld-layertime v%d\n%s\n%d\n%s\n", entryVersion, k.Source, k.Epoch, Compression))
	return hex.EncodeToString(h[:])
}

// entryVersion changes whenever what an entry holds changes.
const entryVersion = 1

// entry is an entry's .json file; its .blob file holds the rewritten blob.
type entry struct {
	Version     int           `json:"v"`
	Source      digest.Digest `json:"source"`
	Epoch       int64         `json:"epoch"`
	Compression string        `json:"compression"`
	Result      Result        `json:"result"`
}

// Cache is a folder of rewritten layers, at most max bytes of blobs, the
// least recently used evicted first. Every access goes through an os.Root
// of the folder and no entry is opened through a symlink; entries are
// written to a temporary file and renamed into place, so a reader sees a
// whole entry or none. A hit is only as good as its copy: CopyTo checks
// the blob's digest and size while it copies.
type Cache struct {
	root     *os.Root
	max      int64
	readOnly bool
}

// Open opens the cache folder dir (cachedir.Open: made mode 0700 when
// missing; ErrUnsafe for a symlinked folder or parent, or a folder that is
// not the user's own or that others may write).
func Open(dir string, max int64) (*Cache, error) {
	root, err := cachedir.Open(dir)
	if err != nil {
		return nil, err
	}
	return &Cache{root: root, max: max}, nil
}

// Close releases the folder.
func (c *Cache) Close() error { return c.root.Close() }

// ReadOnly is a view of c that finds entries and never writes one.
func (c *Cache) ReadOnly() *Cache { ro := *c; ro.readOnly = true; return &ro }

// Lookup returns the entry of k, when there is a well-formed one.
func (c *Cache) Lookup(k Key) (Result, bool) {
	f, err := c.open(k.name() + ".json")
	if err != nil {
		return Result{}, false
	}
	defer f.Close()
	var e entry
	if err := json.NewDecoder(io.LimitReader(f, 4096)).Decode(&e); err != nil {
		return Result{}, false
	}
	if e.Version != entryVersion || e.Source != k.Source || e.Epoch != k.Epoch || e.Compression != Compression ||
		e.Result.Digest.Validate() != nil || e.Result.DiffID.Validate() != nil || e.Result.OrigDiffID.Validate() != nil {
		return Result{}, false
	}
	if !c.readOnly {
		now := time.Now()
		_ = c.root.Chtimes(k.name()+".json", now, now) // most recently used
	}
	return e.Result, true
}

// CopyTo copies the blob of k's entry, which Lookup said is r, to w. It
// fails when the blob is not r's digest and size: then what w got must be
// thrown away.
func (c *Cache) CopyTo(k Key, r Result, w io.Writer) error {
	f, err := c.open(k.name() + ".blob")
	if err != nil {
		return err
	}
	defer f.Close()
	d := digest.Canonical.Digester()
	n, err := io.Copy(io.MultiWriter(w, d.Hash()), io.LimitReader(f, r.Size+1))
	if err != nil {
		return err
	}
	if n != r.Size || d.Digest() != r.Digest {
		return fmt.Errorf("the cached layer %s does not match its entry (%d bytes, %s)", r.Digest, n, d.Digest())
	}
	return nil
}

// open opens an entry's file for reading, never through a symlink.
func (c *Cache) open(name string) (*os.File, error) { return cachedir.OpenFile(c.root, name) }

// Entry is an entry being written: its blob goes through Write, Commit
// puts it in place.
type Entry struct {
	c   *Cache
	k   Key
	tmp string
	f   *os.File
	err error
}

// NewEntry starts the entry of k. It returns nil (a Writer that keeps
// nothing) for a read-only view or when the file cannot be made.
func (c *Cache) NewEntry(k Key) *Entry {
	if c == nil || c.readOnly {
		return nil
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	tmp := ".tmp-" + hex.EncodeToString(b[:])
	f, err := c.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|cachedir.NoFollow, 0o600)
	if err != nil {
		return nil
	}
	return &Entry{c: c, k: k, tmp: tmp, f: f}
}

// Write implements io.Writer; a failed write only loses the entry.
func (e *Entry) Write(p []byte) (int, error) {
	if e == nil || e.err != nil {
		return len(p), nil
	}
	if _, err := e.f.Write(p); err != nil {
		e.err = err
	}
	return len(p), nil
}

// Commit puts the entry in place as r; failures only lose it.
func (e *Entry) Commit(r Result) {
	if e == nil {
		return
	}
	defer e.Abort()
	// No sync: a torn entry fails CopyTo's digest check.
	if e.err != nil || e.f.Close() != nil {
		return
	}
	e.f = nil
	if fi, err := e.c.root.Lstat(e.tmp); err != nil || fi.Size() != r.Size {
		return
	}
	name := e.k.name()
	if e.c.root.Rename(e.tmp, name+".blob") != nil {
		return
	}
	dt, err := json.Marshal(entry{Version: entryVersion, Source: e.k.Source, Epoch: e.k.Epoch, Compression: Compression, Result: r})
	if err != nil {
		return
	}
	e.tmp += ".json"
	if e.c.root.WriteFile(e.tmp, dt, 0o600) != nil || e.c.root.Rename(e.tmp, name+".json") != nil {
		return
	}
	e.tmp = ""
	e.c.maybePrune(r.Size)
}

// unpruned throttles this process's prunes of the folder.
var unpruned cachedir.Pruner

// maybePrune prunes after a commit of n bytes, when unpruned says it is
// time.
func (c *Cache) maybePrune(n int64) { unpruned.Added(c.root, n, c.max, c.prune) }

// Abort drops the entry being written.
func (e *Entry) Abort() {
	if e == nil {
		return
	}
	if e.f != nil {
		_ = e.f.Close()
		e.f = nil
	}
	if e.tmp != "" {
		_ = e.c.root.Remove(e.tmp)
		e.tmp = ""
	}
}

// prune evicts the least recently used entries until the blobs take at
// most max bytes.
func (c *Cache) prune() {
	d, err := c.root.Open(".")
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
		size int64
	}
	var uses []use
	var total int64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		meta, err1 := c.root.Lstat(name + ".json")
		blob, err2 := c.root.Lstat(name + ".blob")
		if err1 != nil || err2 != nil {
			continue
		}
		uses = append(uses, use{name, meta.ModTime(), blob.Size()})
		total += blob.Size()
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].at.Before(uses[j].at) })
	for _, u := range uses {
		if total <= c.max {
			return
		}
		_ = c.root.Remove(u.name + ".json")
		_ = c.root.Remove(u.name + ".blob")
		total -= u.size
	}
}
