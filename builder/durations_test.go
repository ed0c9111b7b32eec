package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/dag"
)

// TestDurationsRecordedOnOneDaemon: a run on one daemon records each step's
// work (its vertices' run time), so that the first run on a pool places by
// them; a failed run writes nothing.
func TestDurationsRecordedOnOneDaemon(t *testing.T) {
	deps := map[string][]string{"app": {"compile"}}
	p := testPlan(t, deps, "compile", "app", "side")
	work := p.Build().WorkDir
	p.Build().Steps[2].Publish = false // side: done even when app fails
	f := &fakeSolver{deps: deps, timed: true, delay: map[string]time.Duration{"compile": 150 * time.Millisecond, "side": 20 * time.Millisecond}}
	b, err := New(f, WithOutputs(Output{Type: "oci", Dest: t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(context.Background(), p); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	got := LoadDurations(work)
	if got["compile"] < 0.15 || got["app"] <= 0 || got["side"] < 0.02 || len(got) != 3 {
		t.Fatalf("durations after a run on one daemon = %v, want compile ≥ 0.15 s, app > 0, side ≥ 0.02 s", got)
	}
	before, err := os.ReadFile(filepath.Join(work, durationsFile))
	if err != nil {
		t.Fatal(err)
	}

	f.fail = map[string]error{"app": errBoom}
	if _, err := b.Run(context.Background(), p); err == nil {
		t.Fatal("Run() = nil, want app's failure")
	}
	after, err := os.ReadFile(filepath.Join(work, durationsFile))
	if err != nil || string(after) != string(before) {
		t.Errorf("durations.json after a failed run = %s (%v), want it untouched:\n%s", after, err, before)
	}
}

// TestDurationsBounded: past maxDurations entries, the labels the run did
// not build are dropped, never the ones it did; the file is never a link.
func TestDurationsBounded(t *testing.T) {
	work := t.TempDir()
	old := map[string]float64{}
	for i := range maxDurations + 10 {
		old[fmt.Sprintf("gone%05d", i)] = 2
	}
	writeDurations(t, work, old)
	res := &Result{Steps: []*StepResult{{Label: "new", Status: StatusDone, Duration: Duration(3 * time.Second)},
		{Label: "failed", Status: StatusFailed, Duration: Duration(time.Second)}}}
	if err := saveDurations(durationsAt{work, durationsFile}, res, map[string]time.Duration{"new": 3 * time.Second, "failed": time.Second}); err != nil {
		t.Fatal(err)
	}
	got := LoadDurations(work)
	if len(got) != maxDurations || got["new"] != 3 {
		t.Errorf("after saving over %d entries: %d entries, new = %v; want %d and 3", len(old), len(got), got["new"], maxDurations)
	}
	if _, ok := got["failed"]; ok {
		t.Errorf("a failed step's duration was recorded: %v", got["failed"])
	}

	linked := t.TempDir()
	if err := os.MkdirAll(filepath.Join(linked, dag.StateDir), 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.Symlink(target, filepath.Join(linked, durationsFile)); err != nil {
		t.Fatal(err)
	}
	if err := saveDurations(durationsAt{linked, durationsFile}, res, map[string]time.Duration{"new": time.Second}); err == nil {
		t.Error("saveDurations through a symlink = nil, want a refusal")
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Errorf("the link's target was written (Lstat err = %v)", err)
	}
}

func writeDurations(t *testing.T, work string, d map[string]float64) {
	t.Helper()
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(work, dag.StateDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, durationsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWorkForCountsOnlyOwnUncachedVertices: a step's work is the run time
// of its own vertices the cache did not answer, not of a dependency's it
// re-solved nor of cached ones.
func TestWorkForCountsOnlyOwnUncachedVertices(t *testing.T) {
	tr := newTracker("app", func(*client.SolveStatus) {}, nil)
	at := func(s float64) *time.Time {
		v := time.Unix(0, 0).Add(time.Duration(s * float64(time.Second)))
		return &v
	}
	own, dep, hit := digest.FromString("own"), digest.FromString("dep"), digest.FromString("hit")
	tr.own(dep, "compile")
	tr.observe(&client.SolveStatus{Vertexes: []*client.Vertex{
		{Digest: own, Name: "RUN make", Started: at(5), Completed: at(6.5)},
		{Digest: dep, Name: "RUN compile", Started: at(0), Completed: at(4)},
		{Digest: hit, Name: "COPY", Started: at(6), Completed: at(9), Cached: true},
	}}, true)
	if got := tr.workFor("app"); got != 1500*time.Millisecond {
		t.Errorf("workFor(app) = %v, want 1.5s (its own uncached vertex)", got)
	}
	if got := tr.workFor("compile"); got != 4*time.Second {
		t.Errorf("workFor(compile) = %v, want 4s", got)
	}
}

// TestWorkForIgnoresACachedRebuild: a step whose build the cache answered
// whole, its loads and export aside, has no work (it keeps its earlier
// duration); the loads count when something else ran too.
func TestWorkForIgnoresACachedRebuild(t *testing.T) {
	at := func(s float64) *time.Time {
		v := time.Unix(0, 0).Add(time.Duration(s * float64(time.Second)))
		return &v
	}
	loads := []*client.Vertex{
		{Digest: digest.FromString("df"), Name: "[internal] load build definition from Dockerfile", Started: at(0), Completed: at(0.1)},
		{Digest: digest.FromString("ctx"), Name: "[leaf8] load build context", Started: at(0), Completed: at(0.1)},
		{Digest: digest.FromString("base"), Name: "[context busybox] OCI load from client", Started: at(0), Completed: at(0.05)},
		{Digest: digest.FromString("run"), Name: "[2/2] RUN make", Started: at(0.1), Completed: at(0.2), Cached: true},
		{Digest: digest.FromString("exp"), Name: "exporting to oci image format", Started: at(0.2), Completed: at(0.4)},
	}
	tr := newTracker("app", func(*client.SolveStatus) {}, nil)
	tr.observe(&client.SolveStatus{Vertexes: loads}, true)
	if got := tr.workFor("app"); got != 0 {
		t.Errorf("workFor(app) of a cached rebuild = %v, want 0 (keep the earlier duration)", got)
	}
	tr = newTracker("app", func(*client.SolveStatus) {}, nil)
	tr.observe(&client.SolveStatus{Vertexes: append(loads, &client.Vertex{Digest: digest.FromString("copy"), Name: "[3/3] COPY a /a", Started: at(0.4), Completed: at(1.4)})}, true)
	if got, want := tr.workFor("app"), 1450*time.Millisecond; got != want {
		t.Errorf("workFor(app) = %v, want %v (the COPY, the loads and the export)", got, want)
	}
}

// TestWithDurationsElsewhere: WithDurations keeps the durations in the
// named file, not in the work dir; a second run ranks by them; a symlink
// in their path is neither read nor written through; a bad name is
// refused.
func TestWithDurationsElsewhere(t *testing.T) {
	p := testPlan(t, nil, "slow", "quick")
	state := t.TempDir()
	f := &fakeSolver{timed: true, delay: map[string]time.Duration{"slow": 120 * time.Millisecond}}
	b, err := New(f, WithDurations(state, "durations/t/p.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(p.Build().WorkDir, durationsFile)); !os.IsNotExist(err) {
		t.Errorf("the work dir has %s (%v), want none with WithDurations", durationsFile, err)
	}
	got := durationsAt{state, "durations/t/p.json"}.load()
	if got["slow"] < 0.12 || got["quick"] <= 0 {
		t.Fatalf("durations in the state folder = %v, want slow ≥ 0.12 s and quick", got)
	}
	if r := rankSteps(b.o.durationsOf(p), p.Build().Steps); r["slow"] <= r["quick"] {
		t.Errorf("ranks %v, want slow above quick from the recorded durations", r)
	}

	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(state, "linked")); err != nil {
		t.Fatal(err)
	}
	b, _ = New(f, WithDurations(state, "linked/p.json"))
	if _, err := b.Run(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("durations written through a symlinked folder: %v", ents)
	}
	for _, name := range []string{"", "/abs.json", "../up.json"} {
		if _, err := New(f, WithDurations(state, name)); !errors.Is(err, ErrInvalid) {
			t.Errorf("WithDurations(%q) = %v, want ErrInvalid", name, err)
		}
	}
}

func TestIsTransfer(t *testing.T) {
	for name, want := range map[string]bool{
		"[internal] load build definition from Dockerfile":              true,
		"[internal] load metadata for docker.io/library/busybox:latest": true,
		"[leaf8] load build context":                                    true,
		"[context busybox] OCI load from client":                        true,
		"exporting to oci image format":                                 true,
		"build context with artifacts":                                  true,
		"[2/3] RUN sleep 1":                                             false,
		"[stage-1 2/3] COPY --from=build /a /a":                         false,
		"[1/1] RUN echo \"[x] load build context\"":                     false,
		"artifact /artifact from root → artifact":                       false,
	} {
		if got := isTransfer(name); got != want {
			t.Errorf("isTransfer(%q) = %v, want %v", name, got, want)
		}
	}
}
