package placement

// maxAssignments bounds Best's search: 3 daemons and 12 steps, or 2 and 18.
const maxAssignments = 600_000

// Best is the least makespan of any placement of tasks on daemons, as Place
// runs a placement (tasks in rank order, each in its daemon's earliest
// slot once its inputs are there, handover seconds for an input from
// another daemon), found by trying every assignment of tasks to the
// daemons their platforms allow (Eligible), pruning those already longer
// than the best found. ok is false when there are more than
// maxAssignments of them: then LowerBound is what the caller has.
func Best(tasks []Task, daemons []Daemon, handover float64) (best float64, ok bool) {
	byID := index(tasks)
	order := Order(tasks, handover)
	choices := make([][]int, len(order))
	count := 1
	for i, id := range order {
		choices[i] = Eligible(byID[id], daemons)
		if count *= len(choices[i]); count > maxAssignments {
			return 0, false
		}
	}
	best = Place(tasks, daemons, handover).Makespan // a placement to beat
	placed := map[string]Slot{}
	var try func(i int, free slots, span float64)
	try = func(i int, free slots, span float64) {
		if span >= best-1e-9 {
			return
		}
		if i == len(order) {
			best = span
			return
		}
		t := byID[order[i]]
		for _, d := range choices[i] {
			start := max(free.earliest(d), ready(t, d, placed, handover))
			end := start + cost(t)
			next := free.clone()
			next.take(d, start, end)
			placed[t.ID] = Slot{Daemon: d, Start: start, End: end}
			try(i+1, next, max(span, end))
		}
		delete(placed, t.ID)
	}
	try(0, newSlots(daemons), 0)
	return best, true
}

func (s slots) clone() slots {
	out := make(slots, len(s))
	for i, d := range s {
		out[i] = append([]float64(nil), d...)
	}
	return out
}
