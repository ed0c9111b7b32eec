package dag

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/weld-build/weld/internal/dockerfile"
)

// resolver turns names, depends_on and FROM lines into edges.
type resolver struct {
	l       *loader
	steps   []*rawStep
	byLabel map[string]*Step
	byName  map[string]*Step // normalized image name → step
	labels  []string
	files   map[string]parsedFile // Dockerfiles by absolute path
	norms   map[string]string     // NormalizeName results
}

// parsedFile is a Dockerfile read once, shared by the steps that use it.
type parsedFile struct {
	f   *dockerfile.File
	err error
}

func newResolver(l *loader, steps []*rawStep) *resolver {
	r := &resolver{l: l, steps: steps, byLabel: make(map[string]*Step, len(steps)),
		byName: make(map[string]*Step, len(steps)), files: map[string]parsedFile{}, norms: map[string]string{}}
	for _, rs := range steps {
		r.byLabel[rs.step.Label] = rs.step
		r.labels = append(r.labels, rs.step.Label)
	}
	return r
}

// resolve fills in DependsOn, FromSteps, Bases and FinalBase.
func (r *resolver) resolve() {
	r.indexNames()
	for _, rs := range r.steps {
		deps := r.dependsOn(rs)
		r.readDockerfile(rs.step)
		deps = append(deps, rs.step.FromSteps...)
		if len(deps) > 0 {
			slices.Sort(deps)
			rs.step.DependsOn = slices.Compact(deps)
		}
	}
}

// indexNames checks image names and reports duplicates.
func (r *resolver) indexNames() {
	for _, rs := range r.steps {
		s := rs.step
		if s.Name == "" {
			continue
		}
		if err := dockerfile.ValidName(s.Name); err != nil {
			r.l.errorf(s.Keys["name"], "name %q is not a valid image name (%v); use lower case, like registry/repo:tag", s.Name, err)
			continue
		}
		key := dockerfile.NormalizeName(s.Name)
		if prev, ok := r.byName[key]; ok {
			r.l.errorf(s.Keys["name"], "name %q is also the name of step %s (line %d); give each step its own image name", s.Name, prev.Label, prev.Pos.Line)
			continue
		}
		r.byName[key] = s
	}
}

// norm is dockerfile.NormalizeName, memoized: bases repeat a lot.
func (r *resolver) norm(name string) string {
	n, ok := r.norms[name]
	if !ok {
		n = dockerfile.NormalizeName(name)
		r.norms[name] = n
	}
	return n
}

// dependsOn resolves depends_on entries to labels.
func (r *resolver) dependsOn(rs *rawStep) []string {
	s := rs.step
	deps := make([]string, 0, len(rs.dependsOn)+1)
	for _, d := range rs.dependsOn {
		switch dep := r.lookup(d.value); {
		case d.value == s.Label || dep == s:
			r.l.errorf(d.pos, "step %s depends on itself; remove %q from depends_on", s.Label, d.value)
		case dep == nil:
			r.l.errorf(d.pos, "depends_on names %q, which is not a step%s", d.value, didYouMean(d.value, r.labels))
		default:
			if dep.Label != d.value {
				r.l.warnf(d.pos, "depends_on names the image %q; write the step label %s instead", d.value, dep.Label)
			}
			deps = append(deps, dep.Label)
		}
	}
	return deps
}

// lookup finds a step by label, or else by image name.
func (r *resolver) lookup(v string) *Step {
	if s, ok := r.byLabel[v]; ok {
		return s
	}
	return r.byName[r.norm(v)]
}

// readDockerfile reads a step's FROM lines: edges to other steps, external
// bases and the final base.
func (r *resolver) readDockerfile(s *Step) {
	if s.Dockerfile == "" {
		return // already reported
	}
	at := keyPos(s.Keys["dockerfile"], s.Pos)
	stages, err := r.stages(s)
	if err != nil {
		r.l.errorf(at, "reading %s: %v; fix the Dockerfile", r.rel(s.Dockerfile), err)
		return
	}
	for _, st := range stages {
		r.from(s, st)
	}
	t, ok := dockerfile.Target(stages, s.Target)
	if !ok {
		r.l.errorf(keyPos(s.Keys["target"], at), "target %q is not a stage of %s; stages: %s", s.Target, r.rel(s.Dockerfile), stageNames(stages))
		return
	}
	s.FinalBase = r.finalBase(s, dockerfile.Root(stages, t))
}

// stages reads a Dockerfile once per Load and expands it for s's args.
func (r *resolver) stages(s *Step) ([]dockerfile.Stage, error) {
	pf, ok := r.files[s.Dockerfile]
	if !ok {
		data, err := os.ReadFile(s.Dockerfile)
		if err == nil {
			pf.f, err = dockerfile.ParseBytes(data)
		}
		pf.err = err
		r.files[s.Dockerfile] = pf
	}
	if pf.err != nil {
		return nil, pf.err
	}
	return pf.f.Stages(s.Args)
}

// from records one stage's base: a stage, scratch, a step, or external.
func (r *resolver) from(s *Step, st dockerfile.Stage) {
	if st.BaseStage >= 0 || st.Base == dockerfile.Scratch {
		return
	}
	if dep := r.byName[r.norm(st.Base)]; dep != nil && dep != s {
		if !slices.Contains(s.FromSteps, dep.Label) {
			s.FromSteps = append(s.FromSteps, dep.Label)
		}
		return
	}
	s.Bases = append(s.Bases, Base{Ref: st.Base, Pos: Pos{File: s.Dockerfile, Line: st.Line}})
}

// finalBase describes the root of the built stage.
func (r *resolver) finalBase(s *Step, root dockerfile.Stage) FinalBase {
	switch dep := r.byName[r.norm(root.Base)]; {
	case root.Base == dockerfile.Scratch:
		return FinalBase{Scratch: true}
	case dep != nil && dep != s:
		return FinalBase{Step: dep.Label}
	}
	return FinalBase{Ref: root.Base}
}

// rel shows a path relative to the work dir.
func (r *resolver) rel(p string) string {
	if rel, err := filepath.Rel(r.l.fs.workDir, p); err == nil {
		return rel
	}
	return p
}

func stageNames(stages []dockerfile.Stage) string {
	var names []string
	for _, st := range stages {
		if st.Name != "" {
			names = append(names, st.Name)
		}
	}
	if len(names) == 0 {
		return "none has a name (FROM ... AS name)"
	}
	return strings.Join(names, ", ")
}
