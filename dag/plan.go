package dag

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dominikbraun/graph"

	"github.com/weld-build/weld/internal/dockerfile"
)

// Plan is a Build's dependency graph and the queries over it. Edges point
// from a dependency to the step that needs it.
type Plan struct {
	build *Build
	x     *index
	order []int // step indices in build order
	rank  []int // rank[i] is step i's position in order

	graphOnce sync.Once
	g         graph.Graph[string, *Step]
}

// NewPlan builds the graph of b's steps. It fails with an ErrorList when a
// dependency names no step or the steps form a cycle (Load has already
// reported both for a loaded Build).
func NewPlan(b *Build) (*Plan, error) {
	x, missing := newIndex(b.Steps)
	if len(missing) > 0 {
		return nil, ErrorList{{Pos: Pos{File: b.File}, Msg: fmt.Sprintf("unknown dependencies: %s", strings.Join(missing, ", "))}}
	}
	order := x.order()
	if len(order) != len(b.Steps) {
		return nil, cycleErrors(x, x.cycles(), func(from, _ *Step) Pos { return from.Pos })
	}
	p := &Plan{build: b, x: x, order: order, rank: make([]int, len(order))}
	for r, i := range order {
		p.rank[i] = r
	}
	return p, nil
}

// newGraph fills a dominikbraun/graph graph. It is built without
// PreventCycles: NewPlan's ordering has already proven there is no cycle.
// The plan's labels are unique and its edges valid, so adding cannot fail.
func (p *Plan) newGraph() graph.Graph[string, *Step] {
	g := graph.New(func(s *Step) string { return s.Label }, graph.Directed())
	labels := make([]string, len(p.x.steps))
	for i, s := range p.x.steps {
		_ = g.AddVertex(s)
		labels[i] = artifactLabel(s)
	}
	for i, s := range p.x.steps {
		for _, d := range p.x.deps[i] {
			_ = g.AddEdge(p.x.steps[d].Label, s.Label, graph.EdgeAttribute("label", labels[d]))
		}
	}
	return g
}

// artifactLabel lists where a step's artifacts land, for edge labels.
func artifactLabel(s *Step) string {
	paths := make([]string, len(s.Artifacts))
	for i, a := range s.Artifacts {
		paths[i] = a.Path()
	}
	return strings.Join(paths, ", ")
}

// Build returns the Build the plan was made from.
func (p *Plan) Build() *Build { return p.build }

// Graph returns the dependency graph as a github.com/dominikbraun/graph
// graph: one vertex per step, keyed by label, and an edge from each
// dependency to its dependent, whose "label" attribute lists the
// dependency's artifacts. It is built on the first call (the plan's own
// queries run on adjacency lists and do not need it); treat it as read-only.
func (p *Plan) Graph() graph.Graph[string, *Step] {
	p.graphOnce.Do(func() { p.g = p.newGraph() })
	return p.g
}

// Order returns every step in build order: each after its dependencies,
// ties broken by file order.
func (p *Plan) Order() []*Step { return p.steps(p.order) }

func (p *Plan) steps(idx []int) []*Step {
	out := make([]*Step, len(idx))
	for i, j := range idx {
		out[i] = p.x.steps[j]
	}
	return out
}

// Select returns the steps labels name plus everything they need, in build
// order; no labels selects every step. Unknown labels are an ErrorList
// (wrapping ErrInvalid) with one positionless *Error per unknown label, in
// the order given, each with a did-you-mean hint against the step labels
// and image names.
func (p *Plan) Select(labels ...string) ([]*Step, error) {
	if len(labels) == 0 {
		return p.Order(), nil
	}
	var roots []int
	var errs ErrorList
	var unknown []string
	for _, l := range labels {
		i, ok := p.x.at[l]
		if !ok {
			if !slices.Contains(unknown, l) {
				unknown = append(unknown, l)
				errs = append(errs, &Error{Msg: fmt.Sprintf("no step %q in %s%s", l, p.build.File, p.stepHint(l))})
			}
			continue
		}
		roots = append(roots, i)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return p.steps(p.closure(roots, p.x.deps, true)), nil
}

// stepHint is the did-you-mean hint for an unknown label: the closest step
// label, or the step whose image name is closest (saying so), or the labels
// that contain it.
func (p *Plan) stepHint(l string) string {
	labels := p.labels()
	label := suggest(l, labels)
	var names []string
	var owners []*Step
	for _, s := range p.x.steps {
		if s.Name == "" {
			continue
		}
		if dockerfile.NormalizeName(s.Name) == dockerfile.NormalizeName(l) {
			return fmt.Sprintf("; %q is the image name of step %s; select the step by its label, %q", l, s.Label, s.Label)
		}
		names = append(names, s.Name)
		owners = append(owners, s)
	}
	if name := suggest(l, names); name != "" && (label == "" || editDistance(strings.ToLower(l), strings.ToLower(name)) < editDistance(strings.ToLower(l), strings.ToLower(label))) {
		s := owners[slices.Index(names, name)]
		return fmt.Sprintf("; did you mean %q, the step whose image name is %q?", s.Label, s.Name)
	}
	return didYouMean(l, labels)
}

func (p *Plan) labels() []string {
	out := make([]string, len(p.x.steps))
	for i, s := range p.x.steps {
		out[i] = s.Label
	}
	return out
}

// Deps returns the labels label transitively depends on, in build order;
// nil for an unknown label.
func (p *Plan) Deps(label string) []string { return p.walk(label, p.x.deps) }

// Dependents returns the labels that transitively depend on label, in build
// order; nil for an unknown label.
func (p *Plan) Dependents(label string) []string { return p.walk(label, p.x.users) }

func (p *Plan) walk(label string, adj [][]int) []string {
	i, ok := p.x.at[label]
	if !ok {
		return nil
	}
	idx := p.closure([]int{i}, adj, false)
	out := make([]string, len(idx))
	for k, j := range idx {
		out[k] = p.x.steps[j].Label
	}
	return out
}

// closure is everything reachable from roots over adj, in build order;
// the roots themselves only when withRoots.
func (p *Plan) closure(roots []int, adj [][]int, withRoots bool) []int {
	seen := make(map[int]bool)
	stack := slices.Clone(roots)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range adj[i] {
			if !seen[j] {
				seen[j] = true
				stack = append(stack, j)
			}
		}
	}
	if withRoots {
		for _, r := range roots {
			seen[r] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	slices.SortFunc(out, func(a, b int) int { return p.rank[a] - p.rank[b] })
	return out
}

// LongestPath returns the critical path: the chain of dependent steps with
// the largest total weight, in build order. A nil weight counts 1 per
// step; ties go to the chain that ends earlier in build order.
func (p *Plan) LongestPath(weight func(*Step) float64) []*Step {
	return p.longestPath(weight, nil)
}

// longestPath is LongestPath over the chains that end in a step of within
// (all steps when within is nil).
func (p *Plan) longestPath(weight func(*Step) float64, within map[*Step]bool) []*Step {
	if weight == nil {
		weight = func(*Step) float64 { return 1 }
	}
	n := len(p.x.steps)
	dist, prev := make([]float64, n), make([]int, n)
	best := -1
	for _, i := range p.order {
		prev[i] = -1
		for _, d := range p.x.deps[i] {
			if prev[i] < 0 || dist[d] > dist[prev[i]] || (dist[d] == dist[prev[i]] && p.rank[d] < p.rank[prev[i]]) {
				prev[i] = d
			}
		}
		dist[i] = weight(p.x.steps[i])
		if prev[i] >= 0 {
			dist[i] += dist[prev[i]]
		}
		if (within == nil || within[p.x.steps[i]]) && (best < 0 || dist[i] > dist[best]) {
			best = i
		}
	}
	var path []int
	for i := best; i >= 0; i = prev[i] {
		path = append(path, i)
	}
	slices.Reverse(path)
	return p.steps(path)
}
