package dag

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// Formats are the formats Render writes.
var Formats = []string{"text", "json", "dot", "mermaid"}

// Render writes steps (a selection from Select, in build order; nil for
// every step) in a format:
//
//   - "text": the steps in build order, numbered, with their dependencies,
//     Dockerfile, bases and artifacts; "*" marks the longest path.
//   - "json": a PlanJSON object, described below.
//   - "dot": a Graphviz digraph; render it with `dot -Tsvg`.
//   - "mermaid": a Mermaid flowchart.
//
// In dot and mermaid, an edge goes from a dependency to its dependent and
// is labelled with the artifacts it hands over ("FROM" when the dependent
// builds on the dependency's image); the longest path is drawn bold.
// WithContextSizes adds each step's context size to text and json.
func (p *Plan) Render(w io.Writer, format string, steps []*Step, opts ...RenderOption) error {
	if steps == nil {
		steps = p.Order()
	}
	v := p.view(steps)
	for _, o := range opts {
		o(v)
	}
	switch format {
	case "text":
		return v.text(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v.json())
	case "dot":
		return v.dot(w)
	case "mermaid":
		return v.mermaid(w)
	}
	return fmt.Errorf("unknown format %q; use one of %s", format, strings.Join(Formats, ", "))
}

// view is a selection of steps prepared for rendering.
type view struct {
	p        *Plan
	steps    []*Step
	in       map[*Step]bool
	critical map[*Step]bool
	path     []*Step
	sizes    map[string]ContextSize // by label; nil when not measured
}

func (p *Plan) view(steps []*Step) *view {
	v := &view{p: p, steps: steps, in: make(map[*Step]bool, len(steps)), critical: map[*Step]bool{}}
	for _, s := range steps {
		v.in[s] = true
	}
	if len(steps) > 0 {
		v.path = p.longestPath(nil, v.in)
	}
	for _, s := range v.path {
		v.critical[s] = true
	}
	return v
}

// rel shows an absolute path relative to the work dir, with slashes.
func (v *view) rel(p string) string {
	if r, err := filepath.Rel(v.p.build.WorkDir, p); err == nil && p != "" {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(p)
}

// edges calls f for each edge inside the selection, in build order of the
// dependent, with its label.
func (v *view) edges(f func(dep, s *Step, label string)) {
	for _, s := range v.steps {
		for _, d := range s.DependsOn {
			dep := v.p.build.Step(d)
			if dep == nil || !v.in[dep] {
				continue
			}
			f(dep, s, edgeLabel(dep, s))
		}
	}
}

// edgeLabel lists the artifacts dep hands to s, and FROM if s builds on it.
func edgeLabel(dep, s *Step) string {
	var parts []string
	if a := artifactLabel(dep); a != "" {
		parts = append(parts, a)
	}
	if slices.Contains(s.FromSteps, dep.Label) {
		parts = append(parts, "FROM")
	}
	return strings.Join(parts, ", ")
}

func pathLabels(steps []*Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Label
	}
	return out
}
