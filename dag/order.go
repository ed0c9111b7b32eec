package dag

import "slices"

// index is the dependency graph as adjacency lists over step indices in
// file order: deps[i] are the steps i depends on, users[i] its dependents.
// All ordering and cycle finding is done here in O(V+E) (plus a heap for
// file-order tie breaks), not with the graph library.
type index struct {
	steps []*Step
	at    map[string]int
	deps  [][]int
	users [][]int
}

// newIndex builds the adjacency lists; labels that name no step are
// returned as missing.
func newIndex(steps []*Step) (*index, []string) {
	x := &index{steps: steps, at: make(map[string]int, len(steps)), deps: make([][]int, len(steps))}
	for i, s := range steps {
		x.at[s.Label] = i
	}
	var missing []string
	for i, s := range steps {
		for _, d := range s.DependsOn {
			j, ok := x.at[d]
			if !ok {
				missing = append(missing, d)
				continue
			}
			x.deps[i] = append(x.deps[i], j)
		}
	}
	x.users = usersOf(x.deps)
	return x, missing
}

// usersOf inverts deps: users[j] lists, in increasing order, each i with j
// in deps[i] (as often as it is there).
func usersOf(deps [][]int) [][]int {
	users := make([][]int, len(deps))
	for i, ds := range deps {
		for _, j := range ds {
			users[j] = append(users[j], i)
		}
	}
	return users
}

// order is Kahn's algorithm; among ready steps the earliest in the file goes
// first. It returns fewer than all steps when there is a cycle.
func (x *index) order() []int {
	pending := make([]int, len(x.steps))
	ready := make(intHeap, 0, len(x.steps))
	for i := range x.steps {
		if pending[i] = len(x.deps[i]); pending[i] == 0 {
			ready = append(ready, i) // increasing: already a heap
		}
	}
	out := make([]int, 0, len(x.steps))
	for len(ready) > 0 {
		i := ready.pop()
		out = append(out, i)
		for _, u := range x.users[i] {
			if pending[u]--; pending[u] == 0 {
				ready.push(u)
			}
		}
	}
	return out
}

// intHeap is a min-heap of step indices.
type intHeap []int

func (h *intHeap) push(v int) {
	*h = append(*h, v)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	a := *h
	v := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		m := i
		if l := 2*i + 1; l < n && a[l] < a[m] {
			m = l
		}
		if r := 2*i + 2; r < n && a[r] < a[m] {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return v
}

// cycles returns one cycle per strongly connected component that has one,
// each as step indices starting at the component's first step in the file
// and following depends_on; the first index is repeated at the end.
func (x *index) cycles() [][]int {
	var out [][]int
	for _, comp := range x.components() {
		if len(comp) == 1 && !slices.Contains(x.deps[comp[0]], comp[0]) {
			continue
		}
		out = append(out, x.cycleIn(comp))
	}
	slices.SortFunc(out, func(a, b []int) int { return a[0] - b[0] })
	return out
}

// cycleIn finds a shortest cycle through the first step of a strongly
// connected component, by breadth-first search inside it.
func (x *index) cycleIn(comp []int) []int {
	start := slices.Min(comp)
	in := make(map[int]bool, len(comp))
	for _, i := range comp {
		in[i] = true
	}
	prev := map[int]int{}
	queue := []int{start}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, d := range x.deps[i] {
			if d == start {
				return walkBack(prev, start, i)
			}
			if _, seen := prev[d]; !seen && in[d] {
				prev[d] = i
				queue = append(queue, d)
			}
		}
	}
	return []int{start, start}
}

// walkBack rebuilds start → … → last → start from BFS parents.
func walkBack(prev map[int]int, start, last int) []int {
	path := []int{start}
	for i := last; i != start; i = prev[i] {
		path = append(path, i)
	}
	slices.Reverse(path[1:])
	return append(path, start)
}

// components is Tarjan's strongly connected components, iterative so deep
// chains cannot overflow the stack.
func (x *index) components() [][]int {
	n := len(x.steps)
	num, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	var stack []int
	var comps [][]int
	next := 1
	type frame struct{ v, e int }
	for root := range n {
		if num[root] != 0 {
			continue
		}
		calls := []frame{{root, 0}}
		num[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			if f.e < len(x.deps[f.v]) {
				w := x.deps[f.v][f.e]
				f.e++
				switch {
				case num[w] == 0:
					num[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					calls = append(calls, frame{w, 0})
				case onStack[w]:
					low[f.v] = min(low[f.v], num[w])
				}
				continue
			}
			v := f.v
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				p := calls[len(calls)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == num[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				comps = append(comps, comp)
			}
		}
	}
	return comps
}
