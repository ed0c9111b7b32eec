package serve

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/weld-build/weld/internal/atomicfile"
)

// run waits for a slot, runs the job and records how it ended. The work
// folder is removed and the build's place freed before the final record
// is written, so whoever sees the build ended may submit the next.
func (s *Server) run(ctx context.Context, b *build, job *Job) {
	defer s.wg.Done()
	out, st := s.runSlot(ctx, b, job)
	_ = os.RemoveAll(job.Dir)
	s.release(job.Tenant)
	s.finish(b, out, st)
}

// runSlot runs the job once a slot is free, unless canceled first.
func (s *Server) runSlot(ctx context.Context, b *build, job *Job) (Outcome, Status) {
	if err := s.slots.acquire(ctx, job.Tenant); err != nil {
		return Outcome{Err: err}, StatusCanceled
	}
	defer s.slots.release()
	if ctx.Err() != nil { // canceled while the slot came free
		return Outcome{Err: context.Cause(ctx)}, StatusCanceled
	}
	s.save(b, b.update(func(r *Record) { r.Status, r.Started = StatusRunning, now() }))
	s.emit(b, EventStatus, map[string]Status{"status": StatusRunning})
	out := s.cfg.Runner.Run(ctx, job, func(typ string, data any) { s.emit(b, typ, data) })
	switch {
	case out.Err == nil:
		return out, StatusSucceeded
	case ctx.Err() != nil:
		out.Err = context.Cause(ctx)
		return out, StatusCanceled
	}
	return out, StatusFailed
}

// finish writes the build's report and final record and sends the result
// event, the stream's last.
func (s *Server) finish(b *build, out Outcome, st Status) {
	if dir, err := s.st.buildDir(b.rec.ID); err == nil && out.Report != nil {
		_ = atomicfile.WriteFile(filepath.Join(dir, "report.html"), out.Report, 0o600)
	}
	rec := b.update(func(r *Record) {
		r.Status, r.Finished, r.Result = st, now(), out.Metadata
		if out.Err != nil {
			r.Error = s.scrub.String(out.Err.Error())
		}
	})
	s.save(b, rec)
	s.countSteps(out.Metadata)
	s.emit(b, EventResult, rec)
	b.drop()
}

// countSteps adds the steps' durations of a build's metadata to /metrics.
func (s *Server) countSteps(meta []byte) {
	var steps map[string]struct {
		Duration float64 `json:"duration"`
	}
	if json.Unmarshal(meta, &steps) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range steps {
		s.stepSeconds += st.Duration
		s.stepCount++
	}
}

// cancel cancels a build that has not ended; it reports whether it did.
func (s *Server) cancel(b *build) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rec.Status.done() || b.cancel == nil {
		return false
	}
	b.cancel(ErrCanceled)
	return true
}

// reportPath is the build's HTML report, if it has one.
func (s *Server) reportPath(id string) (string, error) {
	dir, err := s.st.buildDir(id)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "report.html")
	if _, err := os.Stat(p); err != nil {
		return "", errors.New("this build has no report (yet)")
	}
	return p, nil
}
