// Command gobin is a tiny Go program the sbom tests build and look into: it
// depends on one module besides the standard library.
package main

import (
	"fmt"

	"golang.org/x/sync/errgroup"
)

func main() {
	var g errgroup.Group
	g.Go(func() error { fmt.Println("hello"); return nil })
	_ = g.Wait()
}
