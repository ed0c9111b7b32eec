package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// ErrCanceled is the cause of a build canceled by POST .../cancel.
var ErrCanceled = errors.New("canceled by request")

// errDrained is the cause of a build canceled because the server stopped.
var errDrained = errors.New("canceled: the server stopped before the build ended")

// Config is a server's configuration; everything it builds uses Runner,
// whose options the requests cannot change.
type Config struct {
	// StateDir holds build records, event logs and work folders.
	StateDir string
	// Tokens authenticate every /v1 call.
	Tokens *Tokens
	// Runner runs the builds.
	Runner Runner
	// MaxBuilds builds run at once (default 2); Queue more may wait
	// (default 16); past that, submissions get 429.
	MaxBuilds, Queue int
	// TenantMaxBuilds caps one tenant's builds running and queued
	// (0: no cap but the server's); past it, that tenant gets 429. Slots
	// go round-robin across tenants either way (fair.go).
	TenantMaxBuilds int
	// Limits bound each upload (default DefaultLimits).
	Limits Limits
	// RetryAfter is the Retry-After of a 429 (default 10s).
	RetryAfter time.Duration
	// UploadTimeout bounds the reading of one upload (default 5m), so a
	// slow client cannot hold a place for long.
	UploadTimeout time.Duration
}

// Server is weld's build service; see Handler for its API.
type Server struct {
	cfg   Config
	scrub *scrubber // the state folder, in what the server says itself
	st    store
	slots *fairSlots
	base  context.Context
	stop  context.CancelCauseFunc
	wg    sync.WaitGroup

	mu       sync.Mutex
	builds   map[string]*build
	order    []string          // ids, oldest first
	admitted int               // builds accepted and not yet ended
	byTenant map[string]int    // the same, per tenant
	keys     map[string]string // tenant+Idempotency-Key → build id (idempotency.go)
	draining bool
	// stepSeconds and stepCount sum the ended builds' step durations.
	stepSeconds float64
	stepCount   int
}

// New opens the state folder (marking builds a previous process left
// running as failed) and returns a server.
func New(cfg Config) (*Server, error) {
	if cfg.Tokens == nil || cfg.Runner == nil || cfg.StateDir == "" {
		return nil, errors.New("serve: Config needs Tokens, Runner and StateDir")
	}
	if cfg.MaxBuilds <= 0 {
		cfg.MaxBuilds = 2
	}
	if cfg.Queue < 0 {
		return nil, fmt.Errorf("serve: a queue of %d: give 0 or more", cfg.Queue)
	}
	if cfg.TenantMaxBuilds < 0 {
		return nil, fmt.Errorf("serve: a tenant limit of %d: give 0 (none) or more", cfg.TenantMaxBuilds)
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 10 * time.Second
	}
	if cfg.UploadTimeout <= 0 {
		cfg.UploadTimeout = 5 * time.Minute
	}
	s := &Server{cfg: cfg, scrub: newScrubber(pathName{cfg.StateDir, "[state]"}), st: store{dir: cfg.StateDir}, slots: newFairSlots(cfg.MaxBuilds), byTenant: map[string]int{}, builds: map[string]*build{}, keys: map[string]string{}}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("making the state folder: %w", err)
	}
	if err := s.st.init(); err != nil {
		return nil, err
	}
	recs, err := s.st.load()
	if err != nil {
		return nil, fmt.Errorf("reading the state folder: %w", err)
	}
	if err := s.st.init(); err != nil {
		return nil, err
	}
	for _, r := range recs {
		s.builds[r.ID], s.order = newBuild(*r, false, s.st), append(s.order, r.ID)
		if r.IdempotencyKey != "" {
			s.keys[keyOf(r.Tenant, r.IdempotencyKey)] = r.ID
		}
	}
	s.base, s.stop = context.WithCancelCause(context.Background())
	return s, nil
}

// limitError is a submission refused by a limit: the JSON body of a 429
// (or 503) names it.
type limitError struct {
	code int
	// Msg says what is wrong and what to do.
	Msg string `json:"error"`
	// Limit names the limit: "queue" (--max-builds + --queue),
	// "tenant-max-builds" or "draining".
	Limit string `json:"limit"`
	// Max is the limit's value; Current is how many the tenant or the
	// server has running and queued.
	Max     int `json:"max,omitempty"`
	Current int `json:"current,omitempty"`
}

func (e *limitError) Error() string { return e.Msg }

// admit reserves a place for one more build of tenant, or says which
// limit refuses it: draining (503), the tenant's quota or the server's
// queue (429).
func (s *Server) admit(tenant string) *limitError {
	s.mu.Lock()
	defer s.mu.Unlock()
	total, mine := s.cfg.MaxBuilds+s.cfg.Queue, s.byTenant[tenant]
	switch {
	case s.draining:
		return &limitError{code: http.StatusServiceUnavailable, Msg: "the server is stopping; submit again later", Limit: "draining"}
	case s.cfg.TenantMaxBuilds > 0 && mine >= s.cfg.TenantMaxBuilds:
		return &limitError{code: http.StatusTooManyRequests, Limit: "tenant-max-builds", Max: s.cfg.TenantMaxBuilds, Current: mine,
			Msg: fmt.Sprintf("this tenant has %d builds running or queued, its most (--tenant-max-builds %d); retry when one has ended", mine, s.cfg.TenantMaxBuilds)}
	case s.admitted >= total:
		return &limitError{code: http.StatusTooManyRequests, Limit: "queue", Max: total, Current: s.admitted,
			Msg: fmt.Sprintf("%d builds are running or queued, the most this server takes (--max-builds + --queue); retry later", s.admitted)}
	}
	s.admitted++
	s.byTenant[tenant]++
	return nil
}

// release frees the place admit reserved for tenant.
func (s *Server) release(tenant string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.admitted--
	if s.byTenant[tenant]--; s.byTenant[tenant] <= 0 {
		delete(s.byTenant, tenant)
	}
}

// lookup returns the tenant's build id, or nil: another tenant's build is
// as absent as one that never was.
func (s *Server) lookup(tenant, id string) *build {
	s.mu.Lock()
	b := s.builds[id]
	s.mu.Unlock()
	if b == nil || b.record().Tenant != tenant {
		return nil
	}
	return b
}

// start registers an accepted job and runs it once a slot is free.
func (s *Server) start(job *Job, rec Record) error {
	b := newBuild(rec, true, s.st)
	if err := s.st.writeRecord(&rec); err != nil {
		return fmt.Errorf("writing the build's record: %w", err)
	}
	ctx, cancel := context.WithCancelCause(s.base)
	b.cancel, b.job = cancel, job
	s.mu.Lock()
	s.builds[rec.ID], s.order = b, append(s.order, rec.ID)
	s.mu.Unlock()
	s.emit(b, EventStatus, map[string]Status{"status": StatusQueued})
	s.wg.Add(1)
	go s.run(ctx, b, job)
	return nil
}

// emit adds an event to b and its log on disk.
func (s *Server) emit(b *build, typ string, data any) {
	b.add(typ, s.scrub.json(data), func(e Event) { _ = s.st.appendEvent(b.rec.ID, e) })
}

// writeRecord saves b's record; a failure is logged in the stream.
func (s *Server) save(b *build, r Record) {
	if err := s.st.writeRecord(&r); err != nil {
		s.emit(b, EventStep, map[string]string{"type": "warning", "message": "saving the record: " + err.Error()})
	}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Drain stops accepting builds (503), lets the running and queued ones
// finish until ctx is done, then cancels them and waits for them to end.
func (s *Server) Drain(ctx context.Context) {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.stop(errDrained)
		<-done
	}
}
