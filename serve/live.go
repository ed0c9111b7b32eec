package serve

import (
	"bytes"
	"sync"
	"time"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/report"
)

// A build's live report: while it runs, GET .../report renders what its
// step events said so far (each step queued, solving since it started,
// waiting since it built, done once published, or failed), as the same
// HTML report with the status "running". The final report, from the
// builder's Result, replaces it when the build ends.

// liveReporter is a Runner that can report a build that has not ended.
type liveReporter interface {
	// LiveReport renders the job's report so far, or nil.
	LiveReport(job *Job) []byte
}

var _ liveReporter = (*builderRunner)(nil)

// liveSteps records the step events of one build.
type liveSteps struct {
	mu    sync.Mutex
	steps map[string]*liveStep
}

type liveStep struct {
	status            builder.Status
	started, built    time.Time
	published, failed time.Time
}

func newLiveSteps() *liveSteps { return &liveSteps{steps: map[string]*liveStep{}} }

// event notes a step's start, build, publish or failure.
func (l *liveSteps) event(e builder.Event) {
	if e.Step == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.steps[e.Step]
	if s == nil {
		s = &liveStep{}
		l.steps[e.Step] = s
	}
	switch e.Type {
	case builder.EventStarted:
		s.started, s.status = e.Time, "running"
	case builder.EventBuilt:
		s.built, s.status = e.Time, builder.StatusHeldBack
	case builder.EventPublished:
		s.published, s.status = e.Time, builder.StatusDone
	case builder.EventFailed:
		s.failed, s.status = e.Time, builder.StatusFailed
	}
}

// result is the steps of plan so far, as a builder.Result: a phase each
// for solving (start to built, failed or now), waiting (built to
// published or now).
func (l *liveSteps) result(steps []*dag.Step, now time.Time) *builder.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	res := &builder.Result{}
	for _, st := range steps {
		sr := &builder.StepResult{Label: st.Label, Status: "queued"}
		if s := l.steps[st.Label]; s != nil && !s.started.IsZero() {
			sr.Status = s.status
			end := firstSet(s.built, s.failed, now)
			sr.Phases = append(sr.Phases, builder.Phase{Name: builder.PhaseSolve, Start: s.started, End: end})
			if !s.built.IsZero() {
				sr.Phases = append(sr.Phases, builder.Phase{Name: builder.PhaseWait, Start: s.built, End: firstSet(s.published, now)})
			}
			sr.Duration = builder.Duration(end.Sub(s.started))
		}
		res.Steps = append(res.Steps, sr)
	}
	return res
}

func firstSet(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// LiveReport renders a checked job's report from its step events so far.
func (r *builderRunner) LiveReport(job *Job) []byte {
	pr, ok := job.Prepared.(*prepared)
	if !ok {
		return nil
	}
	steps, err := pr.plan.Select(job.Steps...)
	if err != nil {
		return nil
	}
	rep := report.Build(pr.plan, pr.live.result(steps, time.Now()), report.WithRunning(),
		report.WithSelection(job.Steps...), report.WithRedactor(r.scrubber(job).String))
	var buf bytes.Buffer
	if rep.WriteHTML(&buf) != nil {
		return nil
	}
	return buf.Bytes()
}

// liveReport is the report so far of a build this process runs and that
// has not ended, or nil.
func (s *Server) liveReport(b *build) []byte {
	b.mu.Lock()
	job, done := b.job, b.rec.Status.done()
	b.mu.Unlock()
	lr, ok := s.cfg.Runner.(liveReporter)
	if job == nil || done || !ok {
		return nil
	}
	return lr.LiveReport(job)
}
