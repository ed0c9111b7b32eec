package serve

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Runner runs builds: the server's one seam to the builder (builderRunner
// in production, a fake in tests).
type Runner interface {
	// Check vets a job before it is accepted (the build file parses, its
	// secrets are the tenant's server-side ones); an error is the client's
	// mistake, answered with 400.
	Check(ctx context.Context, job *Job) error
	// Run builds the job, sending events through emit, and returns how
	// it ended.
	Run(ctx context.Context, job *Job, emit Emitter) Outcome
}

// Emitter sends one event of a build (typ is EventStep, EventVertex,
// EventLog...); data is marshalled to JSON.
type Emitter func(typ string, data any)

// Job is one accepted build.
type Job struct {
	// ID names the build; Tenant owns it.
	ID, Tenant string
	// Dir is the build's work folder, holding the upload.
	Dir string
	// File is the build file's path in Dir.
	File string
	// Steps are the steps to build (none: all).
	Steps []string
	// NoCache builds without the cache.
	NoCache bool
	// Revision is the source revision label of the images (revision=).
	Revision string
	// Platforms are the platforms of the steps without platforms: of their
	// own (platform=a,b, as weld build's --platform).
	Platforms []string
	// Prepared is what Check keeps for Run.
	Prepared any
}

// Outcome is how a build ended.
type Outcome struct {
	// Metadata is the per-step result in --metadata-file's shape.
	Metadata json.RawMessage
	// Report is the HTML report, if one was made.
	Report []byte
	// Err is why the build failed; nil when it succeeded.
	Err error
}

// maxLogBytes caps the log events one build keeps (in memory and on disk).
var maxLogBytes = 16 << 20

// build is a build the server knows: its record and, while this process
// has seen it, its events, with a channel closed on every change.
type build struct {
	mu      sync.Mutex
	rec     Record
	st      store
	events  []Event // while loaded, the whole log
	loaded  bool    // events holds the whole log; else it is read from st
	ended   bool    // no event will follow
	logged  int     // bytes of log events so far (maxLogBytes)
	changed chan struct{}
	cancel  context.CancelCauseFunc
	job     *Job // while this process runs it (the live report)
}

// newBuild is a build accepted now (live), or one from an earlier run,
// which has ended.
func newBuild(rec Record, live bool, st store) *build {
	return &build{rec: rec, loaded: live, ended: !live, st: st, changed: make(chan struct{})}
}

// record returns a copy of the build's record.
func (b *build) record() Record {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rec
}

// add appends an event (numbered here), logs it with persist under the
// lock (so the log's order is the ids') and wakes the streams.
func (b *build) add(typ string, data any, persist func(Event)) {
	dt, err := json.Marshal(data)
	if err != nil {
		dt, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if typ == EventLog {
		if b.logged > maxLogBytes {
			return // the build's output is past the cap, said once below
		}
		if b.logged += len(dt); b.logged > maxLogBytes {
			typ = EventStep
			dt, _ = json.Marshal(map[string]string{"type": "warning", "message": "the build's output passed the server's cap; later log lines are dropped"})
		}
	}
	e := Event{ID: len(b.events) + 1, Type: typ, Data: dt}
	b.events = append(b.events, e)
	b.ended = b.ended || typ == EventResult
	persist(e)
	close(b.changed)
	b.changed = make(chan struct{})
}

// drop forgets the events of an ended build: since reads them from the
// log on disk from now on, so memory holds only live builds' events.
func (b *build) drop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events, b.loaded, b.job = nil, false, nil
}

// update changes the record under the lock and returns a copy.
func (b *build) update(f func(r *Record)) Record {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.rec)
	return b.rec
}

// since returns the events after id, whether no more will come, and a
// channel closed on the next change. An ended build's events come from
// its log on disk (an error reading it ends the stream).
func (b *build) since(id int) ([]Event, bool, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	evs := b.events
	if !b.loaded {
		evs, _ = b.st.events(b.rec.ID)
	}
	var out []Event
	if id < len(evs) {
		out = append(out, evs[max(id, 0):]...)
	}
	return out, b.ended, b.changed
}

func now() *time.Time {
	t := time.Now().UTC()
	return &t
}
