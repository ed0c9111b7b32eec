package builder

import (
	"context"
	"testing"
	"time"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/sched"
)

// TestRunStoppedStepRecordsItsLastPhase: a step that fails or is canceled
// mid-phase still shows where its time went up to its end.
func TestRunStoppedStepRecordsItsLastPhase(t *testing.T) {
	tests := []struct {
		name    string
		f       *fakeSolver
		timeout time.Duration
		want    []string
	}{
		{"failed in solve", &fakeSolver{fail: map[string]error{"s": errBoom}, delay: map[string]time.Duration{"s": 20 * time.Millisecond}}, time.Minute, []string{PhaseFrontend, PhaseSolve}},
		{"canceled in solve", &fakeSolver{delay: map[string]time.Duration{"s": time.Minute}}, time.Second, []string{PhaseFrontend, PhaseSolve}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPlan(t, nil, "s")
			b, err := New(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			res, err := b.Run(ctx, p)
			if err == nil {
				t.Fatal("Run() = nil, want an error")
			}
			ph := res.Step("s").Phases
			var got []string
			for _, x := range ph {
				got = append(got, x.Name)
			}
			if len(got) != len(tc.want) || got[len(got)-1] != tc.want[len(tc.want)-1] {
				t.Fatalf("phases = %v, want %v", got, tc.want)
			}
			if last := ph[len(ph)-1]; last.Seconds() < 0.015 {
				t.Errorf("last phase %s lasted %.3fs, want the time up to the step's end", last.Name, last.Seconds())
			}
		})
	}
}

func TestNextPhase(t *testing.T) {
	ph := func(names ...string) []Phase {
		var out []Phase
		for _, n := range names {
			out = append(out, Phase{Name: n})
		}
		return out
	}
	r := &run{Builder: &Builder{o: &options{}}, runConfig: &runConfig{byLabel: map[string]*dag.Step{}, publish: map[string]bool{"s": true}, opts: &options{}}}
	r.byLabel["s"] = &dag.Step{Label: "s"}
	tests := []struct {
		name string
		sem  bool
		done []Phase
		want string
	}{
		{"nothing yet", false, nil, PhaseFrontend},
		{"nothing yet, under --jobs", true, nil, PhaseQueued},
		{"queued for its dependencies", true, ph(PhaseQueued), PhaseFrontend},
		{"frontend, under --jobs: queued for a slot", true, ph(PhaseQueued, PhaseFrontend), PhaseQueued},
		{"queued for a slot", true, ph(PhaseQueued, PhaseFrontend, PhaseQueued), PhaseSolve},
		{"frontend", false, ph(PhaseFrontend), PhaseSolve},
		{"solve", false, ph(PhaseFrontend, PhaseSolve), PhaseChecks},
		{"checks in session", false, ph(PhaseFrontend, PhaseSolve, PhaseChecks), PhaseExport},
		{"exported: the staged image's checks", false, ph(PhaseFrontend, PhaseSolve, PhaseChecks, PhaseExport), PhaseChecks},
		{"checked after the export", false, ph(PhaseFrontend, PhaseSolve, PhaseChecks, PhaseExport, PhaseChecks), PhaseWait},
		{"waiting", false, ph(PhaseFrontend, PhaseSolve, PhaseChecks, PhaseExport, PhaseChecks, PhaseWait), PhasePublish},
		{"published", false, ph(PhaseFrontend, PhaseSolve, PhaseChecks, PhaseExport, PhaseChecks, PhaseWait, PhasePublish), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.limit = nil
			if tc.sem {
				r.limit = sched.NewLimiter(1)
			}
			if got := r.nextPhase("s", tc.done); got != tc.want {
				t.Errorf("nextPhase(%v) = %q, want %q", tc.done, got, tc.want)
			}
		})
	}
}
