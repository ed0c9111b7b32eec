package serve

import (
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
)

// TestLiveSteps: from the step events so far, a published step is done
// with a solve and a wait phase, a built one waits until now, a running
// one solves until now, a failed one ends when it failed, and a step with
// no event is queued with no phase.
func TestLiveSteps(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	l := newLiveSteps()
	for _, e := range []builder.Event{
		{Step: "pub", Type: builder.EventStarted, Time: at(0)}, {Step: "pub", Type: builder.EventBuilt, Time: at(2)},
		{Step: "pub", Type: builder.EventPublished, Time: at(3)},
		{Step: "built", Type: builder.EventStarted, Time: at(1)}, {Step: "built", Type: builder.EventBuilt, Time: at(4)},
		{Step: "run", Type: builder.EventStarted, Time: at(5)},
		{Step: "bad", Type: builder.EventStarted, Time: at(1)}, {Step: "bad", Type: builder.EventFailed, Time: at(6)},
		{Type: builder.EventInfo, Time: at(7)},
	} {
		l.event(e)
	}
	var steps []*dag.Step
	for _, s := range []string{"pub", "built", "run", "bad", "later"} {
		steps = append(steps, &dag.Step{Label: s})
	}
	type phase struct {
		name       string
		start, end int
	}
	want := map[string]struct {
		status builder.Status
		phases []phase
	}{
		"pub":   {builder.StatusDone, []phase{{"solve", 0, 2}, {"wait", 2, 3}}},
		"built": {builder.StatusHeldBack, []phase{{"solve", 1, 4}, {"wait", 4, 10}}},
		"run":   {"running", []phase{{"solve", 5, 10}}},
		"bad":   {builder.StatusFailed, []phase{{"solve", 1, 6}}},
		"later": {"queued", nil},
	}
	res := l.result(steps, at(10))
	if len(res.Steps) != len(steps) {
		t.Fatalf("%d steps, want %d", len(res.Steps), len(steps))
	}
	for _, sr := range res.Steps {
		w := want[sr.Label]
		var got []phase
		for _, p := range sr.Phases {
			got = append(got, phase{p.Name, int(p.Start.Sub(t0).Seconds()), int(p.End.Sub(t0).Seconds())})
		}
		if sr.Status != w.status || len(got) != len(w.phases) {
			t.Errorf("step %s: status %q phases %v, want %q %v", sr.Label, sr.Status, got, w.status, w.phases)
			continue
		}
		for i := range got {
			if got[i] != w.phases[i] {
				t.Errorf("step %s: phases %v, want %v", sr.Label, got, w.phases)
			}
		}
	}
}
