package builder

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/lint"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/internal/dockerfile"
)

// localLint runs the Dockerfile frontend's lint in-process, for the steps
// of one Lint, on the request each step's session would send: the same
// frontend attrs (session.go's frontendAttrs), the named contexts of the
// steps it builds FROM with their image configs (computed by converting
// those steps, in-process too), and its bases answered by lintBases.
// Identical requests are linted once.
//
// What differs from the daemon's lint subrequest: the frontend is the
// Dockerfile frontend of the BuildKit module weld is built with, not the
// daemon's built-in one (a daemon of another version may know other
// rules); it assumes every LLB capability of that version; the build
// platform is the daemon's first worker's when a resolution session ran,
// else this host's; a step built FROM a step that WithFrontends lets run
// its own frontend gets that parent's config from the built-in frontend;
// and the lint shows no "load metadata" progress of its own.
type localLint struct {
	r     *run
	bases *lintBases
	data  map[string][]byte // Dockerfile bytes by step label

	mu      sync.Mutex
	configs map[string]*onceValue[[]byte]              // step label → its image config
	results map[[32]byte]*onceValue[*lint.LintResults] // request digest → results
}

// onceValue is a value computed once, that others wait for.
type onceValue[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (o *onceValue[T]) get(f func() (T, error)) (T, error) {
	o.once.Do(func() { o.v, o.err = f() })
	return o.v, o.err
}

// newLocalLint reads the steps' Dockerfiles and resolves, in one session,
// the registry images their FROMs name.
func (r *run) newLocalLint(ctx context.Context, f imageFetcher) (*localLint, error) {
	l := &localLint{
		r: r, bases: &lintBases{images: newImageResolver(f), dirs: r.bases.dirs},
		data: map[string][]byte{}, configs: map[string]*onceValue[[]byte]{}, results: map[[32]byte]*onceValue[*lint.LintResults]{},
	}
	var refs []string
	for _, s := range r.steps {
		dt, err := boundedio.ReadFile(s.Dockerfile, boundedio.MaxDockerfile)
		if err != nil {
			return nil, fmt.Errorf("step %q: reading the Dockerfile: %w", s.Label, err)
		}
		l.data[s.Label] = dt
		if r.o.frontends[s.Label] != "" { // linted by its own frontend (lint.go)
			continue
		}
		attrs, err := l.attrs(s)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", s.Label, err)
		}
		for _, d := range s.FromSteps { // named contexts: never resolved
			if key, err := ContextKey(r.stepByLabel(d).Name); err == nil {
				attrs["context:"+key] = "input:step-" + d
			}
		}
		refs = append(refs, registryBases(dt, attrs)...)
	}
	slices.Sort(refs)
	if err := l.bases.images.prefetch(ctx, slices.Compact(refs)); err != nil {
		return nil, fmt.Errorf("resolving the base images: %w", err)
	}
	return l, nil
}

// registryBases are the images a Dockerfile's FROMs resolve through the
// registry, given the request's attrs: not stages, not scratch, not named
// contexts, and a docker-image:// replacement's target instead of the
// replaced ref. What this misses (a FROM the frontend expands otherwise)
// is resolved when the frontend asks.
func registryBases(dt []byte, attrs map[string]string) []string {
	f, err := dockerfile.ParseBytes(dt)
	if err != nil {
		return nil
	}
	stages, err := f.Stages(buildArgs(attrs))
	if err != nil {
		return nil
	}
	var out []string
	for _, st := range stages {
		if st.BaseStage >= 0 || strings.EqualFold(st.Base, dockerfile.Scratch) {
			continue
		}
		ref := st.Base
		if key, err := ContextKey(ref); err == nil {
			if v, ok := attrs["context:"+key]; ok {
				var isImage bool
				if ref, isImage = strings.CutPrefix(v, "docker-image://"); !isImage {
					continue
				}
			}
		}
		if named, err := reference.ParseNormalizedNamed(ref); err == nil {
			out = append(out, reference.TagNameOnly(named).String())
		}
	}
	return out
}

func buildArgs(attrs map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range attrs {
		if name, ok := strings.CutPrefix(k, "build-arg:"); ok {
			out[name] = v
		}
	}
	return out
}

// attrs are the step's frontend attrs without the named contexts of the
// steps it builds FROM.
func (l *localLint) attrs(s *dag.Step) (map[string]string, error) {
	return (&stepSession{run: l.r}).frontendAttrs(s)
}

// request is a step's frontend attrs and inputs, as its session sends
// them: the steps it builds FROM are named contexts (input:step-LABEL) with
// their image configs as input metadata. The inputs' states are empty:
// nothing is solved.
func (l *localLint) request(ctx context.Context, s *dag.Step) (map[string]string, map[string]llb.State, error) {
	attrs, err := l.attrs(s)
	if err != nil {
		return nil, nil, err
	}
	inputs := map[string]llb.State{"context": llb.Scratch()}
	for _, d := range s.DependsOn {
		if !slices.Contains(s.FromSteps, d) {
			continue
		}
		dep := l.r.stepByLabel(d)
		cfg, err := l.config(ctx, dep)
		if err != nil {
			return nil, nil, fmt.Errorf("step %q: %w", d, err)
		}
		key, err := ContextKey(dep.Name)
		if err != nil {
			return nil, nil, err
		}
		md, err := json.Marshal(map[string][]byte{exptypes.ExporterImageConfigKey: cfg})
		if err != nil {
			return nil, nil, err
		}
		in := "step-" + d
		inputs[in] = llb.Scratch()
		attrs["context:"+key] = "input:" + in
		attrs["input-metadata:"+in] = string(md)
	}
	return attrs, inputs, nil
}

// convertOpt is the frontend's conversion options for a request, as
// frontend/dockerfile/builder.Build makes them.
func (l *localLint) convertOpt(s *dag.Step, attrs map[string]string, inputs map[string]llb.State) (dockerfile2llb.ConvertOpt, error) {
	c := newLintClient(attrs, inputs, l.bases)
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return dockerfile2llb.ConvertOpt{}, err
	}
	dt := l.data[s.Label]
	return dockerfile2llb.ConvertOpt{
		Config:       bc.Config,
		Client:       bc,
		SourceMap:    &llb.SourceMap{Definition: &llb.Definition{}, Filename: attrs["filename"], Language: "Dockerfile", Data: dt},
		MetaResolver: c,
	}, nil
}

// config is a step's image config, from its conversion, computed once.
// Like the build, it fails when the step's Dockerfile does not convert.
func (l *localLint) config(ctx context.Context, s *dag.Step) ([]byte, error) {
	l.mu.Lock()
	o, ok := l.configs[s.Label]
	if !ok {
		o = &onceValue[[]byte]{}
		l.configs[s.Label] = o
	}
	l.mu.Unlock()
	return o.get(func() ([]byte, error) {
		attrs, inputs, err := l.request(ctx, s)
		if err != nil {
			return nil, err
		}
		opt, err := l.convertOpt(s, attrs, inputs)
		if err != nil {
			return nil, err
		}
		res, err := dockerfile2llb.Dockerfile2LLB(ctx, l.data[s.Label], opt)
		if err != nil {
			return nil, err
		}
		return json.Marshal(res.Image)
	})
}

// lint runs the frontend's lint on a step's request; a request already
// linted (the same Dockerfile, attrs and base configs) is not linted again.
func (l *localLint) lint(ctx context.Context, s *dag.Step) (*lint.LintResults, error) {
	attrs, inputs, err := l.request(ctx, s)
	if err != nil {
		return nil, err
	}
	key := requestKey(l.data[s.Label], attrs)
	l.mu.Lock()
	o, ok := l.results[key]
	if !ok {
		o = &onceValue[*lint.LintResults]{}
		l.results[key] = o
	}
	l.mu.Unlock()
	return o.get(func() (*lint.LintResults, error) {
		opt, err := l.convertOpt(s, attrs, inputs)
		if err != nil {
			return nil, err
		}
		return dockerfile2llb.DockerfileLint(ctx, l.data[s.Label], opt)
	})
}

// requestKey digests what the lint of a request depends on: the
// Dockerfile and the attrs (build args, target, named contexts and the
// configs they carry), but not what names the step and no check reads:
// the image labels and the step's Dockerfile local.
func requestKey(dt []byte, attrs map[string]string) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00", len(dt))
	h.Write(dt)
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if !strings.HasPrefix(k, "label:") && k != "dockerfilekey" {
			fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(attrs[k]), attrs[k])
		}
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
