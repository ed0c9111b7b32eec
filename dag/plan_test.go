package dag

import (
	"errors"
	"strings"
	"testing"

	"github.com/dominikbraun/graph"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// diamond builds a Plan from labels and their depends_on, in file order.
func diamond(t *testing.T, spec ...string) *Plan {
	t.Helper()
	b := &Build{File: "build.yml"}
	for _, s := range spec {
		label, deps, _ := strings.Cut(s, ":")
		step := &Step{Label: label}
		if deps != "" {
			step.DependsOn = strings.Split(deps, ",")
		}
		b.Steps = append(b.Steps, step)
	}
	p, err := NewPlan(b)
	if err != nil {
		t.Fatalf("NewPlan(%q) = %v", spec, err)
	}
	return p
}

func labelsOf(steps []*Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Label
	}
	return out
}

// spec: e and d come before their dependencies in the file; ties keep
// file order.
var spec = []string{"e:d,b", "d:c", "a", "b:a", "c:a", "x"}

func TestOrder(t *testing.T) {
	p := diamond(t, spec...)
	want := []string{"a", "b", "c", "d", "e", "x"}
	if got := labelsOf(p.Order()); !cmp.Equal(got, want) {
		t.Errorf("Order() = %v, want %v", got, want)
	}
}

func TestQueries(t *testing.T) {
	p := diamond(t, spec...)
	tests := []struct {
		name string
		got  func() []string
		want []string
	}{
		{"Select(d)", func() []string { s, _ := p.Select("d"); return labelsOf(s) }, []string{"a", "c", "d"}},
		{"Select(x, b)", func() []string { s, _ := p.Select("x", "b"); return labelsOf(s) }, []string{"a", "b", "x"}},
		{"Select()", func() []string { s, _ := p.Select(); return labelsOf(s) }, []string{"a", "b", "c", "d", "e", "x"}},
		{"Deps(e)", func() []string { return p.Deps("e") }, []string{"a", "b", "c", "d"}},
		{"Deps(a)", func() []string { return p.Deps("a") }, nil},
		{"Deps(nope)", func() []string { return p.Deps("nope") }, nil},
		{"Dependents(a)", func() []string { return p.Dependents("a") }, []string{"b", "c", "d", "e"}},
		{"Dependents(d)", func() []string { return p.Dependents("d") }, []string{"e"}},
		{"LongestPath(nil)", func() []string { return labelsOf(p.LongestPath(nil)) }, []string{"a", "c", "d", "e"}},
		{"LongestPath(b heavy)", func() []string {
			return labelsOf(p.LongestPath(func(s *Step) float64 {
				if s.Label == "b" {
					return 10
				}
				return 1
			}))
		}, []string{"a", "b", "e"}},
		{"LongestPath(x heavy)", func() []string {
			return labelsOf(p.LongestPath(func(s *Step) float64 {
				if s.Label == "x" {
					return 100
				}
				return 1
			}))
		}, []string{"x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", tc.name, diff)
			}
		})
	}
}

func TestSelectUnknown(t *testing.T) {
	p := diamond(t, "compile", "runtime_minimal:compile", "runtime_alpine:compile")
	p.x.steps[1].Name = "secretapp"
	p.x.steps[2].Name = "myorg/secretapp-alpine:1.0"
	tests := []struct {
		labels []string
		want   []string
	}{
		{[]string{"compiel"}, []string{`no step "compiel" in build.yml; did you mean "compile"?`}},
		{[]string{"runtime"}, []string{`no step "runtime" in build.yml; did you mean one of runtime_minimal, runtime_alpine?`}},
		{[]string{"zzz"}, []string{`no step "zzz" in build.yml`}},
		{[]string{"secretapp"}, []string{`no step "secretapp" in build.yml; "secretapp" is the image name of step runtime_minimal; select the step by its label, "runtime_minimal"`}},
		{[]string{"docker.io/library/secretapp:latest"}, []string{`no step "docker.io/library/secretapp:latest" in build.yml; "docker.io/library/secretapp:latest" is the image name of step runtime_minimal; select the step by its label, "runtime_minimal"`}},
		{[]string{"myorg/secretapp-alpin:1.0"}, []string{`no step "myorg/secretapp-alpin:1.0" in build.yml; did you mean "runtime_alpine", the step whose image name is "myorg/secretapp-alpine:1.0"?`}},
		{[]string{"nosuch", "compile", "runtime_alpin", "nosuch"}, []string{
			`no step "nosuch" in build.yml`,
			`no step "runtime_alpin" in build.yml; did you mean "runtime_alpine"?`,
		}},
	}
	for _, tc := range tests {
		steps, err := p.Select(tc.labels...)
		var list ErrorList
		var e *Error
		if steps != nil || !errors.As(err, &list) || !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
			t.Errorf("Select(%q) = %v, %v; want nil and an ErrorList wrapping ErrInvalid", tc.labels, labelsOf(steps), err)
			continue
		}
		var got []string
		for _, e := range list {
			got = append(got, e.Error())
			if e.Pos != (Pos{}) {
				t.Errorf("Select(%q): error %q has position %v, want none", tc.labels, e.Msg, e.Pos)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Select(%q) errors mismatch (-want +got):\n%s", tc.labels, diff)
		}
		if want := strings.Join(tc.want, "\n"); err.Error() != want {
			t.Errorf("Select(%q).Error() = %q, want %q", tc.labels, err.Error(), want)
		}
	}
}

func TestNewPlanErrors(t *testing.T) {
	tests := []struct {
		name string
		spec []string
		want string
	}{
		{"cycle", []string{"a:c", "b:a", "c:b"}, "dependency cycle a → c → b → a"},
		{"self", []string{"a:a"}, "dependency cycle a → a"},
		{"unknown", []string{"a:zz"}, "unknown dependencies: zz"},
	}
	for _, tc := range tests {
		b := &Build{File: "build.yml"}
		for _, s := range tc.spec {
			label, deps, _ := strings.Cut(s, ":")
			b.Steps = append(b.Steps, &Step{Label: label, DependsOn: strings.Split(deps, ",")})
		}
		_, err := NewPlan(b)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("NewPlan(%s) = %v, want an ErrInvalid containing %q", tc.name, err, tc.want)
		}
	}
}

func TestGraph(t *testing.T) {
	p := diamond(t, spec...)
	g := p.Graph()
	order, _ := g.Order()
	size, _ := g.Size()
	if order != 6 || size != 5 {
		t.Errorf("Graph() has %d vertices and %d edges, want 6 and 5", order, size)
	}
	if _, err := g.Edge("a", "b"); err != nil {
		t.Errorf("Graph().Edge(a, b) = %v, want the edge dependency → dependent", err)
	}
	if _, err := g.Edge("b", "a"); !errors.Is(err, graph.ErrEdgeNotFound) {
		t.Errorf("Graph().Edge(b, a) = %v, want ErrEdgeNotFound", err)
	}
}
