package main

import (
	"context"
	"fmt"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/ctxsize"
)

// contextSizes measures each step's context as a build would send it
// (weld's own folders left out), and warns about what a .dockerignore
// brings back of them.
func contextSizes(ctx context.Context, o *rootOptions, steps []*dag.Step) (map[string]dag.ContextSize, error) {
	return ctxsize.Steps(ctx, steps, nil, func(label, path string) {
		o.log.Warn(fmt.Sprintf("the .dockerignore names %s, weld's own state, with a ! line: it is sent in the build context", path), "step", label)
	})
}
