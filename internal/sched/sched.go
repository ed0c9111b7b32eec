// Package sched holds the scheduling primitives of a run, with nothing of
// BuildKit in them (ko's limit.go and future.go shape): a Limiter caps how
// many steps work at once, a Future says when a step has built and whether
// it failed, and a Barrier holds every publishing step until all steps have
// passed, or releases them all when one failed.
package sched

import (
	"context"
	"errors"
	"sync"
)

// Limiter caps the number of holders at once. A nil *Limiter has no cap.
type Limiter struct{ slots chan struct{} }

// NewLimiter returns a Limiter of n slots, or nil (no cap) when n <= 0.
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		return nil
	}
	return &Limiter{slots: make(chan struct{}, n)}
}

// Acquire waits for a slot. The release it returns gives the slot back; it
// may be called more than once.
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return func() {}, context.Cause(ctx)
	}
	var once sync.Once
	return func() { once.Do(func() { <-l.slots }) }, nil
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
