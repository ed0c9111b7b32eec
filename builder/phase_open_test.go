package builder

import (
	"context"
	"testing"
	"time"
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
		{"canceled in solve", &fakeSolver{delay: map[string]time.Duration{"s": time.Minute}}, 50 * time.Millisecond, []string{PhaseFrontend, PhaseSolve}},
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
