package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/weld-build/weld/dag"
)

// testPlan makes a plan of steps named by label, with deps, in a temp work
// dir; each step's "Dockerfile" is named after its label.
func testPlan(t *testing.T, deps map[string][]string, order ...string) *dag.Plan {
	t.Helper()
	dir := t.TempDir()
	b := &dag.Build{File: "build.yml", WorkDir: dir, Version: "2016-03-14"}
	for _, l := range order {
		df := filepath.Join(dir, l)
		if err := os.WriteFile(df, []byte("FROM scratch\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b.Steps = append(b.Steps, &dag.Step{
			Label: l, Name: "img-" + l, Dockerfile: df, Context: dir,
			DependsOn: deps[l], Publish: true, FinalBase: dag.FinalBase{Scratch: true},
		})
	}
	p, err := dag.NewPlan(b)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return p
}

func TestRunFailureIsReportedOnceAgainstItsStep(t *testing.T) {
	deps := map[string][]string{"runtime": {"compile"}, "other": {"compile"}}
	p := testPlan(t, deps, "compile", "runtime", "other")
	f := &fakeSolver{deps: deps, fail: map[string]error{"compile": errBoom},
		delay: map[string]time.Duration{"compile": 20 * time.Millisecond}}
	b, err := New(f, WithOutputs(Output{Type: "oci", Dest: t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Run(context.Background(), p)
	var be *BuildError
	if !errors.As(err, &be) || len(be.Failed) != 1 || !errors.Is(err, errBoom) {
		t.Fatalf("Run() error = %v, want one BuildError wrapping boom", err)
	}
	var se *StepError
	if !errors.As(be.Failed[0], &se) || se.Step != "compile" {
		t.Errorf("failure = %v, want it against step compile", be.Failed[0])
	}
	for _, l := range []string{"runtime", "other"} {
		if got := res.Step(l).Status; got != StatusDependencyFailed && got != StatusCanceled {
			t.Errorf("step %s status = %q, want dependency failed or canceled", l, got)
		}
	}
	if len(f.exported) != 0 {
		t.Errorf("exported %v after a failure, want nothing published", f.exported)
	}
}

func TestRunPublishesOnlyAfterEverythingBuilt(t *testing.T) {
	p := testPlan(t, nil, "fast", "slow")
	f := &fakeSolver{delay: map[string]time.Duration{"slow": 100 * time.Millisecond}}
	b, err := New(f, WithOutputs(Output{Type: "oci", Dest: t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(context.Background(), p); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	sort.Strings(f.exported)
	if !slices.Equal(f.exported, []string{"fast", "slow"}) {
		t.Errorf("exported %v, want [fast slow]", f.exported)
	}
}

func TestRunIndependentFailureHoldsBackEveryPublish(t *testing.T) {
	p := testPlan(t, nil, "good", "bad")
	f := &fakeSolver{fail: map[string]error{"bad": errBoom},
		delay: map[string]time.Duration{"bad": 80 * time.Millisecond}}
	b, _ := New(f, WithOutputs(Output{Type: "oci", Dest: t.TempDir()}), WithKeepGoing(true))
	res, err := b.Run(context.Background(), p)
	if err == nil {
		t.Fatal("Run() = nil, want the failure of bad")
	}
	if len(f.exported) != 0 {
		t.Errorf("exported %v, want nothing: one step failed", f.exported)
	}
	if got := res.Step("good").Status; got != StatusHeldBack {
		t.Errorf("good: status %q, want %q (built, not published)", got, StatusHeldBack)
	}
}

func TestRunKeepGoingLetsIndependentBranchesFinish(t *testing.T) {
	p := testPlan(t, nil, "bad", "slow")
	f := &fakeSolver{fail: map[string]error{"bad": errBoom},
		delay: map[string]time.Duration{"slow": 100 * time.Millisecond}}
	for _, keep := range []bool{false, true} {
		f.evaluated = nil
		b, _ := New(f, WithKeepGoing(keep))
		_, err := b.Run(context.Background(), p)
		if !errors.Is(err, errBoom) {
			t.Fatalf("keep-going=%v: Run() = %v, want boom", keep, err)
		}
		if got := slices.Contains(f.evaluated, "slow"); got != keep {
			t.Errorf("keep-going=%v: slow finished = %v, want %v", keep, got, keep)
		}
	}
}

func TestRunJobsCapsConcurrentSolves(t *testing.T) {
	p := testPlan(t, nil, "a", "b", "c", "d")
	delay := map[string]time.Duration{"a": 200 * time.Millisecond, "b": 200 * time.Millisecond, "c": 200 * time.Millisecond, "d": 200 * time.Millisecond}
	for _, tc := range []struct{ jobs, wantMax int32 }{{1, 1}, {2, 2}, {0, 4}} {
		f := &fakeSolver{delay: delay}
		b, _ := New(f, WithJobs(int(tc.jobs)))
		if _, err := b.Run(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		if got := f.maxRunning.Load(); got != tc.wantMax {
			t.Errorf("jobs %d: at most %d steps evaluated at once, want %d", tc.jobs, got, tc.wantMax)
		}
	}
}

func TestRunCancelReportsCanceled(t *testing.T) {
	p := testPlan(t, nil, "long")
	f := &fakeSolver{delay: map[string]time.Duration{"long": time.Minute}}
	b, _ := New(f)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res, err := b.Run(ctx, p)
	if err == nil || res.Step("long").Status != StatusCanceled {
		t.Fatalf("Run() = %v with status %q, want an error and canceled", err, res.Step("long").Status)
	}
}

// TestRunJobsWithPublishedChain: under --jobs, a dependent waits for its
// published dependency to build, not for its session to end (which waits
// for the publish phase, which waits for the dependent): no deadlock.
func TestRunJobsWithPublishedChain(t *testing.T) {
	deps := map[string][]string{"child": {"parent"}}
	p := testPlan(t, deps, "parent", "child")
	f := &fakeSolver{deps: deps}
	b, _ := New(f, WithJobs(1), WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := b.Run(ctx, p); err != nil {
		t.Fatalf("Run() = %v, want success (a deadlock ends in the timeout)", err)
	}
	sort.Strings(f.exported)
	if !slices.Equal(f.exported, []string{"child", "parent"}) {
		t.Errorf("exported %v, want [child parent]", f.exported)
	}
}

// TestRunDependentOfFailedStepSaysSo: a step stopped because a step it
// needs failed ends as "dependency failed", not as canceled.
func TestRunDependentOfFailedStepSaysSo(t *testing.T) {
	p := testPlan(t, map[string][]string{"dep": {"failing"}}, "failing", "dep", "other")
	f := &fakeSolver{fail: map[string]error{"failing": errBoom},
		delay: map[string]time.Duration{"dep": time.Minute, "other": time.Minute}}
	b, _ := New(f)
	res, err := b.Run(context.Background(), p)
	if !errors.Is(err, errBoom) {
		t.Fatalf("Run() = %v, want boom", err)
	}
	for label, want := range map[string]Status{"failing": StatusFailed, "dep": StatusDependencyFailed, "other": StatusCanceled} {
		if got := res.Step(label).Status; got != want {
			t.Errorf("%s: status %q, want %q", label, got, want)
		}
	}
}

// TestRunJobsWaitingStepIsNotBlamed: under --jobs, a step waiting for a
// failed dependency is a dependency failure, and the failure is reported
// once.
func TestRunJobsWaitingStepIsNotBlamed(t *testing.T) {
	deps := map[string][]string{"c": {"a"}}
	p := testPlan(t, deps, "a", "b", "c")
	f := &fakeSolver{fail: map[string]error{"a": errBoom}, delay: map[string]time.Duration{"b": 200 * time.Millisecond}}
	b, _ := New(f, WithJobs(2))
	res, err := b.Run(context.Background(), p)
	var be *BuildError
	if !errors.As(err, &be) || len(be.Failed) != 1 {
		t.Fatalf("Run() = %v, want one failure", err)
	}
	if got := res.Step("c").Status; got != StatusDependencyFailed {
		t.Errorf("c: status %q, want %q", got, StatusDependencyFailed)
	}
}

// TestRunNothingPublishedBeforeEverySessionEnded: a step that publishes
// nothing counts as built only when its session ended well (its cache
// export included), so its failure there still holds every publish back.
func TestRunNothingPublishedBeforeEverySessionEnded(t *testing.T) {
	p := testPlan(t, nil, "p", "n")
	p.Build().Step("n").Publish = false
	f := &fakeSolver{failAfter: map[string]error{"n": errors.New("cache export: 500")},
		delay: map[string]time.Duration{"n": 50 * time.Millisecond}}
	b, _ := New(f, WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}))
	if _, err := b.Run(context.Background(), p); err == nil {
		t.Fatal("Run() = nil, want the cache export's failure")
	}
	if len(f.exported) != 0 {
		t.Errorf("exported %v, want nothing", f.exported)
	}
}

// TestRunHeldBackWithoutKeepGoing: without --keep-going too, a step that
// built and waits to publish when another fails is "built, not published",
// not canceled.
func TestRunHeldBackWithoutKeepGoing(t *testing.T) {
	p := testPlan(t, nil, "good", "bad")
	f := &fakeSolver{fail: map[string]error{"bad": errBoom},
		delay: map[string]time.Duration{"bad": 30 * time.Millisecond}}
	b, _ := New(f, WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}))
	res, _ := b.Run(context.Background(), p)
	if got := res.Step("good").Status; got != StatusHeldBack {
		t.Errorf("good: status %q, want %q", got, StatusHeldBack)
	}
}

// TestRunKeepGoingDependentOfFailedStep: with --keep-going, a step whose
// dependency failed is a dependency failure even when its own build did
// not need the failed result (it named the step in depends_on).
func TestRunKeepGoingDependentOfFailedStep(t *testing.T) {
	p := testPlan(t, map[string][]string{"dep": {"failing"}, "next": {"dep"}}, "failing", "dep", "next", "other")
	f := &fakeSolver{fail: map[string]error{"failing": errBoom}, delay: map[string]time.Duration{"failing": 50 * time.Millisecond}}
	b, _ := New(f, WithKeepGoing(true), WithOutputs(Output{Type: "oci", Dest: t.TempDir()}))
	res, err := b.Run(context.Background(), p)
	if !errors.Is(err, errBoom) {
		t.Fatalf("Run() = %v, want boom", err)
	}
	for label, want := range map[string]Status{"failing": StatusFailed, "dep": StatusDependencyFailed, "next": StatusDependencyFailed, "other": StatusHeldBack} {
		if got := res.Step(label).Status; got != want {
			t.Errorf("%s: status %q, want %q", label, got, want)
		}
	}
}
