package report

import (
	"time"

	"github.com/weld-build/weld/dag"
)

// buildPhase says a phase is the step's own build, up to the moment it
// counts as built (exported once and checked): not waiting for a slot, for
// the publish gate, nor publishing.
func buildPhase(name string) bool {
	switch name {
	case "queued", "wait", "publish":
		return false
	}
	return true
}

// buildSpan bounds a step's build phases; false when it has none.
func buildSpan(phases []Phase) (Span, bool) {
	var sp Span
	ok := false
	for _, ph := range phases {
		if !buildPhase(ph.Name) {
			continue
		}
		if !ok || ph.Start.Before(sp.Start) {
			sp.Start = ph.Start
		}
		if !ok || ph.End.After(sp.End) {
			sp.End = ph.End
		}
		ok = true
	}
	return sp, ok
}

// ownSpans sets each step's Own: its build from the later of its own start
// and the end of its dependencies' builds (a dependent's session starts at
// once and waits inside, so its span alone would count its dependencies'
// time twice on a chain).
func (r *Report) ownSpans() {
	built := map[string]time.Time{}
	for i := range r.Steps { // build order: dependencies first
		s := &r.Steps[i]
		sp, ok := buildSpan(s.Phases)
		if !ok {
			continue
		}
		built[s.Label] = sp.End
		for _, d := range s.DependsOn {
			if end, ok := built[d]; ok && end.After(sp.Start) {
				sp.Start = end
			}
		}
		if sp.Start.After(sp.End) {
			sp.Start = sp.End
		}
		s.Own = &sp
	}
}

// critical sets Own, the critical path (the plan's longest path weighted
// by Own) with its length, and the publish tail.
func (r *Report) critical(p *dag.Plan) {
	r.ownSpans()
	own := map[string]float64{}
	var lastBuilt time.Time
	for _, s := range r.Steps {
		if s.Own != nil {
			own[s.Label] = s.Own.Seconds()
			if s.Own.End.After(lastBuilt) {
				lastBuilt = s.Own.End
			}
		}
	}
	var total float64
	var path []string
	for _, s := range p.LongestPath(func(s *dag.Step) float64 { return own[s.Label] }) {
		if _, ok := own[s.Label]; ok {
			path = append(path, s.Label)
			total += own[s.Label]
		}
	}
	if total > 0 {
		r.CriticalPath, r.CriticalSeconds = path, total
	}
	on := map[string]bool{}
	for _, l := range r.CriticalPath {
		on[l] = true
	}
	for i := range r.Steps {
		r.Steps[i].Critical = on[r.Steps[i].Label]
	}
	if !lastBuilt.IsZero() {
		r.PublishSeconds = Span{Start: lastBuilt, End: r.End}.Seconds()
	}
}
