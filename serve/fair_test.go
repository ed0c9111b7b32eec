package serve

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// queueUp starts acquire for each tenant in turn (each queued, behind
// those already waiting, before the next starts) and returns the order in
// which they got a slot.
func queueUp(t *testing.T, f *fairSlots, tenants ...string) (<-chan string, *sync.WaitGroup) {
	t.Helper()
	base := f.queued()
	got := make(chan string, len(tenants))
	var wg sync.WaitGroup
	for i, tn := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.acquire(context.Background(), tn); err != nil {
				t.Errorf("acquire(%s): %v", tn, err)
			}
			got <- tn
		}()
		waitFor(t, func() bool { return f.queued() == base+i+1 })
	}
	return got, &wg
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

// TestFairSlotsRoundRobin: with one slot busy (a's), tenant a queues 6
// builds, then b queues 2 and c 1: the freed slots go b, c, a, b, a, a, a,
// a, a, not a's burst first.
func TestFairSlotsRoundRobin(t *testing.T) {
	f := newFairSlots(1)
	if err := f.acquire(context.Background(), "a"); err != nil { // the busy slot
		t.Fatal(err)
	}
	got, wg := queueUp(t, f, "a", "a", "a", "a", "a", "a", "b", "b", "c")
	var order []string
	for range 9 {
		f.release()
		order = append(order, <-got)
	}
	wg.Wait()
	if s, want := strings.Join(order, ","), "b,c,a,b,a,a,a,a,a"; s != want {
		t.Errorf("slots went to %s, want %s", s, want)
	}
	f.release()
	if f.free != 1 || f.queued() != 0 {
		t.Errorf("after all: free %d, %d queued, want 1 and none", f.free, f.queued())
	}
}

// TestFairSlotsCancel: a canceled waiter leaves its queue (the next
// tenant gets the slot), and the pool's count stays right.
func TestFairSlotsCancel(t *testing.T) {
	f := newFairSlots(1)
	_ = f.acquire(context.Background(), "a")
	ctx, cancel := context.WithCancelCause(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- f.acquire(ctx, "b") }()
	waitFor(t, func() bool { return f.queued() == 1 })
	got, wg := queueUp(t, f, "c")
	stop := errors.New("stop")
	cancel(stop)
	if err := <-errc; !errors.Is(err, stop) {
		t.Fatalf("canceled acquire = %v, want its cause", err)
	}
	f.release()
	if tn := <-got; tn != "c" {
		t.Errorf("the slot went to %s, want c", tn)
	}
	wg.Wait()
	f.release()
	if err := f.acquire(context.Background(), "d"); err != nil || f.free != 0 {
		t.Errorf("acquire after all = %v, free %d", err, f.free)
	}
}
