package dag

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// StateDir is the name of weld's own folder. <work dir>/.weld holds what
// weld keeps of a project (the default image store, .weld/images), and a
// folder of that name anywhere in a build context is weld's too (another
// project's, built before). Weld never sends it in a build context, never
// counts it as a change (AffectedByPaths) and never lands an artifact in it,
// whatever the .dockerignore says, unless a `!` line of the step's
// .dockerignore names it.
const StateDir = ".weld"

// ContextFilter says what of a step's build context weld sends.
type ContextFilter struct {
	// Excludes are the exclude patterns, as BuildKit takes them
	// (llb.ExcludePatterns): the .dockerignore's lines, then weld's own
	// folders (last, so that no `!` line before them brings them back),
	// then, when the .dockerignore names something of weld's with a `!`
	// line, its lines that name paths in weld's folders, in their order.
	Excludes []string
	// Named are the paths (relative to the context, with slashes) that a
	// `!` line of the .dockerignore brings back from weld's folders: they
	// are sent, and the caller warns about them.
	Named []string
}

// Warnings says, for each of Named, that it goes into the build context.
func (f ContextFilter) Warnings() []string {
	out := make([]string, len(f.Named))
	for i, n := range f.Named {
		out[i] = fmt.Sprintf("the .dockerignore names %s, weld's own state, with a ! line: it is sent in the build context", n)
	}
	return out
}

// ContextFilter returns the filter of the step's context. own are weld's
// files and folders of this run besides the StateDir folders (outputs,
// the metadata file, an artifacts folder), as absolute paths; those that
// lie inside the context are left out of it like StateDir. When the
// .dockerignore cannot be read, the filter still leaves weld's own out,
// and the error says why.
func (s *Step) ContextFilter(own ...string) (ContextFilter, error) {
	patterns, err := s.IgnorePatterns()
	rels := ownRels(s.Context, own)
	f := ContextFilter{Excludes: slices.Clip(patterns)}
	f.Excludes = append(f.Excludes, "**/"+StateDir)
	for _, r := range rels {
		f.Excludes = append(f.Excludes, escapePattern(r))
	}
	var back []string
	for _, p := range patterns {
		body, incl := strings.CutPrefix(p, "!")
		if !namesOwn(body, rels) {
			continue
		}
		back = append(back, p)
		if incl {
			f.Named = append(f.Named, body)
		}
	}
	if len(f.Named) > 0 {
		f.Excludes = append(f.Excludes, back...)
	}
	return f, err
}

// ownRels returns the paths of own that lie strictly inside dir, relative
// to it, with slashes.
func ownRels(dir string, own []string) []string {
	var out []string
	for _, p := range own {
		if p == "" || !filepath.IsAbs(p) {
			continue
		}
		rel, err := filepath.Rel(dir, filepath.Clean(p))
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

// namesOwn reports whether a .dockerignore pattern (without its `!`)
// names, literally, a StateDir folder or one of rels, or a path inside one.
// A glob that happens to match one (`*`, `.*`) names nothing.
func namesOwn(pattern string, rels []string) bool {
	pattern = filepath.ToSlash(filepath.Clean(pattern))
	if slices.Contains(strings.Split(pattern, "/"), StateDir) {
		return true
	}
	for _, r := range rels {
		if pattern == r || strings.HasPrefix(pattern, r+"/") {
			return true
		}
	}
	return false
}

// escapePattern makes a path a pattern that matches only itself.
func escapePattern(p string) string {
	var b strings.Builder
	for _, c := range p {
		if strings.ContainsRune(`*?[]\^!`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// InStateDir reports whether a path relative to the work dir (an
// artifact's landing, Artifact.Path) lies in a StateDir folder.
func InStateDir(rel string) bool {
	return slices.Contains(strings.Split(filepath.ToSlash(filepath.Clean(rel)), "/"), StateDir)
}
