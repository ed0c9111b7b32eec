package dag

import (
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/internal/dockerfile"
)

// resolver turns names, depends_on and FROM lines into edges. Steps are
// known by their index in steps (file order).
type resolver struct {
	l       *loader
	steps   []*rawStep
	byLabel map[string]int
	byName  map[string]int        // normalized image name → step
	labels  []string              // for did-you-mean hints; made when first needed
	files   map[string]parsedFile // Dockerfiles by absolute path
	named   map[string]int        // image name as written → step, or -1: byName[NormalizeName(name)], memoized
	deps    [][]int               // resolved dependencies per step, ordered as DependsOn
}

// parsedFile is a Dockerfile read once, shared by the steps that use it.
type parsedFile struct {
	f   *dockerfile.File
	err error
}

func newResolver(l *loader, steps []*rawStep) *resolver {
	r := &resolver{l: l, steps: steps, byLabel: make(map[string]int, len(steps)),
		byName: make(map[string]int, len(steps)), files: map[string]parsedFile{}, named: map[string]int{},
		deps: make([][]int, len(steps))}
	for i, rs := range steps {
		r.byLabel[rs.step.Label] = i
	}
	return r
}

// resolve fills in DependsOn, FromSteps, Bases and FinalBase, and r.deps.
func (r *resolver) resolve() {
	r.indexNames()
	r.readDockerfiles()
	var deps []int
	for i, rs := range r.steps {
		deps = r.dependsOn(deps[:0], i, rs)
		deps = r.readDockerfile(deps, i, rs.step)
		if len(deps) == 0 {
			continue
		}
		// DependsOn is sorted by label, without duplicates (labels are
		// unique, so equal labels are equal indices).
		slices.SortFunc(deps, func(a, b int) int { return strings.Compare(r.steps[a].step.Label, r.steps[b].step.Label) })
		deps = slices.Compact(deps)
		r.deps[i] = slices.Clone(deps)
		labels := make([]string, 0, len(deps))
		for _, d := range deps {
			labels = append(labels, r.steps[d].step.Label)
		}
		rs.step.DependsOn = labels
	}
}

// indexNames checks image names and reports duplicates.
func (r *resolver) indexNames() {
	for i, rs := range r.steps {
		s := rs.step
		if s.Name == "" {
			continue
		}
		if err := dockerfile.ValidName(s.Name); err != nil {
			r.l.errorf(s.Keys["name"], "name %q is not a valid image name (%v); %s", s.Name, err, nameHint(s.Name))
			continue
		}
		key := dockerfile.NormalizeName(s.Name)
		if prev, ok := r.byName[key]; ok {
			p := r.steps[prev]
			same := ""
			if p.step.Name != s.Name {
				same = fmt.Sprintf(" %q, the same image,", p.step.Name)
			}
			r.l.errorf(keyPos(rs.name.pos, s.Keys["name"]), "name %q is also the name of step %s (its name:%s at %d:%d); give each step its own image name",
				s.Name, p.step.Label, same, p.name.pos.Line, p.name.pos.Col)
			continue
		}
		r.byName[key] = i
	}
}

// nameHint says how to fix an invalid image name: lower case when that is
// all it takes, else what a valid name looks like (and which characters no
// name may hold).
func nameHint(name string) string {
	if lower := strings.ToLower(name); lower != name && dockerfile.ValidName(lower) == nil {
		return fmt.Sprintf("use lower case: %q", lower)
	}
	var bad []string
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-/:@", c)
		if q := strconv.Quote(string(c)); !ok && !slices.Contains(bad, q) {
			bad = append(bad, q)
		}
	}
	hint := "write it like registry/repo:tag: lower-case letters and digits, separated by . _ or -, in parts joined by /, then an optional :tag"
	if len(bad) > 0 {
		return "an image name cannot hold " + strings.Join(bad, ", ") + "; " + hint
	}
	return hint
}

// stepNamed returns the step whose image name is name (normalized), or -1;
// memoized: bases repeat a lot.
func (r *resolver) stepNamed(name string) int {
	i, ok := r.named[name]
	if !ok {
		if i, ok = r.byName[dockerfile.NormalizeName(name)]; !ok {
			i = -1
		}
		r.named[name] = i
	}
	return i
}

// dependsOn appends the steps step i's depends_on entries name to deps.
func (r *resolver) dependsOn(deps []int, i int, rs *rawStep) []int {
	s := rs.step
	for _, d := range rs.dependsOn {
		switch dep := r.lookup(d.value); {
		case d.value == s.Label || dep == i:
			r.l.errorf(d.pos, "step %s depends on itself; remove %q from depends_on", s.Label, d.value)
		case dep < 0:
			r.l.errorf(d.pos, "depends_on names %q, which is not a step%s", d.value, didYouMean(d.value, r.allLabels()))
		default:
			if label := r.steps[dep].step.Label; label != d.value {
				r.l.warnf(d.pos, "depends_on names the image %q; write the step label %s instead", d.value, label)
			}
			deps = append(deps, dep)
		}
	}
	return deps
}

func (r *resolver) allLabels() []string {
	if r.labels == nil {
		r.labels = make([]string, len(r.steps))
		for i, rs := range r.steps {
			r.labels[i] = rs.step.Label
		}
	}
	return r.labels
}

// lookup finds a step by label, or else by image name; -1 when none.
func (r *resolver) lookup(v string) int {
	if i, ok := r.byLabel[v]; ok {
		return i
	}
	return r.stepNamed(v)
}

// readDockerfile reads the FROM lines of step i: edges to other steps
// (appended to deps), external bases and the final base.
func (r *resolver) readDockerfile(deps []int, i int, s *Step) []int {
	if s.Dockerfile == "" {
		return deps // already reported
	}
	at := keyPos(s.Keys["dockerfile"], s.Pos)
	stages, err := r.stages(s)
	if err != nil {
		r.l.errorf(at, "reading %s: %s; fix the Dockerfile", r.rel(s.Dockerfile), dockerfileError(errCause(err)))
		return deps
	}
	for _, st := range stages {
		if st.BaseStage >= 0 || st.Base == dockerfile.Scratch {
			continue
		}
		if dep := r.stepNamed(st.Base); dep >= 0 && dep != i {
			label := r.steps[dep].step.Label
			if !slices.Contains(s.FromSteps, label) {
				s.FromSteps = append(s.FromSteps, label)
				deps = append(deps, dep)
			}
			continue
		}
		s.Bases = append(s.Bases, Base{Ref: st.Base, Pos: Pos{File: s.Dockerfile, Line: st.Line}})
	}
	t, ok := dockerfile.Target(stages, s.Target)
	if !ok {
		r.l.errorf(keyPos(s.Keys["target"], at), "target %q is not a stage of %s; stages: %s", s.Target, r.rel(s.Dockerfile), stageNames(stages))
		return deps
	}
	s.FinalBase = r.finalBase(i, dockerfile.Root(stages, t))
	return deps
}

// readDockerfiles reads and parses every Dockerfile the steps use, a few
// at a time, before the steps are resolved one by one in file order.
func (r *resolver) readDockerfiles() {
	var paths []string
	for _, rs := range r.steps {
		if p := rs.step.Dockerfile; p != "" {
			if _, ok := r.files[p]; !ok {
				r.files[p] = parsedFile{}
				paths = append(paths, p)
			}
		}
	}
	parsed := make([]parsedFile, len(paths))
	parallel(len(paths), func(i int) { parsed[i] = parseDockerfile(paths[i]) })
	for i, p := range paths {
		r.files[p] = parsed[i]
	}
}

func parseDockerfile(path string) parsedFile {
	var pf parsedFile
	data, err := boundedio.ReadFile(path, boundedio.MaxDockerfile)
	if err == nil {
		pf.f, err = dockerfile.ParseBytes(data)
	}
	pf.err = err
	return pf
}

// stages returns the Dockerfile's stages expanded for s's args.
func (r *resolver) stages(s *Step) ([]dockerfile.Stage, error) {
	pf, ok := r.files[s.Dockerfile]
	if !ok {
		pf = parseDockerfile(s.Dockerfile)
		r.files[s.Dockerfile] = pf
	}
	if pf.err != nil {
		return nil, pf.err
	}
	return pf.f.Stages(s.Args)
}

// finalBase describes the root of the built stage of step i.
func (r *resolver) finalBase(i int, root dockerfile.Stage) FinalBase {
	switch dep := r.stepNamed(root.Base); {
	case root.Base == dockerfile.Scratch:
		return FinalBase{Scratch: true}
	case dep >= 0 && dep != i:
		return FinalBase{Step: r.steps[dep].step.Label}
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

// lineNumber is the "line N: " prefix internal/dockerfile puts on an error.
var lineNumber = regexp.MustCompile(`^line (\d+): `)

// dockerfileError is a Dockerfile's parse error for a message: the "line N: "
// prefix is dropped when the rest already names line N (BuildKit's parser
// says "dockerfile parse error on line N") or when N is 0 (no line).
func dockerfileError(err error) string {
	msg := err.Error()
	m := lineNumber.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	rest := msg[len(m[0]):]
	if m[1] == "0" || regexp.MustCompile(`\bline `+m[1]+`\b`).MatchString(rest) {
		return rest
	}
	return msg
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

// parallel calls f(0) … f(n-1), on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}
