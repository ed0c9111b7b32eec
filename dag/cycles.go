package dag

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dominikbraun/graph"
)

// cycleErrors describes each cycle as "a → b → a", at the position at gives
// for its first edge. Each error wraps graph.ErrEdgeCreatesCycle.
func cycleErrors(x *index, cycles [][]int, at func(from, to *Step) Pos) ErrorList {
	errs := make(ErrorList, 0, len(cycles))
	for _, c := range cycles {
		labels := make([]string, len(c))
		for i, j := range c {
			labels[i] = x.steps[j].Label
		}
		from, to := x.steps[c[0]], x.steps[c[1]]
		errs = append(errs, &Error{
			Pos: at(from, to),
			Msg: fmt.Sprintf("dependency cycle %s; remove one of these dependencies (depends_on or FROM)", strings.Join(labels, " → ")),
			Err: graph.ErrEdgeCreatesCycle,
		})
	}
	return errs
}

// checkCycles reports every cycle, each at the depends_on entry (or the
// dockerfile key, for a FROM) that starts it.
// deps are the steps' resolved dependencies, ordered as their DependsOn.
func (l *loader) checkCycles(b *Build, deps [][]int) {
	x := &index{steps: b.Steps, deps: deps, users: usersOf(deps)}
	if len(x.order()) == len(x.steps) {
		return
	}
	raw := make(map[*Step]*rawStep, len(l.raw))
	for _, rs := range l.raw {
		raw[rs.step] = rs
	}
	at := func(from, to *Step) Pos {
		rs := raw[from]
		for _, d := range rs.dependsOn {
			if d.value == to.Label || (to.Name != "" && d.value == to.Name) {
				return d.pos
			}
		}
		if slices.Contains(from.FromSteps, to.Label) {
			return keyPos(from.Keys["dockerfile"], from.Pos)
		}
		return from.Pos
	}
	l.extra = append(l.extra, cycleErrors(x, x.cycles(), at)...)
}
