package cachedir

import (
	"os"
	"sync/atomic"
	"time"
)

// PruneMark is the file whose time says when a cache folder was last
// pruned.
const PruneMark = ".pruned"

// A folder goes unpruned for PruneEvery at most, unless this process added
// a PruneShare-th of its limit since its last prune.
const (
	PruneEvery = 10 * time.Minute
	PruneShare = 32
)

// Pruner throttles the prunes of a cache folder: a prune reads every entry
// (thousands of files, tens of milliseconds), too much for every write.
type Pruner struct {
	added atomic.Int64 // what this process added since its last prune
}

// Added counts n added to the folder at root, whose limit is max, and runs
// prune when this process added max/PruneShare since its last prune or the
// folder was not pruned for PruneEvery; the mark then says now.
func (p *Pruner) Added(root *os.Root, n, max int64, prune func()) {
	if p.added.Add(n) < max/PruneShare {
		if fi, err := root.Lstat(PruneMark); err == nil && time.Since(fi.ModTime()) < PruneEvery {
			return
		}
	}
	p.added.Store(0)
	prune()
	_ = root.WriteFile(PruneMark, nil, 0o600)
	now := time.Now()
	_ = root.Chtimes(PruneMark, now, now)
}

// Reset forgets what this process added.
func (p *Pruner) Reset() { p.added.Store(0) }
