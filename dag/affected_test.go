package dag

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// affectedPlan loads testdata/affected: compile (golang:1.26, then
// scratch) → runtime (FROM app-base, the base step on alpine:3.20); tools
// on an untagged alpine; docs on alpine:3.21 pinned to a digest.
func affectedPlan(t *testing.T) *Plan {
	t.Helper()
	b, err := Load(filepath.Join("testdata", "affected", "build.yml"))
	return mustPlan(t, "Load", b, err)
}

func TestAffectedByBase(t *testing.T) {
	p := affectedPlan(t)
	digest := "sha256:" + strings.Repeat("a", 64)
	tests := []struct {
		base string
		want []string
	}{
		{"golang:1.26", []string{"compile", "runtime"}},                   // a build stage's base counts; artifacts flow on
		{"docker.io/library/golang:1.26", []string{"compile", "runtime"}}, // normalized
		{"golang:1.25", nil},                                     // another tag
		{"alpine:3.20", []string{"base", "runtime"}},             // through FROM app-base
		{"alpine:latest", []string{"tools"}},                     // untagged FROM means latest
		{"docker.io/library/alpine:latest", []string{"tools"}},   // same, normalized
		{"alpine", []string{"base", "runtime", "tools", "docs"}}, // no tag: every tag and digest
		{"alpine:3.21", []string{"docs"}},                        // a tag matches its pinned FROM
		{"alpine@" + digest, []string{"docs"}},                   // a digest matches that digest
		{"alpine@sha256:" + strings.Repeat("b", 64), nil},        // and no other
		{"app-base", nil},                                        // steps are not bases
		{"scratch", nil},                                         // nor is scratch
		{"ghcr.io/library/alpine", nil},                          // another registry
	}
	for _, tc := range tests {
		t.Run(tc.base, func(t *testing.T) {
			q, err := ParseBaseQuery(tc.base)
			if err != nil {
				t.Fatalf("ParseBaseQuery(%q) = %v", tc.base, err)
			}
			if got := p.AffectedByBase(q); !cmp.Equal(got, tc.want, cmpopts.EquateEmpty()) {
				t.Errorf("AffectedByBase(%q) = %v, want %v", tc.base, got, tc.want)
			}
		})
	}
}

func TestParseBaseQueryInvalid(t *testing.T) {
	for _, ref := range []string{"", "UPPER", "a b", "alpine:"} {
		if _, err := ParseBaseQuery(ref); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseBaseQuery(%q) = %v, want an error wrapping ErrInvalid", ref, err)
		}
	}
}

func TestAffectedByPaths(t *testing.T) {
	p := affectedPlan(t)
	abs, _ := filepath.Abs(filepath.Join("testdata", "affected", "tools", "x"))
	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"file in a context", []string{"src/main.go"}, []string{"compile", "runtime"}},
		{"dependency and dependent", []string{"base/motd", "runtime/app"}, []string{"base", "runtime"}},
		{"the context folder", []string{"docs"}, []string{"docs"}},
		{"a folder holding contexts", []string{"."}, []string{"compile", "base", "runtime", "tools", "docs"}},
		{"absolute", []string{abs}, []string{"tools"}},
		{"unclean", []string{"./tools/../docs/a"}, []string{"docs"}},
		{"outside every context", []string{"build.yml", "README.md"}, nil},
		{"a sibling with a shared prefix", []string{"src2/x"}, nil},
		{"none", nil, nil},
		{"left out by the context's .dockerignore", []string{"src/notes/todo.txt", "src/README.md"}, nil},
		{"the .dockerignore itself", []string{"src/.dockerignore"}, []string{"compile", "runtime"}},
		{"the Dockerfile, even when ignored", []string{"src/Dockerfile.compile"}, []string{"compile", "runtime"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.AffectedByPaths(tc.paths...); !cmp.Equal(got, tc.want, cmpopts.EquateEmpty()) {
				t.Errorf("AffectedByPaths(%q) = %v, want %v", tc.paths, got, tc.want)
			}
		})
	}
}
