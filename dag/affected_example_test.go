package dag_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/weld-build/weld/dag"
)

func ExamplePlan_AffectedByBase() {
	dir, _ := os.MkdirTemp("", "weld-example")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "Dockerfile.base"), []byte("FROM alpine:3.20\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "Dockerfile.app"), []byte("FROM org/base\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "Dockerfile.tool"), []byte("FROM alpine:3.21\n"), 0o644)
	yml := `build:
  version: 2016-03-14
  steps:
    base: {name: org/base, dockerfile: Dockerfile.base}
    app:  {name: org/app, dockerfile: Dockerfile.app}
    tool: {name: org/tool, dockerfile: Dockerfile.tool}
`
	b, _ := dag.Parse(filepath.Join(dir, "build.yml"), []byte(yml))
	p, _ := dag.NewPlan(b)
	for _, ref := range []string{"alpine:3.20", "docker.io/library/alpine", "alpine:3.22"} {
		q, _ := dag.ParseBaseQuery(ref)
		fmt.Println(ref, "→", p.AffectedByBase(q))
	}
	fmt.Println("changed Dockerfile.tool →", p.AffectedByPaths("Dockerfile.tool"))
	// Output:
	// alpine:3.20 → [base app]
	// docker.io/library/alpine → [base app tool]
	// alpine:3.22 → []
	// changed Dockerfile.tool → [base app tool]
}
