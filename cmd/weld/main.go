// Command weld resolves a Habitus-style build.yml into a dependency graph and
// builds its steps in parallel on BuildKit.
package main

import (
	"context"
	"os"
)

func main() {
	ctx, stop := notifySignals(context.Background())
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	os.Exit(exitCode(ctx, err))
}
