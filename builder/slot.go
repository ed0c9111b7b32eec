package builder

import (
	"context"
	"fmt"
	"time"

	"github.com/weld-build/weld/internal/sched"
)

// slot is a step's place among the steps its daemon solves at once: one
// of --jobs, or of a pool daemon's capacity (fleet.go). The step takes it
// once its session has started and its frontend has turned it into LLB,
// before anything of it is evaluated (a step that hosts folded steps: at
// its session's start), and gives it back when its solve, command, tests
// and in-session checks have ended, before the session exports. So the
// next step's session, context transfer and frontend run while the one
// before still solves, and an export or weld's work on the staged image
// (layer times, SBOM, leak scan, gates, signing, handover) holds no slot:
// none of it uses the daemon's max-parallelism.
type slot struct {
	label   string
	limit   *sched.Limiter // nil: no cap
	rank    float64        // higher first (fleet.go's ranks)
	clk     *clock
	release func() // set while held
	given   bool
}

// take waits for the slot, once; the wait is the step's queued phase.
func (sl *slot) take(ctx context.Context) error {
	if sl.limit == nil || sl.release != nil || sl.given {
		return nil
	}
	release, err := sl.limit.AcquireRanked(ctx, sl.rank)
	if err != nil {
		return fmt.Errorf("step %q: %w", sl.label, context.Canceled)
	}
	sl.release = release
	sl.clk.phase(PhaseQueued)
	return nil
}

// give gives the slot back; it may be called more than once. It reports
// whether another step was waiting for it then.
func (sl *slot) give() bool {
	sl.given = true
	if sl.release == nil {
		return false
	}
	waiting := sl.limit.Waiting() > 0
	sl.release()
	sl.release = nil
	return waiting
}

// exportYield is how long a step's export waits after its slot went to a
// step that was waiting for it, so that this one's RUN starts first: on
// a daemon that runs one step at a time, the export of one step and the
// container start of the next compete for the same CPUs, and the RUN is
// on the critical path while the export, which nothing waits for, has
// slack until the build ends. Measured on 3 such daemons (2 CPUs), wide16
// cold: RUNs of 1.08 s instead of 1.10-1.16, 6.80-6.96 s a build against
// 7.04-7.45 without; a container start here takes 50-100 ms.
const exportYield = 100 * time.Millisecond

// handOff gives the session's slot back before its exports and, when a
// step was waiting for the slot and nothing waits for this step's export
// (no dependent in the run, no handover), waits exportYield first.
func (ss *stepSession) handOff(ctx context.Context) {
	if !ss.slot.give() || !ss.exportYields() {
		return
	}
	t := time.NewTimer(exportYield)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// exportYields reports whether nothing waits for the session's step once
// it has built: no selected step depends on it, and it hands over nothing.
func (ss *stepSession) exportYields() bool {
	return len(ss.dependents(ss.step.Label)) == 0 && !ss.fleet.handsOver(ss.step.Label)
}
