package builder

import (
	"io"
	"os"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/layertime"
	"github.com/weld-build/weld/sbom"
)

// weld's caches under the user's cache dir (the rewritten layers, the SBOM
// scans) keep what a step made so that a rebuild reads nothing again. A
// step whose session serves secrets could have made bytes that hold one:
// what it would keep waits here until its image passed the leak scan and
// the gates (keepChecked), and is dropped with the staging folder when it
// did not. Without the wait such a step only read the caches, and every
// rebuild of it rewrote and scanned its layers again.

// afterChecks is what one step keeps once its image passed its checks.
type afterChecks struct {
	mu   sync.Mutex
	keep []func()
}

func (a *afterChecks) add(fn func()) {
	a.mu.Lock()
	a.keep = append(a.keep, fn)
	a.mu.Unlock()
}

// keepAfterChecks is step s's afterChecks: nil when its session serves
// no secret, and what it makes may be kept at once.
func (r *run) keepAfterChecks(s *dag.Step) *afterChecks {
	if len(sessionSecrets(r.closure[s.Label], r.perStep, r.global)) == 0 {
		return nil
	}
	a, _ := r.checked.LoadOrStore(s.Label, &afterChecks{})
	return a.(*afterChecks)
}

// keepChecked keeps what step s held back, now that its image passed.
func (r *run) keepChecked(s *dag.Step) {
	a, ok := r.checked.LoadAndDelete(s.Label)
	if !ok {
		return
	}
	ac := a.(*afterChecks)
	ac.mu.Lock()
	defer ac.mu.Unlock()
	for _, fn := range ac.keep {
		fn()
	}
	ac.keep = nil
}

// keepLayer puts the rewritten layer res of k, as the staged layout at dir
// holds it, into the layer cache; failures only lose the entry.
func (r *run) keepLayer(s *dag.Step, dir string, k layertime.Key, res layertime.Result) {
	c, err := r.layerCache(s)
	if err != nil {
		return
	}
	defer c.Close()
	path, err := blobPath(dir, res.Digest)
	if err != nil {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	e := c.NewEntry(k)
	defer e.Abort()
	if _, err := io.Copy(e, io.LimitReader(f, res.Size+1)); err != nil {
		return
	}
	e.Commit(res) // checks the size; CopyTo checks the digest on every use
}

// heldCache is an SBOM cache whose new scans wait for the step's checks.
type heldCache struct {
	sbom.Cache
	after *afterChecks
}

// Put implements sbom.Cache: the scan is kept once the image passed.
func (c heldCache) Put(d digest.Digest, data []byte) {
	c.after.add(func() { c.Cache.Put(d, data) })
}
