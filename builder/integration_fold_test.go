//go:build integration

package builder_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/builder"
)

// chainProject is a chain a → b → c of FROM <step>, with only c published;
// b's RUN runs fail when failB is set.
func chainProject(t *testing.T, n string, failB bool) string {
	t.Helper()
	runB := "RUN echo b-" + n + " >> /chain\n"
	if failB {
		runB = "RUN echo b-broke-" + n + " && exit 4\n"
	}
	return writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    a:
      name: weld-fold-a
      dockerfile: Dockerfile.a
      publish: false
    b:
      name: weld-fold-b
      dockerfile: Dockerfile.b
      publish: false
    c:
      name: weld-fold-c
      dockerfile: Dockerfile.c
`,
		"Dockerfile.a": "FROM busybox\nRUN echo a-" + n + " > /chain\n",
		"Dockerfile.b": "FROM weld-fold-a\n" + runB,
		"Dockerfile.c": "FROM weld-fold-b\nRUN echo c-" + n + " >> /chain\n",
	})
}

// frontendRuns counts, per Dockerfile, the distinct "load build definition"
// vertices of a run: one per frontend run of that Dockerfile.
func frontendRuns(t *testing.T, raw string) map[string]int {
	t.Helper()
	seen := map[string]bool{}
	out := map[string]int{}
	dec := json.NewDecoder(strings.NewReader(raw))
	for dec.More() {
		var st client.SolveStatus
		if err := dec.Decode(&st); err != nil {
			t.Fatalf("decoding the progress log: %v", err)
		}
		for _, v := range st.Vertexes {
			_, df, ok := strings.Cut(v.Name, "load build definition from ")
			if !ok || seen[v.Digest.String()] {
				continue
			}
			seen[v.Digest.String()] = true
			out[df]++
		}
	}
	return out
}

// TestFoldedChain: the unpublished steps of a chain are built in the
// session of the published step above them, so each Dockerfile's frontend
// runs once (it ran once per session above it: a 3 times, b twice), and
// each step still reports its own status, duration and vertices.
func TestFoldedChain(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := chainProject(t, n, false)
	out := filepath.Join(t.TempDir(), "out")
	var events []builder.Event
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir,
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}),
		builder.WithEvents(func(ev builder.Event) { events = append(events, ev) }))
	b.mustPass(t)
	runs := frontendRuns(t, b.progress.raw.String())
	for _, df := range []string{"Dockerfile.a", "Dockerfile.b", "Dockerfile.c"} {
		if runs[df] != 1 {
			t.Errorf("the frontend ran %d times on %s, want once (progress: %v)", runs[df], df, runs)
		}
	}
	img := readLayout(t, filepath.Join(out, "c"))
	if got, want := strings.TrimSpace(img.mustFile(t, "chain")), "a-"+n+"\nb-"+n+"\nc-"+n; got != want {
		t.Errorf("c's /chain = %q, want %q", got, want)
	}
	for _, l := range []string{"a", "b"} {
		s := b.res.Step(l)
		if s.Vertices == 0 || s.Duration <= 0 {
			t.Errorf("folded step %s: vertices %d, duration %v; want its own, non-zero", l, s.Vertices, time.Duration(s.Duration))
		}
		var started, built bool
		for _, ev := range events {
			started = started || ev.Step == l && ev.Type == builder.EventStarted
			built = built || ev.Step == l && ev.Type == builder.EventBuilt
		}
		if !started || !built {
			t.Errorf("folded step %s: started event %v, built event %v; want both", l, started, built)
		}
	}
	if names := b.progress.text(); !strings.Contains(names, "[b] [1/2] RUN echo b-"+n) {
		t.Errorf("progress does not name b's RUN as [b]:\n%s", names)
	}
}

// TestFoldedStepFails: a failing RUN in a folded step is that step's
// failure, with its Dockerfile line and output; the step above it is a
// dependency failure, and nothing is published.
func TestFoldedStepFails(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := chainProject(t, n, true)
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir,
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
	if b.err == nil {
		t.Fatal("Run succeeded, want b's RUN to fail it")
	}
	var se *builder.StepError
	if !errors.As(b.err, &se) || se.Step != "b" {
		t.Fatalf("Run error %v: want a StepError of step b", b.err)
	}
	if !strings.HasSuffix(se.Source, "Dockerfile.b:2") {
		t.Errorf("StepError.Source = %q, want …Dockerfile.b:2", se.Source)
	}
	if !strings.Contains(strings.Join(se.Tail, "\n"), "b-broke-"+n) {
		t.Errorf("StepError.Tail = %q, want the RUN's output", se.Tail)
	}
	want := map[string]builder.Status{"a": builder.StatusDone, "b": builder.StatusFailed, "c": builder.StatusDependencyFailed}
	for l, st := range want {
		if got := b.res.Step(l).Status; got != st {
			t.Errorf("step %s: status %q, want %q", l, got, st)
		}
	}
	checkNoLayout(t, filepath.Join(out, "c"))
}

// TestFoldedUnderJobs: with --jobs 1 a host does not wait for the steps it
// builds itself (that would never end).
func TestFoldedUnderJobs(t *testing.T) {
	e := testEnv(t)
	dir := chainProject(t, nonce(t), false)
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithJobs(1),
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: filepath.Join(t.TempDir(), "out")}))
	b.mustPass(t)
}

// TestFoldedHostFailsFirst: when the host fails before the step it hosts
// has built (its own Dockerfile is broken), that step still builds on its
// own under --keep-going, and is canceled without it.
func TestFoldedHostFailsFirst(t *testing.T) {
	e := testEnv(t)
	for _, keepGoing := range []bool{true, false} {
		n := nonce(t)
		dir := writeProject(t, map[string]string{
			"build.yml": `build:
  version: 2016-03-14
  steps:
    a:
      name: weld-fold-a
      dockerfile: Dockerfile.a
      publish: false
    c:
      name: weld-fold-c
      dockerfile: Dockerfile.c
`,
			"Dockerfile.a": "FROM busybox\nRUN sleep 1 && echo a-" + n + " > /a\n",
			"Dockerfile.c": "FROM weld-fold-a\nEXPOSE notaport-" + n + "\n",
		})
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithKeepGoing(keepGoing),
			builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: filepath.Join(t.TempDir(), "out")}))
		if b.err == nil {
			t.Fatalf("keep-going %v: Run succeeded, want c's Dockerfile to fail it", keepGoing)
		}
		want := builder.StatusCanceled
		if keepGoing {
			want = builder.StatusDone
		}
		if got := b.res.Step("a").Status; got != want {
			t.Errorf("keep-going %v: step a: status %q, want %q", keepGoing, got, want)
		}
		if got := b.res.Step("c").Status; got != builder.StatusFailed {
			t.Errorf("keep-going %v: step c: status %q, want failed", keepGoing, got)
		}
	}
}
