package builder

import (
	"context"
	"fmt"

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

// give gives the slot back; it may be called more than once.
func (sl *slot) give() {
	sl.given = true
	if sl.release != nil {
		sl.release()
		sl.release = nil
	}
}
