package sched_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/sched"
)

// TestLimiter: at most n holders at once, and a canceled wait gets the
// context's cause.
func TestLimiter(t *testing.T) {
	for _, n := range []int{1, 2, 5} {
		l := sched.NewLimiter(n)
		var now, peak atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				release, err := l.Acquire(context.Background())
				if err != nil {
					t.Errorf("Acquire: %v", err)
					return
				}
				defer release()
				c := now.Add(1)
				for p := peak.Load(); c > p && !peak.CompareAndSwap(p, c); p = peak.Load() {
				}
				time.Sleep(2 * time.Millisecond)
				now.Add(-1)
				release() // twice is harmless
			}()
		}
		wg.Wait()
		if got := peak.Load(); got > int32(n) || got == 0 {
			t.Errorf("NewLimiter(%d): %d holders at once, want 1..%d", n, got, n)
		}
	}
	l := sched.NewLimiter(1)
	release, _ := l.Acquire(context.Background())
	defer release()
	cause := errors.New("stop")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	if _, err := l.Acquire(ctx); !errors.Is(err, cause) {
		t.Errorf("Acquire on a full limiter with a canceled ctx = %v, want the cause", err)
	}
	if release, err := (*sched.Limiter)(nil).Acquire(ctx); err != nil || release == nil {
		t.Errorf("a nil Limiter's Acquire = %v, want no cap", err)
	}
}

// TestFuture: the first Resolve wins; Wait returns it, or the ctx cause.
func TestFuture(t *testing.T) {
	f := sched.NewFuture()
	cause := errors.New("gone")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	if err := f.Wait(ctx); !errors.Is(err, cause) {
		t.Errorf("Wait(canceled) on an unresolved future = %v, want the cause", err)
	}
	boom := errors.New("boom")
	go f.Resolve(boom)
	if err := f.Wait(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Wait = %v, want boom", err)
	}
	f.Resolve(nil)
	if err := f.Wait(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Wait after a second Resolve = %v, want the first (boom)", err)
	}
}

// TestBarrier: waiters pass when all arrived, get ErrBroken when one failed
// (also when the failure races with the last arrival or a cancel).
func TestBarrier(t *testing.T) {
	tests := []struct {
		name    string
		parties int
		do      func(b *sched.Barrier, cancel context.CancelCauseFunc)
		want    error
	}{
		{"all arrive", 2, func(b *sched.Barrier, _ context.CancelCauseFunc) { b.Arrive(); b.Arrive() }, nil},
		{"none", 0, func(*sched.Barrier, context.CancelCauseFunc) {}, nil},
		{"one fails", 2, func(b *sched.Barrier, _ context.CancelCauseFunc) { b.Arrive(); b.Fail() }, sched.ErrBroken},
		{"fails, then all arrive", 2, func(b *sched.Barrier, _ context.CancelCauseFunc) { b.Fail(); b.Arrive(); b.Arrive() }, sched.ErrBroken},
		{"canceled by the failure", 2, func(b *sched.Barrier, cancel context.CancelCauseFunc) { b.Fail(); cancel(errors.New("x")) }, sched.ErrBroken},
		{"canceled", 2, func(_ *sched.Barrier, cancel context.CancelCauseFunc) { cancel(context.Canceled) }, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := sched.NewBarrier(tc.parties)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			tc.do(b, cancel)
			if err := b.Wait(ctx); !errors.Is(err, tc.want) {
				t.Errorf("Wait = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestLimiterRanks: a freed slot goes to the highest-ranked waiter, then
// the oldest of equal rank; a canceled waiter gives up its place.
func TestLimiterRanks(t *testing.T) {
	l := sched.NewLimiter(1)
	hold, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	canceled, cancel := context.WithCancel(context.Background())
	for i, w := range []struct {
		name string
		rank float64
		ctx  context.Context
	}{{"low", 1, context.Background()}, {"gone", 9, canceled}, {"high", 5, context.Background()}, {"high2", 5, context.Background()}} {
		wg.Go(func() {
			release, err := l.AcquireRanked(w.ctx, w.rank)
			if err != nil {
				return
			}
			mu.Lock()
			order = append(order, w.name)
			mu.Unlock()
			release()
		})
		waitFor(t, func() bool { return l.Waiting() == i+1 })
	}
	cancel()
	waitFor(t, func() bool { return l.Waiting() == 3 })
	hold()
	wg.Wait()
	if got, want := strings.Join(order, " "), "high high2 low"; got != want {
		t.Errorf("slots went to %q, want %q", got, want)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out waiting")
}
