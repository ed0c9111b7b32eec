package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/placement"
)

// printPlacement prints where a build on the pool of --builders would run
// each step, in the order placement considers them (critical path first),
// with the platforms each builds for: a platform its daemon does not run
// natively (as the builders file says) is marked "(emulated)", one that a
// published step's split builds on another daemon "(on DAEMON)".
func printPlacement(w io.Writer, p *dag.Plan, steps []*dag.Step, members []builder.PoolMember) error {
	pl := builder.Place(steps, p.Build().WorkDir, members)
	fmt.Fprintf(w, "\nplacement on %d daemons (step durations of earlier runs, 1 s when unknown):\n", len(members))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  DAEMON\tNATIVE PLATFORMS\tCAPACITY")
	for i, d := range pl.Pool {
		fmt.Fprintf(tw, "  %s\t%s\t%d\n", pl.Daemons[i], orNone(d.Native, "(its workers', at build time)"), d.Capacity)
	}
	fmt.Fprintln(tw, "  \t\t")
	fmt.Fprintln(tw, "  STEP\tDAEMON\tSTART\tEND\tPLATFORMS")
	byID := map[string]placement.Task{}
	for _, t := range pl.Tasks {
		byID[t.ID] = t
	}
	for _, l := range pl.Plan.Order {
		s := pl.Plan.Slots[l]
		fmt.Fprintf(tw, "  %s\t%s\t%.1fs\t%.1fs\t%s\n", l, pl.Daemons[s.Daemon], s.Start, s.End, stepPlatformsShown(byID[l], pl, s.Daemon))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	how := "a lower bound"
	if pl.Exact {
		how = "every placement tried"
	}
	_, err := fmt.Fprintf(w, "expected makespan %.1fs; no placement beats %.1fs (%s)\n", pl.Plan.Makespan, pl.LowerBound, how)
	return err
}

// stepPlatformsShown are step t's platforms, placed on daemon home: a
// platform that a split step builds elsewhere says where ("on DAEMON").
func stepPlatformsShown(t placement.Task, pl builder.Placement, home int) string {
	var out []string
	for i, p := range t.Platforms {
		d := home
		if sp := pl.Splits[t.ID]; sp != nil {
			d = sp[i]
		}
		shown := p
		if slices.Contains(placement.Emulated(placement.Task{Platforms: []string{p}}, pl.Pool[d]), p) {
			shown += " (emulated)"
		}
		if d != home {
			shown += " (on " + pl.Daemons[d] + ")"
		}
		out = append(out, shown)
	}
	return orNone(out, "-")
}

func orNone(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	return strings.Join(list, ", ")
}
