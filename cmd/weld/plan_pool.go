package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
)

// printPlacement prints where a build on the pool of --builders would run
// each step, in the order placement considers them (critical path first).
func printPlacement(w io.Writer, p *dag.Plan, steps []*dag.Step, members []builder.PoolMember) error {
	pl := builder.Place(steps, p.Build().WorkDir, members)
	fmt.Fprintf(w, "\nplacement on %d daemons (step durations of earlier runs, 1 s when unknown):\n", len(members))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  STEP\tDAEMON\tSTART\tEND")
	for _, l := range pl.Plan.Order {
		s := pl.Plan.Slots[l]
		fmt.Fprintf(tw, "  %s\t%s\t%.1fs\t%.1fs\n", l, pl.Daemons[s.Daemon], s.Start, s.End)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "expected makespan %.1fs; no placement beats %.1fs\n", pl.Plan.Makespan, pl.LowerBound)
	return err
}
