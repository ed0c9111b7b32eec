package policy

import (
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/weld-build/weld/dag"
)

// triggerFrom is one --from a trigger names.
type triggerFrom struct {
	via, name string
	index     bool // a stage index counts (COPY --from; not RUN --mount from=)
}

// triggerRefs lists the images that the ONBUILD triggers of the steps the
// step of src builds FROM name, judged where BuildKit runs them: in this
// step. There a trigger's --from is a stage of this step's Dockerfile or a
// step this step builds FROM, else an external image, whatever the parent's
// own Dockerfile calls a stage. Only the triggers of the parent's target
// stage are in its image (those of its other stages run in its own
// Dockerfile, and commandRefs judges them there). A --from that the
// parent's own check already refuses as the same image is not listed twice.
func (r *reader) triggerRefs(src *source) ([]Reference, error) {
	var out []Reference
	for _, label := range src.step.FromSteps {
		dep := r.stepByLabel(label)
		if dep == nil {
			continue
		}
		psrc, err := r.source(dep)
		if err != nil {
			return nil, err
		}
		for _, c := range psrc.inst[psrc.target].Commands {
			ob, ok := c.(*instructions.OnbuildCommand)
			if !ok {
				continue
			}
			for _, f := range triggerFroms(parseTrigger(ob.Expression)) {
				if !r.externalFrom(src, f.name, f.index) || r.judgedIn(psrc, f) {
					continue
				}
				out = append(out, Reference{Step: src.step.Label, Pos: psrc.pos(line(c)), Kind: KindImage,
					Via: "ONBUILD " + f.via + " of step " + dep.Label, Ref: f.name})
			}
		}
	}
	return out, nil
}

// triggerFroms lists the --from of a trigger: COPY --from and every RUN
// --mount from=.
func triggerFroms(c instructions.Command) []triggerFrom {
	var out []triggerFrom
	switch c := c.(type) {
	case *instructions.CopyCommand:
		if c.From != "" {
			out = append(out, triggerFrom{via: "COPY --from", name: c.From, index: true})
		}
	case *instructions.RunCommand:
		for _, m := range instructions.GetMounts(c) {
			if m.From != "" {
				out = append(out, triggerFrom{via: "RUN --mount from=", name: m.From})
			}
		}
	}
	return out
}

// judgedIn reports whether References already lists f as an image of the
// parent's own Dockerfile (the parent is checked, and f is external there).
func (r *reader) judgedIn(parent *source, f triggerFrom) bool {
	for _, s := range r.steps() {
		if s == parent.step {
			return r.externalFrom(parent, f.name, f.index)
		}
	}
	return false
}

// stepByLabel returns the build's step with that label, or nil.
func (r *reader) stepByLabel(label string) *dag.Step {
	for _, s := range r.in.Build.Steps {
		if s.Label == label {
			return s
		}
	}
	return nil
}
