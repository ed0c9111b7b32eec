package builder

import (
	"slices"
	"time"
)

// phaseOrder is the order a step goes through its phases.
var phaseOrder = []string{PhaseQueued, PhaseFrontend, PhaseSolve, PhaseChecks, PhaseWait, PhaseExport, PhasePublish}

// endPhase records the phase step label was in when it stopped (it
// failed, was canceled or held back): the time since its last phase ended
// goes to the phase that follows that one, so that a failed or
// interrupted build's report shows where each step's time went up to its
// end.
func (r *run) endPhase(label string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.results[label]
	if res.mark.IsZero() || !now.After(res.mark) {
		return
	}
	name := PhaseFrontend
	if r.sem != nil {
		name = PhaseQueued
	}
	if n := len(res.Phases); n > 0 {
		i := slices.Index(phaseOrder, res.Phases[n-1].Name)
		if i < 0 || i+1 >= len(phaseOrder) {
			return
		}
		name = phaseOrder[i+1]
	}
	res.Phases = append(res.Phases, Phase{Name: name, Start: res.mark, End: now})
	res.mark = time.Time{}
}
