package serve

import (
	"context"
	"slices"
	"sync"
)

// fairSlots hands out the server's build slots round-robin across tenants:
// each tenant waits in its own queue, and a freed slot goes to the next
// tenant in turn after the one served last that has a build waiting, so
// one tenant's burst never starves another's builds.
type fairSlots struct {
	mu    sync.Mutex
	free  int
	ring  []string // every tenant seen, in the order first seen
	turn  int      // where in ring the search for the next tenant starts
	waits map[string][]*waiter
}

type waiter struct {
	ready   chan struct{}
	granted bool
}

func newFairSlots(n int) *fairSlots { return &fairSlots{free: n, waits: map[string][]*waiter{}} }

// acquire waits for a slot for tenant, or for ctx to end (its cause).
func (f *fairSlots) acquire(ctx context.Context, tenant string) error {
	f.mu.Lock()
	i := slices.Index(f.ring, tenant)
	if i < 0 {
		i, f.ring = len(f.ring), append(f.ring, tenant)
	}
	if f.free > 0 && f.waiting() == 0 {
		f.free--
		f.turn = i + 1
		f.mu.Unlock()
		return nil
	}
	w := &waiter{ready: make(chan struct{})}
	f.waits[tenant] = append(f.waits[tenant], w)
	f.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	f.mu.Lock()
	granted := w.granted
	f.waits[tenant] = slices.DeleteFunc(f.waits[tenant], func(x *waiter) bool { return x == w })
	f.mu.Unlock()
	if granted { // the slot came as ctx ended: pass it on
		f.release()
	}
	return context.Cause(ctx)
}

// release frees a slot: to the next tenant in turn that waits, else back
// to the pool.
func (f *fairSlots) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range len(f.ring) {
		i := (f.turn + k) % len(f.ring)
		t := f.ring[i]
		if len(f.waits[t]) == 0 {
			continue
		}
		w := f.waits[t][0]
		f.waits[t] = f.waits[t][1:]
		f.turn = i + 1
		w.granted = true
		close(w.ready)
		return
	}
	f.free++
}

// waiting counts the builds waiting for a slot; f.mu is held.
func (f *fairSlots) waiting() int {
	n := 0
	for _, ws := range f.waits {
		n += len(ws)
	}
	return n
}

// queued is waiting, for tests.
func (f *fairSlots) queued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting()
}
