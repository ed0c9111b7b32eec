package builder

import (
	"encoding/json"
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
	k := &skippedLayers{m: map[digest.Digest]layertime.Result{}}
	r.skipped.Store(s.Label, k)
	return func(desc ocispecs.Descriptor) bool {
		res, ok := r.copyCachedRewrite(s, dir, layertime.Key{Source: desc.Digest, Epoch: sec})
		if ok {
			k.mu.Lock()
			k.m[desc.Digest] = res
			k.mu.Unlock()
		}
		return ok
	}
}

// copyCachedRewrite copies the cached rewrite of k into the layout at dir
// when there is one and its tar is in none of step s's base configs.
func (r *run) copyCachedRewrite(s *dag.Step, dir string, k layertime.Key) (layertime.Result, bool) {
	c, err := r.layerCache(s)
	if err != nil {
		return layertime.Result{}, false
	}
	defer c.Close()
	res, ok := c.Lookup(k)
	if !ok || r.inBase(s, res.OrigDiffID) {
		return layertime.Result{}, false
	}
	rl := &relayer{dir: dir}
	err = rl.writeBlob(func(w io.Writer) (digest.Digest, error) { return res.Digest, c.CopyTo(k, res, w) })
	return res, err == nil
}

// inBase says whether diffID is a layer of any base config of step s
// (noteBaseConfigs recorded them before its export began); with none
// recorded, every layer counts as the base's.
func (r *run) inBase(s *dag.Step, diffID digest.Digest) bool {
	b, ok := r.baseCfgs.Load(s.Label)
	if !ok {
		return true
	}
	for _, dt := range b.(baseConfigs) {
		if len(dt) == 0 {
			continue
		}
		var img struct {
			RootFS ocispecs.RootFS `json:"rootfs"`
		}
		if json.Unmarshal(dt, &img) != nil {
			return true
		}
		for _, d := range img.RootFS.DiffIDs {
			if d == diffID {
				return true
			}
		}
	}
	return false
}
