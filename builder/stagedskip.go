package builder

import (
	"io"
	"strconv"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/layertime"
)

// A layer whose rewrite weld already holds need not cross the session.
//
// When weld rewrites a step's layers (relayer.go), it needs a layer's
// source blob only to rewrite it; when the layer cache holds the rewrite
// of that blob for the step's epoch, a rebuild that changed nothing would
// still receive every layer (512 MiB in 3 s here) only to throw it away.
// So, as the daemon opens a layer blob of the staged export, weld copies
// the cached rewrite into the layout (checked against its digest as it
// copies) and tells the daemon the blob exists; the rewrite then takes it.
//
// Only a layer weld is sure to rewrite is skipped: one whose tar (the
// cache entry's source diffID) is in no base config of the step. A layer
// of the base is kept as it is (BuildKit's rewrite leaves the base alone),
// so its own bytes must be there.

// skippedLayers are the layers of one staged layout that the daemon did not
// send, by source digest: their rewrites are in the layout.
type skippedLayers struct {
	mu sync.Mutex
	m  map[digest.Digest]layertime.Result
}

func (k *skippedLayers) get(d digest.Digest) (layertime.Result, bool) {
	if k == nil {
		return layertime.Result{}, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	res, ok := k.m[d]
	return res, ok
}

// layerSkipper returns, for step s's staged layout at dir, what decides
// whether a blob the daemon is about to send is skipped (those go to
// r.skipped, for the rewrite); nil when weld does not rewrite s's layers.
// The daemon names a blob by digest and size only (no media type): only a
// layer's source digest can key a cached rewrite.
func (r *run) layerSkipper(s *dag.Step, dir string) func(ocispecs.Descriptor) bool {
	if !r.clientRewrite(s) {
		return nil
	}
	sec, err := strconv.ParseInt(r.o.repro.stepEpoch(s), 10, 64)
	if err != nil {
		return nil
	}
	// The parts of a split step share one (fleetsplit.go).
	v, _ := r.skipped.LoadOrStore(s.Label, &skippedLayers{m: map[digest.Digest]layertime.Result{}})
	k := v.(*skippedLayers)
	// Read once, at the first blob: noteBaseConfigs has run by then.
	base := sync.OnceValue(func() map[digest.Digest]bool { return r.baseLayers(s) })
	return func(desc ocispecs.Descriptor) bool {
		res, ok := r.copyCachedRewrite(s, dir, layertime.Key{Source: desc.Digest, Epoch: sec}, base())
		if ok {
			k.mu.Lock()
			k.m[desc.Digest] = res
			k.mu.Unlock()
		}
		return ok
	}
}

// copyCachedRewrite copies the cached rewrite of k into the layout at dir
// when there is one and its tar is none of base, the layers of step s's
// base configs (nil: unknown, nothing is copied).
func (r *run) copyCachedRewrite(s *dag.Step, dir string, k layertime.Key, base map[digest.Digest]bool) (layertime.Result, bool) {
	if base == nil {
		return layertime.Result{}, false
	}
	c, err := r.layerCache(s)
	if err != nil {
		return layertime.Result{}, false
	}
	defer c.Close()
	res, ok := c.Lookup(k)
	if !ok || base[res.OrigDiffID] {
		return layertime.Result{}, false
	}
	rl := &relayer{dir: dir}
	err = rl.writeBlob(func(w io.Writer) (digest.Digest, error) { return res.Digest, c.CopyTo(k, res, w) })
	return res, err == nil
}

// baseLayers are the diffIDs of every base config of step s
// (noteBaseConfigs recorded them before its export began); nil when none
// was recorded or one cannot be read.
func (r *run) baseLayers(s *dag.Step) map[digest.Digest]bool {
	b, ok := r.baseCfgs.Load(s.Label)
	if !ok {
		return nil
	}
	out := map[digest.Digest]bool{}
	for _, dt := range b.(baseConfigs) {
		ids, err := configDiffIDs(dt)
		if err != nil {
			return nil
		}
		for _, d := range ids {
			out[d] = true
		}
	}
	return out
}
