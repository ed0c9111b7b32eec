package dag

import (
	"os"
	"testing"
)

// chainPlan is the plan of chainYML, in a project of its Dockerfiles.
func chainPlan(t *testing.T) *Plan {
	t.Helper()
	b, err := Parse("build.yml", []byte(chainYML), WithWorkDir(chain(t)))
	return mustPlan(t, "Parse", b, err)
}

// mustPlan is the plan of b, which the function named read returned with
// err; it fails the test on either error.
func mustPlan(t *testing.T, read string, b *Build, err error) *Plan {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v", read, err)
	}
	p, err := NewPlan(b)
	if err != nil {
		t.Fatalf("NewPlan = %v", err)
	}
	return p
}

// checkGolden compares what Render wrote in format with the golden file,
// after writing it there under UPDATE_GOLDEN=1.
func checkGolden(t *testing.T, golden, format, got string) {
	t.Helper()
	if updateGolden {
		writeFile(t, golden, got)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading %s (run with UPDATE_GOLDEN=1 to create it): %v", golden, err)
	}
	if got != string(want) {
		t.Errorf("Render(%s) differs from %s (UPDATE_GOLDEN=1 rewrites it):\ngot:\n%s\nwant:\n%s", format, golden, got, want)
	}
}
