package dag

import (
	"bytes"
	"errors"
	"io/fs"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"

	"github.com/weld-build/weld/internal/boundedio"
)

// BaseQuery matches the bases a FROM names against one image ref, as
// `weld affected --base REF` does. Both sides are normalized
// (alpine == docker.io/library/alpine:latest). A query with a tag matches
// that tag only (alpine:3.20 matches FROM alpine:3.20 and
// FROM alpine:3.20@sha256:…, not FROM alpine:3.21); alpine:latest also
// matches an untagged FROM alpine. A query without a tag or digest names the
// repository and matches every tag and digest of it: after a CVE in
// alpine, `--base alpine` finds every image built on any alpine. A query
// with a digest matches FROMs pinned to that digest.
type BaseQuery struct {
	name, tag string
	digest    string
}

// ParseBaseQuery parses an image ref for BaseQuery.Match. A ref that is not
// valid is an *Error wrapping ErrInvalid.
func ParseBaseQuery(ref string) (BaseQuery, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return BaseQuery{}, &Error{Msg: fmt.Sprintf("--base %q is not an image reference: %v", ref, err)}
	}
	return newBaseQuery(named), nil
}

func newBaseQuery(named reference.Named) BaseQuery {
	q := BaseQuery{name: named.Name()}
	if t, ok := named.(reference.Tagged); ok {
		q.tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		q.digest = d.Digest().String()
	}
	return q
}

// Match reports whether a FROM ref names the queried image.
func (q BaseQuery) Match(ref string) bool {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false
	}
	b := newBaseQuery(named)
	switch {
	case b.name != q.name:
		return false
	case q.digest != "":
		return b.digest == q.digest
	case q.tag == "":
		return true
	case b.tag == "" && b.digest == "":
		return q.tag == "latest"
	}
	return b.tag == q.tag
}

// OnBase returns the labels of the steps whose Dockerfile names a base q
// matches, in any stage, in build order. Steps that build FROM such a step
// are not included; AffectedByBase adds them.
func (p *Plan) OnBase(q BaseQuery) []string {
	var out []string
	for _, s := range p.Order() {
		if slices.ContainsFunc(s.Bases, func(b Base) bool { return q.Match(b.Ref) }) {
			out = append(out, s.Label)
		}
	}
	return out
}

// AffectedByBase returns, in build order, the steps built on the image q
// matches: those whose Dockerfile names it in a FROM of any stage, those
// built FROM one of them (a FROM chain of steps), and everything that
// depends on any of those, through FROM or artifacts.
func (p *Plan) AffectedByBase(q BaseQuery) []string {
	return p.WithDependents(p.OnBase(q)...)
}

// AffectedByPaths returns, in build order, the steps whose build context
// holds one of paths (unless the step's .dockerignore leaves it out, or it
// lies in a StateDir folder of weld's), or whose Dockerfile or .dockerignore
// is one of them, plus everything that depends on them. Paths are relative to the work dir, or absolute; a folder
// affects every step whose context is in it.
func (p *Plan) AffectedByPaths(paths ...string) []string {
	var roots []string
	for _, s := range p.Order() {
		var ignore *patternmatcher.PatternMatcher
		for _, path := range paths {
			if !filepath.IsAbs(path) {
				path = filepath.Join(p.build.WorkDir, path)
			}
			path = filepath.Clean(path)
			switch {
			case path == s.Dockerfile || within(s.Context, path):
			case within(path, s.Context):
				if ignore == nil {
					ignore = dockerignore(s)
				}
				rel, _ := filepath.Rel(s.Context, path)
				if isIgnoreFile(s, path) {
					break
				}
				if ok, err := ignore.MatchesOrParentMatches(filepath.ToSlash(rel)); err == nil && ok {
					continue
				}
			default:
				continue
			}
			roots = append(roots, s.Label)
			break
		}
	}
	return p.WithDependents(roots...)
}

// dockerignore is a matcher for what the step's context leaves out: its
// ignore patterns and weld's own folders (ContextFilter).
func dockerignore(s *Step) *patternmatcher.PatternMatcher {
	f, _ := s.ContextFilter()
	m, err := patternmatcher.New(f.Excludes)
	if err != nil {
		m, _ = patternmatcher.New(nil)
	}
	return m
}

// IgnorePatterns reads the exclude patterns of the step's build context:
// <Dockerfile>.dockerignore when there is one, else the context's
// .dockerignore, else none. The file is read through boundedio: one that is
// not a regular file or is over boundedio.MaxIgnoreFile is bad input (the
// error wraps ErrInvalid).
func (s *Step) IgnorePatterns() ([]string, error) {
	for _, f := range []string{s.Dockerfile + ".dockerignore", filepath.Join(s.Context, ".dockerignore")} {
		data, err := boundedio.ReadFile(f, boundedio.MaxIgnoreFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case errors.Is(err, boundedio.ErrRefused):
			return nil, &Error{Pos: Pos{File: f}, Msg: errCause(err).Error()}
		case err != nil:
			return nil, err
		}
		patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		return patterns, nil
	}
	return nil, nil
}

// isIgnoreFile reports whether path is one of the step's .dockerignore files.
func isIgnoreFile(s *Step, path string) bool {
	return path == s.Dockerfile+".dockerignore" || path == filepath.Join(s.Context, ".dockerignore")
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// WithDependents returns labels plus everything that transitively depends
// on them, in build order, without duplicates; unknown labels are ignored.
func (p *Plan) WithDependents(labels ...string) []string {
	roots := make([]int, 0, len(labels))
	for _, l := range labels {
		if i, ok := p.x.at[l]; ok {
			roots = append(roots, i)
		}
	}
	idx := p.closure(roots, p.x.users, true)
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = p.x.steps[j].Label
	}
	return out
}
