// Package ctxsize measures build contexts as BuildKit's client sends them:
// the same walk and filter (github.com/tonistiigi/fsutil, whose patterns are
// github.com/moby/patternmatcher's) over the same exclude patterns, so the
// figure is what a build would transfer. Symlinks are counted, never
// followed; a hard link's data counts once.
//
// dag describes a context (dag.Step.ContextFilter) but does not walk it:
// that is I/O on the user's tree, done here, when the CLI asks.
package ctxsize

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/tonistiigi/fsutil"
	"github.com/tonistiigi/fsutil/types"

	"github.com/weld-build/weld/dag"
)

// Limit is how many files Measure counts before it stops and says More.
const Limit = 1_000_000

var errLimit = errors.New("limit reached")

// Measure walks the folder dir, leaving out what excludes match, and
// counts what is left. It stops after limit files (0: Limit) with More set.
func Measure(ctx context.Context, dir string, excludes []string, limit int64) (dag.ContextSize, error) {
	if limit <= 0 {
		limit = Limit
	}
	var size dag.ContextSize
	err := fsutil.WalkDir(ctx, dir, &fsutil.FilterOpt{ExcludePatterns: excludes}, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if size.Files == limit {
			size.More = true
			return errLimit
		}
		size.Files++
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*types.Stat); ok && st.Linkname != "" {
			return nil // a hard link to a file already counted
		}
		if fi.Mode().IsRegular() {
			size.Bytes += fi.Size()
		}
		return nil
	})
	if err != nil && !errors.Is(err, errLimit) {
		return size, fmt.Errorf("measuring the context %s: %w", dir, err)
	}
	return size, nil
}

// Steps measures the context of each step as weld sends it
// (dag.Step.ContextFilter with own), once per context and filter, by label.
// warn receives, per step, what a .dockerignore brings back of weld's own
// and why a context could not be measured; such a step has no figure.
func Steps(ctx context.Context, steps []*dag.Step, own []string, warn func(label, msg string)) map[string]dag.ContextSize {
	out := make(map[string]dag.ContextSize, len(steps))
	seen := map[string]dag.ContextSize{}
	for _, s := range steps {
		if context.Cause(ctx) != nil {
			break
		}
		f, err := s.ContextFilter(own...)
		if err != nil {
			warn(s.Label, fmt.Sprintf("not measuring the context: %v", err))
			continue
		}
		for _, w := range f.Warnings() {
			warn(s.Label, w)
		}
		key := fmt.Sprintf("%s\x00%q", s.Context, f.Excludes)
		size, ok := seen[key]
		if !ok {
			if size, err = Measure(ctx, s.Context, f.Excludes, 0); err != nil {
				warn(s.Label, err.Error())
				continue
			}
			seen[key] = size
		}
		out[s.Label] = size
	}
	return out
}
