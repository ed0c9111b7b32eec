package placement

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func wide(n int, c float64) []Task {
	var ts []Task
	for i := range n {
		ts = append(ts, Task{ID: fmt.Sprintf("s%d", i), Cost: c, Key: fmt.Sprintf("s%d", i)})
	}
	return ts
}

func pool(n, capacity int) []Daemon {
	var ds []Daemon
	for i := range n {
		ds = append(ds, Daemon{Name: fmt.Sprintf("unix:///d%d.sock", i), Capacity: capacity})
	}
	return ds
}

func TestPlaceSpreadsIndependentSteps(t *testing.T) {
	p := Place(wide(6, 2), pool(3, 1), 0.5)
	per := map[int]int{}
	for _, s := range p.Slots {
		per[s.Daemon]++
	}
	for d := range 3 {
		if per[d] != 2 {
			t.Errorf("daemon %d runs %d steps, want 2 (slots %v)", d, per[d], p.Slots)
		}
	}
	if p.Makespan != 4 {
		t.Errorf("makespan %v, want 4", p.Makespan)
	}
}

func TestPlaceKeepsAChainTogether(t *testing.T) {
	tasks := []Task{{ID: "a", Cost: 3}, {ID: "b", Deps: []string{"a"}, Cost: 1}, {ID: "c", Deps: []string{"b"}, Cost: 1}}
	p := Place(tasks, pool(3, 1), 0.5)
	if p.Slots["a"].Daemon != p.Slots["b"].Daemon || p.Slots["b"].Daemon != p.Slots["c"].Daemon {
		t.Errorf("a chain was split: %v", p.Slots)
	}
	if p.Makespan != 5 {
		t.Errorf("makespan %v, want 5", p.Makespan)
	}
}

func TestPlaceMovesWhenWaitingCostsMore(t *testing.T) {
	// a then four 2 s dependents: on one daemon they would wait 8 s; the
	// handover of 0.5 s is cheaper for all but the first.
	tasks := []Task{{ID: "a", Cost: 1}}
	for i := range 4 {
		tasks = append(tasks, Task{ID: fmt.Sprintf("u%d", i), Deps: []string{"a"}, Cost: 2})
	}
	p := Place(tasks, pool(2, 1), 0.5)
	a := p.Slots["a"].Daemon
	moved := 0
	for i := range 4 {
		if p.Slots[fmt.Sprintf("u%d", i)].Daemon != a {
			moved++
		}
	}
	if moved != 2 {
		t.Errorf("%d dependents moved off a's daemon, want 2: %v", moved, p.Slots)
	}
	// and when the handover costs more than the wait, nothing moves
	p = Place(tasks, pool(2, 1), 100)
	for id, s := range p.Slots {
		if s.Daemon != p.Slots["a"].Daemon {
			t.Errorf("%s moved although the handover costs 100 s: %v", id, p.Slots)
		}
	}
}

func TestPlaceRespectsCapacity(t *testing.T) {
	p := Place(wide(8, 1), pool(2, 3), 0.5)
	for _, at := range []float64{0.5, 1.5, 2.5} {
		busy := map[int]int{}
		for _, s := range p.Slots {
			if s.Start <= at && at < s.End {
				busy[s.Daemon]++
			}
		}
		for d, n := range busy {
			if n > 3 {
				t.Errorf("at %vs daemon %d runs %d steps, capacity 3", at, d, n)
			}
		}
	}
	if p.Makespan != 2 {
		t.Errorf("makespan %v, want 2 (8 steps over 6 slots)", p.Makespan)
	}
}

func TestOrderIsByRank(t *testing.T) {
	tasks := []Task{
		{ID: "short", Cost: 1},
		{ID: "long1", Cost: 2}, {ID: "long2", Deps: []string{"long1"}, Cost: 5},
	}
	got := Order(tasks, 0)
	want := []string{"long1", "long2", "short"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Order = %v, want %v", got, want)
	}
}

func TestRendezvousIsStable(t *testing.T) {
	ds := pool(4, 1)
	moved := 0
	for i := range 200 {
		key := fmt.Sprintf("step%d", i)
		before := ds[Rendezvous(key, ds)[0]].Name
		after := ds[:3][Rendezvous(key, ds[:3])[0]].Name
		if before != after {
			if before != ds[3].Name {
				t.Fatalf("%s moved from %s to %s when another daemon left", key, before, after)
			}
			moved++
		}
	}
	if moved < 20 || moved > 80 {
		t.Errorf("%d of 200 keys preferred the 4th daemon, want about 50", moved)
	}
}

func TestPlaceUsesAffinityOnTies(t *testing.T) {
	ds := pool(3, 1)
	for i := range 20 {
		key := fmt.Sprintf("ctx%d", i)
		p := Place([]Task{{ID: "x", Key: key}}, ds, 0.5)
		if want := Rendezvous(key, ds)[0]; p.Slots["x"].Daemon != want {
			t.Errorf("key %s placed on %d, want its preferred %d", key, p.Slots["x"].Daemon, want)
		}
	}
}

// TestPlaceNearOptimal compares the makespan of Place with the best list
// schedule found by trying every order and every assignment, on small
// random DAGs.
func TestPlaceNearOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst := 1.0
	for trial := range 60 {
		tasks, ds, h := randomDAG(rng)
		n := len(tasks)
		got := Place(tasks, ds, h).Makespan
		best := bruteForce(tasks, ds, h)
		if got < best-1e-9 {
			t.Fatalf("trial %d: Place %v beats the optimum %v: the brute force is wrong", trial, got, best)
		}
		if lb := LowerBound(tasks, ds); best < lb-1e-9 {
			t.Fatalf("trial %d: optimum %v under the lower bound %v", trial, best, lb)
		}
		worst = max(worst, got/best)
		if got > 1.15*best {
			t.Errorf("trial %d: makespan %v, optimum %v (%.0f%% over; %d tasks %v on %d daemons, handover %v)",
				trial, got, best, 100*(got/best-1), n, tasks, len(ds), h)
		}
	}
	t.Logf("worst ratio to the optimum: %.3f", worst)
}

// bruteForce is the least makespan over every topological order and every
// assignment of tasks to daemons, each task started as early as its
// inputs and a slot of its daemon allow.
func bruteForce(tasks []Task, ds []Daemon, h float64) float64 {
	byID := index(tasks)
	n := len(tasks)
	best := -1.0
	done := map[string]bool{}
	order := make([]string, 0, n)
	var perm func()
	perm = func() {
		if len(order) == n {
			assign := make([]int, n)
			for {
				free := newSlots(ds)
				slots := map[string]Slot{}
				span := 0.0
				for i, id := range order {
					t := byID[id]
					d := assign[i]
					start := max(free.earliest(d), ready(t, d, slots, h))
					end := start + cost(t)
					free.take(d, start, end)
					slots[id] = Slot{Daemon: d, Start: start, End: end}
					span = max(span, end)
				}
				if best < 0 || span < best {
					best = span
				}
				k := 0
				for k < n && assign[k] == len(ds)-1 {
					assign[k] = 0
					k++
				}
				if k == n {
					return
				}
				assign[k]++
			}
		}
		for _, t := range tasks {
			if done[t.ID] || !depsDone(t, done) {
				continue
			}
			done[t.ID] = true
			order = append(order, t.ID)
			perm()
			order = order[:len(order)-1]
			done[t.ID] = false
		}
	}
	perm()
	return best
}

func depsDone(t Task, done map[string]bool) bool {
	for _, d := range t.Deps {
		if !done[d] {
			return false
		}
	}
	return true
}

// TestBest: Best is never above Place's makespan nor below the optimum over
// every order (bruteForce) or LowerBound, on small random DAGs; on a
// fan-out it finds the split that a handover makes worth it.
func TestBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 60 {
		tasks, ds, h := randomDAG(rng)
		n := len(tasks)
		best, ok := Best(tasks, ds, h)
		if !ok {
			t.Fatalf("trial %d: %d tasks on %d daemons: no search", trial, n, len(ds))
		}
		if got := Place(tasks, ds, h).Makespan; best > got+1e-9 {
			t.Errorf("trial %d: Best %v above Place's %v", trial, best, got)
		}
		if opt := bruteForce(tasks, ds, h); best < opt-1e-9 {
			t.Errorf("trial %d: Best %v below the optimum %v", trial, best, opt)
		}
	}
	// root 2 s, then 8 leaves of 1 s on 3 daemons of one slot: 3 leaves
	// beside root, 3 and 2 on the others after a 0.5 s handover.
	tasks := []Task{{ID: "root", Cost: 2}}
	for i := range 8 {
		tasks = append(tasks, Task{ID: fmt.Sprintf("leaf%d", i), Deps: []string{"root"}, Cost: 1, Key: fmt.Sprint(i)})
	}
	if best, ok := Best(tasks, pool(3, 1), 0.5); !ok || best != 5.5 {
		t.Errorf("fan-out of 8: Best = %v, %v; want 5.5", best, ok)
	}
	if _, ok := Best(wide(16, 1), pool(3, 1), 0.5); ok {
		t.Error("16 steps on 3 daemons: Best searched 3^16 placements, want it to give up")
	}
}

// randomDAG is a small random DAG (3 to 6 tasks of 1 to 4 s, each needing
// an earlier one with probability 0.3), a pool of 2 or 3 daemons of 1 or 2
// slots, and a handover cost.
func randomDAG(rng *rand.Rand) ([]Task, []Daemon, float64) {
	n := 3 + rng.IntN(4)
	var tasks []Task
	for i := range n {
		tk := Task{ID: fmt.Sprintf("t%d", i), Cost: float64(1 + rng.IntN(4)), Key: fmt.Sprint(rng.Int())}
		for j := range i {
			if rng.Float64() < 0.3 {
				tk.Deps = append(tk.Deps, fmt.Sprintf("t%d", j))
			}
		}
		tasks = append(tasks, tk)
	}
	return tasks, pool(2+rng.IntN(2), 1+rng.IntN(2)), []float64{0.2, 0.5, 1}[rng.IntN(3)]
}
