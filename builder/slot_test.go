package builder

import (
	"context"
	"testing"
	"time"
)

// TestSlotHeldOnlyWhileSolving: under --jobs 1 a step's session and
// frontend run while another step solves (they take no slot), and a step
// solves while another's session exports its image (the export holds no
// slot), yet no two steps solve at once.
func TestSlotHeldOnlyWhileSolving(t *testing.T) {
	p := testPlan(t, nil, "a", "b", "c")
	delay := map[string]time.Duration{"a": 100 * time.Millisecond, "b": 100 * time.Millisecond, "c": 100 * time.Millisecond}
	f := &fakeSolver{delay: delay, exportDelay: 150 * time.Millisecond}
	b, err := New(f, WithJobs(1), WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.maxRunning.Load(); got != 1 {
		t.Errorf("at most %d steps solved at once, want 1", got)
	}
	if got := f.frontendsWhileSolving.Load(); got == 0 {
		t.Error("no frontend ran while another step solved: the slot was taken before the session")
	}
	if got := f.solvesWhileExporting.Load(); got == 0 {
		t.Error("no step solved while another exported: the slot was held through the export")
	}
	var names []string
	for _, ph := range res.Step("c").Phases {
		names = append(names, ph.Name)
	}
	if len(names) < 4 || names[0] != PhaseQueued || names[1] != PhaseFrontend || names[2] != PhaseQueued || names[3] != PhaseSolve {
		t.Errorf("phases of c = %v, want queued (dependencies), frontend, queued (slot), solve, …", names)
	}
}
