// Package sched holds the scheduling primitives of a run, with nothing of
// BuildKit in them (ko's limit.go and future.go shape): a Limiter caps how
// many steps work at once (the highest-ranked waiter first), a Future says when a step has built and whether
// it failed, and a Barrier holds every publishing step until all steps have
// passed, or releases them all when one failed.
package sched

import (
	"container/heap"
	"context"
	"errors"
	"sync"
)

// Limiter caps the number of holders at once; when a slot comes free it
// goes to the waiter of the highest rank (AcquireRanked), first come first
// served among equal ranks. A nil *Limiter has no cap.
type Limiter struct {
	mu   sync.Mutex
	free int
	seq  uint64
	q    waitQueue
}

// NewLimiter returns a Limiter of n slots, or nil (no cap) when n <= 0.
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		return nil
	}
	return &Limiter{free: n}
}

// Acquire waits for a slot, at rank 0. The release it returns gives the
// slot back; it may be called more than once.
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	return l.AcquireRanked(ctx, 0)
}

// AcquireRanked waits for a slot; waiters of a higher rank get one first.
func (l *Limiter) AcquireRanked(ctx context.Context, rank float64) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	l.mu.Lock()
	if l.free > 0 && len(l.q) == 0 {
		l.free--
		l.mu.Unlock()
		return l.releaser(), nil
	}
	w := &waiter{rank: rank, seq: l.seq, ready: make(chan struct{})}
	l.seq++
	heap.Push(&l.q, w)
	l.mu.Unlock()
	select {
	case <-w.ready:
		return l.releaser(), nil
	case <-ctx.Done():
		l.mu.Lock()
		granted := w.index < 0
		if !granted {
			heap.Remove(&l.q, w.index)
		}
		l.mu.Unlock()
		if granted { // the slot came as the context ended: give it on
			l.release()
		}
		return func() {}, context.Cause(ctx)
	}
}

// Waiting is how many wait for a slot.
func (l *Limiter) Waiting() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.q)
}

func (l *Limiter) releaser() func() {
	var once sync.Once
	return func() { once.Do(l.release) }
}

// release gives a slot to the first waiter, or back to the pool.
func (l *Limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.q) == 0 {
		l.free++
		return
	}
	w := heap.Pop(&l.q).(*waiter)
	close(w.ready)
}

// waiter is one AcquireRanked waiting; index is its place in the queue,
// -1 once it was given a slot.
type waiter struct {
	rank  float64
	seq   uint64
	ready chan struct{}
	index int
}

// waitQueue is a heap of waiters: the highest rank first, then the oldest.
type waitQueue []*waiter

func (q waitQueue) Len() int { return len(q) }
func (q waitQueue) Less(i, j int) bool {
	if q[i].rank != q[j].rank {
		return q[i].rank > q[j].rank
	}
	return q[i].seq < q[j].seq
}
func (q waitQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *waitQueue) Push(x any) {
	w := x.(*waiter)
	w.index = len(*q)
	*q = append(*q, w)
}
func (q *waitQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	w.index = -1
	*q = old[:len(old)-1]
	return w
}

// Future is a result that is not there yet: Resolve sets it once, Wait
// waits for it.
type Future struct {
	done chan struct{}
	once sync.Once
	err  error
}

// NewFuture returns an unresolved Future.
func NewFuture() *Future { return &Future{done: make(chan struct{})} }

// Resolve sets the outcome (nil: success); only the first call counts.
func (f *Future) Resolve(err error) {
	f.once.Do(func() {
		f.err = err
		close(f.done)
	})
}

// Done is closed once the Future is resolved.
func (f *Future) Done() <-chan struct{} { return f.done }

// Wait returns the outcome, or the context's cause if it ends first.
func (f *Future) Wait(ctx context.Context) error {
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// ErrBroken is what Barrier.Wait returns once the barrier has failed.
var ErrBroken = errors.New("barrier broken: a party failed")

// Barrier lets its waiters through once all of its n parties have arrived,
// or turns them back with ErrBroken as soon as one fails.
type Barrier struct {
	mu      sync.Mutex
	pending int
	ok      chan struct{}
	failed  chan struct{}
	once    sync.Once
}

// NewBarrier returns a Barrier of n parties.
func NewBarrier(n int) *Barrier {
	b := &Barrier{pending: n, ok: make(chan struct{}), failed: make(chan struct{})}
	if n <= 0 {
		close(b.ok)
	}
	return b
}

// Arrive marks one party as arrived.
func (b *Barrier) Arrive() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending--
	if b.pending == 0 {
		close(b.ok)
	}
}

// Fail breaks the barrier: every waiter, now and later, gets ErrBroken.
func (b *Barrier) Fail() { b.once.Do(func() { close(b.failed) }) }

// Wait blocks until every party has arrived (nil) or the barrier broke
// (ErrBroken). When ctx ends first it returns ErrBroken if the barrier broke
// meanwhile (the cancel most often comes from that failure), else the
// context's cause.
func (b *Barrier) Wait(ctx context.Context) error {
	select {
	case <-b.failed:
		return ErrBroken
	case <-ctx.Done():
		if b.broken() {
			return ErrBroken
		}
		return context.Cause(ctx)
	case <-b.ok:
		if b.broken() { // a failure may have raced with the last arrival
			return ErrBroken
		}
		return nil
	}
}

func (b *Barrier) broken() bool {
	select {
	case <-b.failed:
		return true
	default:
		return false
	}
}
