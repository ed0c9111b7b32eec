package builder

import (
	"time"
)

// The phases of a step. A published step goes through them as queued,
// frontend, solve, checks (in its session: command, tests), export, checks
// (on its staged image: leak scan, gates), wait, publish.
const (
	// PhaseQueued: waiting for its dependencies and a slot (--jobs).
	PhaseQueued = "queued"
	// PhaseFrontend: the session starts and the Dockerfile frontend turns
	// the step (and the steps it needs) into LLB.
	PhaseFrontend = "frontend"
	// PhaseSolve: BuildKit runs the LLB: contexts sent, RUNs, artifacts.
	PhaseSolve = "solve"
	// PhaseChecks: command, tests, --artifacts-dir, leak scan, gates.
	PhaseChecks = "checks"
	// PhaseWait: built and checked, waiting for every other step before
	// publishing (all or nothing).
	PhaseWait = "wait"
	// PhaseExport: the step's session exports its image, once, into this
	// run's staging (and its cache, with --cache-to).
	PhaseExport = "export"
	// PhasePublish: every output publishes from the staged image.
	PhasePublish = "publish"
)

// Phase is a span of a step's wall time spent on one thing.
type Phase struct {
	// Name is one of the Phase constants.
	Name string `json:"name"`
	// Start and End bound it.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Seconds is the phase's length.
func (p Phase) Seconds() float64 { return p.End.Sub(p.Start).Seconds() }

// phase records that step label spent the time since its last phase
// ended (or since startClock) on name.
func (r *run) phase(label, name string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.results[label]
	if !res.mark.IsZero() {
		res.Phases = append(res.Phases, Phase{Name: name, Start: res.mark, End: now})
	}
	res.mark = now
}

// startClock starts step label's first phase now.
func (r *run) startClock(label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[label].mark = time.Now()
}
