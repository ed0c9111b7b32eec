// Command weld resolves a Habitus-style build.yml into a dependency graph and
// builds its steps in parallel on BuildKit.
package main

import (
	"context"
	"os"
	"runtime/debug"
)

// softMemoryLimit is the Go heap's soft limit unless $GOMEMLIMIT sets one:
// weld's heap is mostly progress and session buffers that the collector can
// free early, so a 100-step build stays under ~100 MB of RSS (the runtime
// caps the collector's CPU when the live heap is larger, so big builds only
// collect more often).
const softMemoryLimit = 64 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	ctx, stop := notifySignals(context.Background())
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	os.Exit(exitCode(ctx, err))
}
