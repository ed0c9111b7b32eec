package main

import (
	"context"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/ctxsize"
)

// contextSizes measures each step's context as a build would send it
// (weld's own folders left out); what cannot be measured, and what a
// .dockerignore brings back of weld's own, are warnings.
func contextSizes(ctx context.Context, o *rootOptions, steps []*dag.Step) map[string]dag.ContextSize {
	return ctxsize.Steps(ctx, steps, nil, func(label, msg string) { o.log.Warn(msg, "step", label) })
}
