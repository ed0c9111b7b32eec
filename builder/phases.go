package builder

import (
	"time"
)

// The phases of a step. A published step goes through them as queued,
// frontend, queued, solve, checks (in its session: command, tests), export,
// checks (on its staged image: leak scan, gates), wait, publish.
const (
	// PhaseQueued: under --jobs or on a pool, waiting for its dependencies
	// (before its session), then for a slot (after its frontend, slot.go).
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

// clock times one step: its phases, and when it had built. Only the
// goroutine running the step (its session's, or its host's for a folded
// step) uses it; the step's outcome hands it to finish.
type clock struct {
	start  time.Time // the session's start: Duration counts from it
	mark   time.Time // where the current phase began
	built  time.Time // when it had built and passed its checks
	phases []Phase
}

func newClock() *clock {
	now := time.Now()
	return &clock{start: now, mark: now}
}

// phase records that the time since the last phase ended went to name.
func (c *clock) phase(name string) {
	now := time.Now()
	c.phases = append(c.phases, Phase{Name: name, Start: c.mark, End: now})
	c.mark = now
}

// begin starts the step's own work (its session) now.
func (c *clock) begin() { c.start = time.Now() }

// duration is the step's build and checks: not the wait for the others
// before publishing, nor the publish.
func (c *clock) duration() time.Duration {
	end := c.built
	if end.IsZero() {
		end = time.Now()
	}
	return end.Sub(c.start)
}
