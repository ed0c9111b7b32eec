package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
)

// t0 is the tests' start of the build.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// at is t0 plus s seconds.
func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// testPlan makes a plan of steps by label, with deps, in a temp work dir;
// each step's Dockerfile is named after its label (stepN when the label
// has a slash) and holds dockerfile.
func testPlan(t testing.TB, deps map[string][]string, dockerfile string, order ...string) *dag.Plan {
	t.Helper()
	dir := t.TempDir()
	b := &dag.Build{File: "build.yml", WorkDir: dir, Version: "2016-03-14"}
	for i, l := range order {
		name := l
		if strings.Contains(l, "/") {
			name = fmt.Sprint("step", i)
		}
		df := filepath.Join(dir, "Dockerfile."+name)
		if err := os.WriteFile(df, []byte(dockerfile), 0o644); err != nil {
			t.Fatal(err)
		}
		b.Steps = append(b.Steps, &dag.Step{Label: l, Name: "img-" + l, Dockerfile: df, Context: dir, DependsOn: deps[l], Publish: true})
	}
	p, err := dag.NewPlan(b)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return p
}

// phases are a step's phases from name, start, end triples (seconds after
// t0).
type ph struct {
	name       string
	start, end float64
}

// result makes a Result of steps with those phases, all done.
func result(steps map[string][]ph, order ...string) *builder.Result {
	res := &builder.Result{}
	for _, l := range order {
		sr := &builder.StepResult{Label: l, ImageName: "img-" + l, Status: builder.StatusDone, Outputs: []string{"oci:out/" + l}}
		for _, p := range steps[l] {
			sr.Phases = append(sr.Phases, builder.Phase{Name: p.name, Start: at(p.start), End: at(p.end)})
		}
		res.Steps = append(res.Steps, sr)
	}
	return res
}

// chain is a → b, with c on its own, in the phases' order (export once,
// checks on the staged image, wait, publish): a builds 0-2 s, b's session
// starts at once and ends its build at 5 s, c builds 0-4 s; all publish
// 5-6 s.
func chain(t testing.TB) (*dag.Plan, *builder.Result) {
	p := testPlan(t, map[string][]string{"b": {"a"}}, "FROM scratch\n", "a", "b", "c")
	res := result(map[string][]ph{
		"a": {{"frontend", 0, 0.5}, {"solve", 0.5, 1.5}, {"export", 1.5, 1.8}, {"checks", 1.8, 2}, {"wait", 2, 5}, {"publish", 5, 6}},
		"b": {{"frontend", 0, 1}, {"solve", 1, 4.5}, {"export", 4.5, 4.8}, {"checks", 4.8, 5}, {"publish", 5, 6}},
		"c": {{"frontend", 0, 0.2}, {"solve", 0.2, 3.8}, {"export", 3.8, 4}, {"wait", 4, 5}, {"publish", 5, 6}},
	}, "a", "b", "c")
	return p, res
}
