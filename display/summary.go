package display

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/weld-build/weld/builder"
)

// Summary writes the closing summary of a run that ended with res and err:
// every step's outcome and, last, each failure with its Dockerfile line
// and the tail of its output. A nil res (the run stopped before any step)
// writes nothing.
func Summary(w io.Writer, res *builder.Result, err error) {
	if res == nil {
		return
	}
	fmt.Fprintln(w)
	pooled := onSeveralDaemons(res)
	for _, s := range res.Steps {
		fmt.Fprintln(w, stepLine(s, pooled))
		for _, p := range s.Platforms {
			line := fmt.Sprintf("  %-20s %-20s %s", "", p.Platform, p.Digest)
			if pooled && p.Daemon != "" { // a step split over the pool
				line += "  on " + p.Daemon
			}
			fmt.Fprintln(w, line)
		}
	}
	failures(w, err)
}

// stepLine is a step's line of the summary; pooled: say on which daemon.
func stepLine(s *builder.StepResult, pooled bool) string {
	line := fmt.Sprintf("  %-20s %-20s %6.1fs  %d/%d cached", s.Label, s.Status, float64(s.Duration)/1e9, s.CachedVertices, s.Vertices)
	if pooled && s.Daemon != "" {
		line += "  on " + s.Daemon
	}
	if s.Digest != "" {
		line += "  " + s.Digest
	}
	if s.Unchanged {
		line += "  unchanged"
	}
	for _, o := range s.Outputs {
		line += "  → " + o
	}
	return line
}

// failures writes why the run failed: interrupted, a failed publish, or
// each failed step with the tail of its output.
func failures(w io.Writer, err error) {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "\nINTERRUPTED: every solve was canceled; nothing was published")
		return
	}
	var pf *builder.PublishFailure
	if errors.As(err, &pf) {
		fmt.Fprintf(w, "\nFAILED: %v\n", pf)
		return
	}
	var be *builder.BuildError
	if !errors.As(err, &be) {
		return
	}
	for _, f := range be.Failed {
		fmt.Fprintf(w, "\nFAILED: %v\n", f)
		var se *builder.StepError
		if errors.As(f, &se) && len(se.Tail) > 0 {
			fmt.Fprintln(w, "  "+strings.Join(se.Tail, "\n  "))
		}
	}
}

// onSeveralDaemons reports whether the steps ran on more than one daemon
// (a pool): the summary then says where each ran.
func onSeveralDaemons(res *builder.Result) bool {
	seen := map[string]bool{}
	for _, s := range res.Steps {
		split := false
		for _, p := range s.Platforms {
			if p.Daemon != "" { // a step split over the pool
				seen[p.Daemon], split = true, true
			}
		}
		if s.Daemon != "" && !split {
			seen[s.Daemon] = true
		}
	}
	return len(seen) > 1
}
