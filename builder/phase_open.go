package builder

import (
	"time"

	"github.com/weld-build/weld/dag"
)

// endPhase records the phase step s was in when it stopped (it failed,
// was canceled or held back): the time since its last phase ended goes to
// the phase that follows that one, so that a failed or interrupted
// build's report shows where each step's time went up to its end.
func (r *run) endPhase(s *dag.Step, c *clock) {
	if !time.Now().After(c.mark) {
		return
	}
	if name := r.nextPhase(s.Label, c.phases); name != "" {
		c.phase(name)
	}
}

// nextPhase is the phase a step is in after done (see the Phase
// constants for the order); "" after the last.
func (r *run) nextPhase(label string, done []Phase) string {
	limited := r.limit != nil || r.fleet != nil // it waits for its dependencies, then a slot (slot.go)
	if len(done) == 0 {
		if limited {
			return PhaseQueued
		}
		return PhaseFrontend
	}
	exported, frontend := false, false
	for _, p := range done {
		exported = exported || p.Name == PhaseExport
		frontend = frontend || p.Name == PhaseFrontend
	}
	switch done[len(done)-1].Name {
	case PhaseQueued:
		if frontend {
			return PhaseSolve
		}
		return PhaseFrontend
	case PhaseFrontend:
		if limited && len(r.hosted(label)) == 0 { // a host took its slot before
			return PhaseQueued
		}
		return PhaseSolve
	case PhaseSolve:
		return PhaseChecks
	case PhaseChecks:
		if exported {
			return PhaseWait
		}
		return PhaseExport
	case PhaseExport:
		if s := r.byLabel[label]; s != nil && !r.checksInSession(s) {
			return PhaseChecks // on the staged image
		}
		return PhaseWait
	case PhaseWait:
		return PhasePublish
	}
	return ""
}
