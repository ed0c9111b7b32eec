package dag_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/weld-build/weld/dag"
)

func Example() {
	dir, _ := os.MkdirTemp("", "weld-example")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "Dockerfile.compile"), []byte("FROM golang:1.26\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "Dockerfile.run"), []byte("FROM scratch\nADD app /\n"), 0o644)
	yml := `build:
  version: 2016-03-14
  steps:
    compile:
      dockerfile: Dockerfile.compile
      artifacts: [/go/bin/app]
    runtime:
      name: app
      dockerfile: Dockerfile.run
      depends_on: [compile]
`
	b, err := dag.Parse(filepath.Join(dir, "build.yml"), []byte(yml))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := dag.NewPlan(b)
	for _, s := range p.Order() {
		fmt.Println(s.Label, s.DependsOn, s.Publish)
	}
	fmt.Println("runtime needs:", p.Deps("runtime"))
	// Output:
	// compile [] false
	// runtime [compile] true
	// runtime needs: [compile]
}

func ExamplePlan_Select() {
	b := &dag.Build{File: "build.yml", Steps: []*dag.Step{
		{Label: "compile"},
		{Label: "runtime_minimal", DependsOn: []string{"compile"}},
		{Label: "runtime_alpine", DependsOn: []string{"compile"}},
	}}
	p, _ := dag.NewPlan(b)
	steps, _ := p.Select("runtime_alpine")
	for _, s := range steps {
		fmt.Println(s.Label)
	}
	_, err := p.Select("runtime_alpin")
	fmt.Println(err)
	// Output:
	// compile
	// runtime_alpine
	// no step "runtime_alpin" in build.yml; did you mean "runtime_alpine"?
}
