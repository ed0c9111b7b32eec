package builder

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/weld-build/weld/dag"
)

func TestDenialsAndTheirRefusals(t *testing.T) {
	work := t.TempDir()
	b := &dag.Build{WorkDir: work, Steps: []*dag.Step{{Label: "app", Dockerfile: filepath.Join(work, "sub", "Dockerfile")}}}
	pol := mustPolicy(t, "allowed_bases: [busybox]\n")
	a := &SourceDeniedError{Step: "app", Source: filepath.Join(work, "Dockerfile") + ":3", Identifier: "docker-image://docker.io/library/evil:1", Err: errBoom}
	c := &SourceDeniedError{Step: "app", Identifier: "local://other", Err: errBoom}
	err := fmt.Errorf("step: %w", errors.Join(&BuildError{Failed: []error{a}}, fmt.Errorf("x: %w", c)))
	got := Denials(err)
	if len(got) != 2 || got[0] != a || got[1] != c {
		t.Fatalf("Denials = %v, want both, in order", got)
	}
	for _, tc := range []struct {
		de         *SourceDeniedError
		pos, shown string
	}{
		{a, "Dockerfile:3", "Dockerfile:3: step app: image docker.io/library/evil:1 (refused by BuildKit's source policy) is not allowed by weld.policy.yml:1:16 (allowed_bases: busybox)"},
		{c, "sub/Dockerfile", "sub/Dockerfile: step app: source local://other (refused by BuildKit's source policy) is not one weld passes to the build"},
	} {
		if pos := tc.de.Pos(b).String(); pos != tc.pos {
			t.Errorf("Pos(%s) = %q, want %q", tc.de.Identifier, pos, tc.pos)
		}
		if msg := tc.de.Refusal(pol, b).Error(); msg != tc.shown {
			t.Errorf("Refusal(%s) = %q, want %q", tc.de.Identifier, msg, tc.shown)
		}
	}
}
