package policy

import (
	"slices"

	"github.com/moby/buildkit/frontend/subrequests/lint"

	"bytes"
	"errors"
	"fmt"
	"maps"
	"path/filepath"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/internal/dockerfile"
)

// Input is what the checks look at: a loaded build and the steps to check.
type Input struct {
	// Build is the loaded build file.
	Build *dag.Build
	// Steps are the steps to check; nil checks every step.
	Steps []*dag.Step
	// BuildArgs are the command line's build args (--build K=V); they
	// override the steps' own args, as they do in the build, so a FROM
	// $ARG is checked with the value the build will use.
	BuildArgs map[string]string
	// BuildKit holds, per step label, the results of the Dockerfile
	// frontend's lint on the step's real request (builder.Builder.Lint):
	// what docker build --check runs, with the bases' real configs. A step
	// without one is checked by the same linter with an offline resolver.
	BuildKit map[string]*lint.LintResults
	// Selected are the step labels the command line named; nil for all.
	// weld's rules judge only the images a run publishes: a step built only
	// because a selected one needs it is not published.
	Selected []string
}

// publishes reports whether the run publishes the step's image.
func (in Input) publishes(s *dag.Step) bool {
	return s.Publish && (len(in.Selected) == 0 || slices.Contains(in.Selected, s.Label))
}

// source is one step's Dockerfile, read and expanded for its args.
type source struct {
	step   *dag.Step
	rel    string // the Dockerfile's path relative to the work dir
	data   []byte
	args   map[string]string
	stages []dockerfile.Stage
	inst   []instructions.Stage // aligned with stages
	metas  []instructions.ArgCommand
	escape rune
	target int // index of the built stage
}

// reader reads each Dockerfile once.
type reader struct {
	in     Input
	byName map[string]*dag.Step // normalized image name → step
	files  map[string][]byte
	srcs   map[string]*source // by step label
}

func newReader(in Input) *reader {
	r := &reader{in: in, byName: map[string]*dag.Step{}, files: map[string][]byte{}, srcs: map[string]*source{}}
	for _, s := range in.Build.Steps {
		if s.Name != "" {
			r.byName[dockerfile.NormalizeName(s.Name)] = s
		}
	}
	return r
}

func (r *reader) steps() []*dag.Step {
	if r.in.Steps != nil {
		return r.in.Steps
	}
	return r.in.Build.Steps
}

// source reads and expands a step's Dockerfile.
func (r *reader) source(s *dag.Step) (*source, error) {
	if src, ok := r.srcs[s.Label]; ok {
		return src, nil
	}
	data, ok := r.files[s.Dockerfile]
	if !ok {
		var err error
		if data, err = boundedio.ReadFile(s.Dockerfile, boundedio.MaxDockerfile); err != nil {
			if errors.Is(err, boundedio.ErrRefused) { // bad input (exit 2), as dag.Load says of it
				return nil, dag.ErrorList{{Pos: dag.Pos{File: r.rel(s.Dockerfile)}, Msg: fmt.Sprintf("step %s: %v", s.Label, err)}}
			}
			return nil, fmt.Errorf("step %s: reading the Dockerfile: %w", s.Label, err)
		}
		r.files[s.Dockerfile] = data
	}
	src := &source{step: s, rel: r.rel(s.Dockerfile), data: data, args: maps.Clone(s.Args)}
	if src.args == nil {
		src.args = map[string]string{}
	}
	maps.Copy(src.args, r.in.BuildArgs)
	f, err := dockerfile.ParseBytes(data)
	if err == nil {
		src.stages, err = f.Stages(src.args)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: step %s: %w", src.rel, s.Label, err)
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: step %s: %w", src.rel, s.Label, err)
	}
	src.escape = res.EscapeToken
	if src.inst, src.metas, err = instructions.Parse(res.AST, nil); err != nil || len(src.inst) != len(src.stages) {
		return nil, fmt.Errorf("%s: step %s: reading instructions: %v", src.rel, s.Label, err)
	}
	var found bool
	if src.target, found = dockerfile.Target(src.stages, s.Target); !found {
		return nil, fmt.Errorf("%s: step %s: no stage %q", src.rel, s.Label, s.Target)
	}
	r.srcs[s.Label] = src
	return src, nil
}

// rel shows a path relative to the work dir.
func (r *reader) rel(p string) string {
	if rel, err := filepath.Rel(r.in.Build.WorkDir, p); err == nil {
		return rel
	}
	return p
}

// fromStep returns the step a stage's FROM names, or nil.
func (r *reader) fromStep(src *source, st dockerfile.Stage) *dag.Step {
	if st.BaseStage >= 0 || st.Base == dockerfile.Scratch {
		return nil
	}
	if dep := r.byName[dockerfile.NormalizeName(st.Base)]; dep != nil && dep != src.step {
		return dep
	}
	return nil
}

// external reports whether a stage's FROM names an external image.
func (r *reader) external(src *source, st dockerfile.Stage) bool {
	return st.BaseStage < 0 && st.Base != dockerfile.Scratch && r.fromStep(src, st) == nil
}

// pos is a Dockerfile line as a position.
func (src *source) pos(line int) dag.Pos { return dag.Pos{File: src.rel, Line: line} }
