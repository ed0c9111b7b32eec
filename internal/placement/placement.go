// Package placement decides which daemon of a pool runs each step of a
// build, pure and with nothing of BuildKit: HEFT-style list scheduling
// (steps ranked by the longest path from them to the end, in the
// durations of earlier runs), each placed where it would finish soonest,
// counting the handover of a dependency built on another daemon, within
// each daemon's capacity; among equal choices, the daemon the step's cache
// key hashes to (rendezvous hashing), so a step keeps landing where its
// cache is.
package placement

import (
	"cmp"
	"hash/fnv"
	"slices"
)

// Task is one step to place.
type Task struct {
	// ID names the step (its label).
	ID string
	// Deps are the IDs of the tasks it needs.
	Deps []string
	// Cost is its expected duration in seconds (1 when unknown).
	Cost float64
	// Key is its cache-affinity key (its label and context).
	Key string
	// Platforms are the platforms it builds for (os/arch[/variant]);
	// empty: any daemon's own (platforms.go).
	Platforms []string
}

// Daemon is one daemon of the pool.
type Daemon struct {
	// Name identifies it (its address).
	Name string
	// Capacity is how many steps it runs at once (at least 1).
	Capacity int
	// Native are the platforms it runs natively; Runs the others it can
	// run, under emulation. Both empty: unknown, it may run any.
	Native, Runs []string
}

// Slot is where and when a task runs in a plan.
type Slot struct {
	// Daemon is the index of its daemon.
	Daemon int
	// Start and End are its expected times, in seconds from the start.
	Start, End float64
}

// Plan is a placement: per task, its slot, and the tasks in the order they
// were placed (their priority: highest rank first).
type Plan struct {
	Slots    map[string]Slot
	Order    []string
	Makespan float64
}

// Ranks are the upward ranks of HEFT: a task's cost plus the longest chain
// of costs (and handovers) from it to the end of the build.
func Ranks(tasks []Task, handover float64) map[string]float64 {
	users := map[string][]string{}
	for _, t := range tasks {
		for _, d := range t.Deps {
			users[d] = append(users[d], t.ID)
		}
	}
	byID := index(tasks)
	rank := map[string]float64{}
	var up func(id string) float64
	up = func(id string) float64 {
		if r, ok := rank[id]; ok {
			return r
		}
		best := 0.0
		for _, u := range users[id] {
			best = max(best, handover+up(u))
		}
		rank[id] = cost(byID[id]) + best
		return rank[id]
	}
	for _, t := range tasks {
		up(t.ID)
	}
	return rank
}

func index(tasks []Task) map[string]Task {
	m := make(map[string]Task, len(tasks))
	for _, t := range tasks {
		m[t.ID] = t
	}
	return m
}

func cost(t Task) float64 {
	if t.Cost <= 0 {
		return 1
	}
	return t.Cost
}

// Order is the tasks by priority: highest rank first, ties by ID. A task's
// rank exceeds its dependents', so dependencies come first.
func Order(tasks []Task, handover float64) []string {
	rank := Ranks(tasks, handover)
	ids := make([]string, 0, len(tasks))
	for _, t := range tasks {
		ids = append(ids, t.ID)
	}
	slices.SortStableFunc(ids, func(a, b string) int {
		if c := cmp.Compare(rank[b], rank[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return ids
}

// Place places every task on one daemon: in rank order, each where it
// would finish earliest among the daemons its platforms allow (Eligible),
// a dependency on another daemon costing handover seconds; among daemons
// that finish it equally early, the one its Key prefers. tasks must form
// a DAG whose dependencies are all in tasks.
func Place(tasks []Task, daemons []Daemon, handover float64) Plan {
	byID := index(tasks)
	prefer := func(t Task) []int {
		ok := Eligible(t, daemons)
		return slices.DeleteFunc(Rendezvous(t.Key, daemons), func(d int) bool { return !slices.Contains(ok, d) })
	}
	free := newSlots(daemons)
	p := Plan{Slots: map[string]Slot{}, Order: Order(tasks, handover)}
	for _, id := range p.Order {
		t := byID[id]
		best, bestEnd := -1, 0.0
		for _, d := range prefer(t) { // preferred first: it wins ties
			start := max(free.earliest(d), ready(t, d, p.Slots, handover))
			end := start + cost(t)
			if best < 0 || end < bestEnd-1e-9 {
				best, bestEnd = d, end
			}
		}
		start := bestEnd - cost(t)
		free.take(best, start, bestEnd)
		p.Slots[id] = Slot{Daemon: best, Start: start, End: bestEnd}
		p.Makespan = max(p.Makespan, bestEnd)
	}
	return p
}

// ready is when t's inputs can be on daemon d.
func ready(t Task, d int, slots map[string]Slot, handover float64) float64 {
	at := 0.0
	for _, dep := range t.Deps {
		s := slots[dep]
		end := s.End
		if s.Daemon != d {
			end += handover
		}
		at = max(at, end)
	}
	return at
}

// slots are the times each daemon's slots come free.
type slots [][]float64

func newSlots(daemons []Daemon) slots {
	s := make(slots, len(daemons))
	for i, d := range daemons {
		s[i] = make([]float64, max(d.Capacity, 1))
	}
	return s
}

func (s slots) earliest(d int) float64 { return slices.Min(s[d]) }

// take gives the task [start, end) the slot of d that came free last
// before start (the earliest one, when none did).
func (s slots) take(d int, start, end float64) {
	pick := slices.Index(s[d], slices.Min(s[d]))
	for i, f := range s[d] {
		if f <= start+1e-9 && f > s[d][pick] {
			pick = i
		}
	}
	s[d][pick] = end
}

// Rendezvous returns the daemons' indexes in the order key prefers them
// (highest random weight first): adding or removing a daemon moves only
// the keys that preferred it.
func Rendezvous(key string, daemons []Daemon) []int {
	w := make([]uint64, len(daemons))
	idx := make([]int, len(daemons))
	for i, d := range daemons {
		h := fnv.New64a()
		h.Write([]byte(d.Name))
		h.Write([]byte{0})
		h.Write([]byte(key))
		w[i], idx[i] = mix(h.Sum64()), i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(w[b], w[a]) })
	return idx
}

// mix is a 64-bit finalizer (splitmix64), spreading FNV's weak low bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// LowerBound is a makespan no placement can beat: the longest chain of
// costs, and the total cost spread over every slot of the pool.
func LowerBound(tasks []Task, daemons []Daemon) float64 {
	chain := 0.0
	for _, r := range Ranks(tasks, 0) {
		chain = max(chain, r)
	}
	total, slots := 0.0, 0
	for _, t := range tasks {
		total += cost(t)
	}
	for _, d := range daemons {
		slots += max(d.Capacity, 1)
	}
	return max(chain, total/float64(max(slots, 1)))
}
