package builder

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/weld-build/weld/dag"
)

// Weld's own state never goes into a build: every step's context leaves out
// the dag.StateDir folders (the default image store <work dir>/.weld/images
// among them) and every file and folder weld writes in this run (outputs,
// artifacts folder, local caches, the files named by WithOwnFiles), whatever
// the .dockerignore says, unless a `!` line of it names them; and no artifact
// lands in them. The filters are worked out once per run, before anything
// builds.

// WithOwnFiles names files and folders that weld writes besides its outputs
// (the CLI's --metadata-file): no build context sends them and no artifact
// lands in them.
func WithOwnFiles(paths ...string) Option {
	return func(o *options) error { o.ownFiles = append(o.ownFiles, paths...); return nil }
}

// ownPaths are weld's own files and folders of this run, absolute.
func (r *runConfig) ownPaths() []string {
	var out []string
	add := func(p string) {
		if p == "" {
			return
		}
		if abs, err := filepath.Abs(p); err == nil {
			out = append(out, abs)
		}
	}
	add(filepath.Join(r.plan.Build().WorkDir, dag.StateDir))
	for _, o := range r.opts.outputs {
		switch o.Type {
		case OutputStore:
			add(o.Dest)
		case OutputOCI:
			// The whole folder; and, should it hold the context (oci:.),
			// Dest/<label>/ or Dest/<label>.tar, of this run or an earlier one.
			add(o.Dest)
			for _, s := range r.plan.Build().Steps {
				add(filepath.Join(o.Dest, s.Label))
				add(filepath.Join(o.Dest, s.Label+".tar"))
			}
		}
	}
	add(r.opts.artifactsDir)
	for _, c := range r.opts.cacheTo {
		if c.Type == "local" {
			add(c.Attrs["dest"])
		}
	}
	for _, c := range r.opts.cacheFrom {
		if c.Type == "local" {
			add(c.Attrs["src"])
		}
	}
	for _, f := range r.opts.ownFiles {
		add(f)
	}
	return out
}

// filterContexts works out every step's context filter (r.filters) and
// checks that no artifact lands in weld's own state.
func (r *runConfig) filterContexts() error {
	own := r.ownPaths()
	r.filters = make(map[string]dag.ContextFilter, len(r.steps))
	for _, s := range r.steps {
		f, err := s.ContextFilter(own...)
		if err != nil {
			return fmt.Errorf("step %q: %w", s.Label, err)
		}
		r.filters[s.Label] = f
		if err := r.checkLandings(s, own); err != nil {
			return err
		}
	}
	return nil
}

// checkLandings refuses an artifact that would land, in a dependent's
// context (under the work dir) or under the artifacts folder, in weld's own
// state. A folder of weld's that holds the whole root it lands under (the
// artifacts folder itself, an output at the work dir) does not count: it is
// no more weld's than the root is.
func (r *runConfig) checkLandings(s *dag.Step, own []string) error {
	roots := []string{r.plan.Build().WorkDir}
	if r.opts.artifactsDir != "" {
		arts, _ := filepath.Abs(r.opts.artifactsDir)
		roots = append(roots, arts)
	}
	for _, a := range s.Artifacts {
		bad := ""
		if dag.InStateDir(a.Path()) {
			bad = dag.StateDir
		}
		for _, root := range roots {
			l := filepath.Join(root, filepath.FromSlash(a.Path()))
			for _, o := range own {
				if within(l, o) && !within(root, o) {
					bad = o
				}
			}
		}
		if bad != "" {
			return fmt.Errorf("%w: %s: step %q: artifact %s lands in %s, which is weld's own (its state, outputs or caches): give it another dest", ErrOutput, a.Pos, s.Label, a.Source, bad)
		}
	}
	return nil
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// warnOwnState warns, once per run, about what a .dockerignore brings back
// of weld's own state into a build context.
func (r *run) warnOwnState() {
	for _, s := range r.steps {
		for _, w := range r.filters[s.Label].Warnings() {
			r.emit(Event{Step: s.Label, Type: EventWarning, Message: w})
		}
	}
}
