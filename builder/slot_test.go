package builder

import (
	"context"
	"testing"
	"time"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/sched"
)

func TestSlotGiveSaysWhetherAStepWaited(t *testing.T) {
	l := sched.NewLimiter(1)
	sl := &slot{label: "a", limit: l, clk: newClock()}
	if err := sl.take(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := make(chan func(), 1)
	go func() {
		release, _ := l.Acquire(context.Background())
		got <- release
	}()
	for deadline := time.Now().Add(10 * time.Second); l.Waiting() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second step never queued for the slot")
		}
	}
	if !sl.give() {
		t.Error("give with a step waiting = false, want true")
	}
	(<-got)()
	if sl.give() {
		t.Error("a second give = true, want false (the slot was given already)")
	}
	alone := &slot{label: "b", limit: l, clk: newClock()}
	if err := alone.take(context.Background()); err != nil {
		t.Fatal(err)
	}
	if alone.give() {
		t.Error("give with nobody waiting = true, want false")
	}
	if (&slot{label: "c"}).give() {
		t.Error("give of a slot without a limit = true, want false")
	}
}

func TestExportYieldsOnlyWhenNothingWaits(t *testing.T) {
	deps := map[string][]string{"runtime": {"compile"}}
	p := testPlan(t, deps, "compile", "runtime", "other")
	cfg := &runConfig{plan: p, byLabel: map[string]*dag.Step{}}
	for _, s := range p.Order() {
		cfg.byLabel[s.Label] = s
	}
	r := &run{Builder: &Builder{o: &options{}}, runConfig: cfg}
	for label, want := range map[string]bool{"compile": false, "runtime": true, "other": true} {
		ss := &stepSession{run: r, step: cfg.byLabel[label]}
		if got := ss.exportYields(); got != want {
			t.Errorf("%s: exportYields = %v, want %v", label, got, want)
		}
	}
	r.fleet = &fleet{handing: map[string]bool{"other": true}}
	if (&stepSession{run: r, step: cfg.byLabel["other"]}).exportYields() {
		t.Error("a step that hands its image over: exportYields = true, want false")
	}
}
