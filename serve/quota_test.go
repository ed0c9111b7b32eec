package serve

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestTenantQuotaAndFairness: with one slot and --tenant-max-builds 4,
// tenant a's fifth build is refused with 429, Retry-After and a body
// naming the limit, while b still submits; b's build, queued behind three
// of a's, runs second (round-robin), not after a's burst.
func TestTenantQuotaAndFairness(t *testing.T) {
	h := newHarnessWith(t, Config{StateDir: t.TempDir(), MaxBuilds: 1, Queue: 10, TenantMaxBuilds: 4})
	var as []string
	for range 4 {
		as = append(as, h.submit(tokenA))
	}
	if got := <-h.fr.started; got != as[0] {
		t.Fatalf("first build to run = %s, want a's first", got)
	}
	resp, dt := h.do("POST", "/v1/builds", tokenA, makeTar(h.t, entry{name: "build.yml", body: "x"}))
	var body limitError
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" || json.Unmarshal(dt, &body) != nil ||
		body.Limit != "tenant-max-builds" || body.Max != 4 || body.Current != 4 || body.Msg == "" {
		t.Fatalf("a's 5th submission = %d (Retry-After %q) %s, want 429, Retry-After 7, limit tenant-max-builds, max 4, current 4",
			resp.StatusCode, resp.Header.Get("Retry-After"), dt)
	}
	b := h.submit(tokenB)
	// a's three and b's one wait for the slot (each build's goroutine
	// reaches the queue on its own time) before the slot is freed.
	waitFor(t, func() bool { return h.srv.slots.queued() == 4 })
	order := []string{as[0]}
	for range 4 {
		h.fr.release <- struct{}{}
		select {
		case id := <-h.fr.started:
			order = append(order, id)
		case <-time.After(5 * time.Second):
			t.Fatalf("no build started; order so far %v", order)
		}
	}
	if order[1] != b {
		t.Errorf("run order %v: b's build %s ran at %d, want second", order, b, indexOf(order, b))
	}
	h.fr.release <- struct{}{}
	h.record(tokenB, b, StatusSucceeded)
	for _, id := range as {
		h.record(tokenA, id, StatusSucceeded)
	}
	// The quota counts running and queued builds only: a may submit again.
	h.submit(tokenA)
}

// TestQueueLimitBody: past --max-builds + --queue the 429's body names
// the queue limit.
func TestQueueLimitBody(t *testing.T) {
	h := newHarness(t, t.TempDir(), 1, 0)
	h.submit(tokenA)
	resp, dt := h.do("POST", "/v1/builds", tokenB, makeTar(h.t, entry{name: "build.yml", body: "x"}))
	var body limitError
	if resp.StatusCode != http.StatusTooManyRequests || json.Unmarshal(dt, &body) != nil || body.Limit != "queue" || body.Max != 1 {
		t.Fatalf("submission past the queue = %d %s, want 429 naming the queue limit of 1", resp.StatusCode, dt)
	}
	h.fr.release <- struct{}{}
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}
