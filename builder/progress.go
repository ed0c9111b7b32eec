package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/internal/redact"
)

// tailLines is how many lines of a failing vertex's output an error keeps.
const tailLines = 12

// tracker drains one session's status stream: it prefixes vertex names with
// the step label, forwards the statuses to the progress sink, counts
// vertices and cache hits, and keeps the last lines each vertex printed.
type tracker struct {
	label string
	sink  func(*client.SolveStatus)
	// elsewhere finds the dependency whose own session holds a vertex.
	elsewhere func(digest.Digest) string
	// dockerfiles maps a Dockerfile's base name to the step that reads it,
	// for the frontend's "load build definition" vertices (names that are
	// not unique in the session are left out).
	dockerfiles map[string]string
	// red redacts the output tails.
	red *redact.Redactor

	mu     sync.Mutex
	done   map[digest.Digest]doneVertex // completed vertices: whose, cached or not
	logs   map[digest.Digest]*bytes.Buffer
	owners map[digest.Digest]string
	names  map[digest.Digest]string // vertex names as BuildKit gave them
	// lookedUp caches elsewhere's answers, "" included: it is asked about
	// every vertex of every status update.
	lookedUp map[digest.Digest]string
}

func newTracker(label string, sink func(*client.SolveStatus), elsewhere func(digest.Digest) string) *tracker {
	return &tracker{
		label: label, sink: sink, elsewhere: elsewhere,
		done:     map[digest.Digest]doneVertex{},
		logs:     map[digest.Digest]*bytes.Buffer{},
		owners:   map[digest.Digest]string{},
		names:    map[digest.Digest]string{},
		lookedUp: map[digest.Digest]string{},
	}
}

// drain forwards a session's statuses; count says whether its vertices are
// the step's own work (not a helper session's replay of cached work).
func (t *tracker) drain(ch <-chan *client.SolveStatus, count bool) {
	for st := range ch {
		t.observe(st, count)
		t.sink(st)
	}
}

func (t *tracker) observe(st *client.SolveStatus, count bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, v := range st.Vertexes {
		name, ok := t.names[v.Digest]
		if !ok {
			name = v.Name
			t.names[v.Digest] = name
		}
		// A vertex of a dependency that this session re-solves carries the
		// dependency's label, and is not counted as this step's work.
		owner := t.ownerLocked(v.Digest)
		if prefix := "[" + owner + "] "; !strings.HasPrefix(name, prefix) {
			v.Name = prefix + name
		} else {
			v.Name = name
		}
		if count && v.Completed != nil {
			d := doneVertex{owner: owner, cached: v.Cached, transfer: isTransfer(name)}
			if v.Started != nil && !v.Cached {
				d.busy = v.Completed.Sub(*v.Started)
			}
			t.done[v.Digest] = d
		}
	}
	for _, l := range st.Logs {
		b, ok := t.logs[l.Vertex]
		if !ok {
			b = &bytes.Buffer{}
			t.logs[l.Vertex] = b
		}
		b.Write(l.Data)
		if b.Len() > 64<<10 {
			// Redacted before it is cut, so that no value is cut in two;
			// a value still open at the end stays whole.
			all := t.red.Bytes(b.Bytes())
			keep := all[max(0, len(all)-16<<10):]
			if i := bytes.IndexByte(keep, '\n'); i >= 0 {
				keep = keep[i+1:]
			}
			t.logs[l.Vertex] = bytes.NewBuffer(append([]byte(nil), keep...))
		}
	}
}

// counts returns how many vertices completed and how many of them were
// answered from the cache.
func (t *tracker) counts() (all, cached int) { return t.countsFor(t.label) }

// countsFor is counts for the vertices of step label in this session.
func (t *tracker) countsFor(label string) (all, cached int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.done {
		if c.owner != label {
			continue
		}
		all++
		if c.cached {
			cached++
		}
	}
	return all, cached
}

// doneVertex is a completed vertex: the step it belongs to, whether the
// cache answered it, and how long it ran (from its start, after it got a
// slot of the daemon's max-parallelism, to its end).
type doneVertex struct {
	owner    string
	cached   bool
	transfer bool // a load or an export (isTransfer): never cached
	busy     time.Duration
}

// transferPrefixes name the vertices that move files in or out rather
// than build: the frontend's and weld's loads, the exports. BuildKit runs
// them at every build, so they are never cached.
var transferPrefixes = []string{"load ", "[context ", "build context with artifacts", "exporting to "}

// isTransfer says whether a vertex name is a load or an export, after its
// labels ("[internal] ", a step's "[leaf1] ").
func isTransfer(name string) bool {
	for strings.HasPrefix(name, "[") {
		end := strings.Index(name, "] ")
		if end < 0 || strings.ContainsAny(name[:end], " /") {
			break
		}
		name = name[end+2:]
	}
	for _, p := range transferPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// workFor is how long the vertices of step label that the cache did not
// answer ran in this session, one after another: the step's own work,
// without the time it waited for the daemon (durations.go). It is 0 when
// only its loads and exports ran (a cached rebuild: the step keeps its
// earlier duration).
func (t *tracker) workFor(label string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var sum time.Duration
	built := false
	for _, c := range t.done {
		if c.owner == label {
			sum += c.busy
			built = built || (!c.cached && !c.transfer)
		}
	}
	if !built { // the cache answered every step of its build: no new figure
		return 0
	}
	return sum
}

// tail returns the last lines a vertex printed.
func (t *tracker) tail(d digest.Digest) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.logs[d]
	if !ok {
		return nil
	}
	return lastLines(t.red.String(b.String()), tailLines)
}

func lastLines(s string, n int) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// own records that a vertex belongs to a step (the first owner wins).
func (t *tracker) own(d digest.Digest, label string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.owners[d]; !ok {
		t.owners[d] = label
	}
}

// name returns a vertex's name as BuildKit gave it.
func (t *tracker) name(d digest.Digest) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.names[d]
}

func (t *tracker) owner(d digest.Digest) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.owners[d]
}

// ownerLocked is the label of the step a vertex belongs to; t.mu is held.
func (t *tracker) ownerLocked(d digest.Digest) string {
	if o := t.owners[d]; o != "" {
		return o
	}
	if df, ok := strings.CutPrefix(t.names[d], "[internal] load build definition from "); ok {
		if o := t.dockerfiles[df]; o != "" {
			return o
		}
	}
	if t.elsewhere != nil {
		o, ok := t.lookedUp[d]
		if !ok {
			o = t.elsewhere(d)
			t.lookedUp[d] = o
		}
		if o != "" {
			return o
		}
	}
	return t.label
}

// wrap runs fn as a synthetic progress vertex named name, opened before
// and closed after it with its error (buildx's progress.Wrap): the one way
// weld's own work (checks, exports, commands) shows in the display. fn
// writes its output to the vertex; a failure while ctx is done shows as
// canceled.
func (t *tracker) wrap(ctx context.Context, name string, fn func(v *vertex) error) error {
	v := t.vertex(name)
	err := fn(v)
	if err != nil && context.Cause(ctx) != nil {
		v.complete(context.Canceled) // another step failed; this one did not
		return err
	}
	v.complete(err)
	return err
}

// vertex is a synthetic progress vertex for weld's own work (commands, tests,
// exports), shown in the same display as BuildKit's.
type vertex struct {
	t       *tracker
	v       *client.Vertex
	mu      sync.Mutex
	buf     bytes.Buffer
	created time.Time
}

func (t *tracker) vertex(name string) *vertex {
	now := time.Now()
	v := &client.Vertex{
		Digest:  digest.FromString(t.label + "\x00" + name + "\x00" + now.String()),
		Name:    "[" + t.label + "] " + name,
		Started: &now,
	}
	t.sink(&client.SolveStatus{Vertexes: []*client.Vertex{v}})
	return &vertex{t: t, v: v, created: now}
}

// Write implements io.Writer: the output becomes the vertex's log.
func (v *vertex) Write(p []byte) (int, error) {
	v.mu.Lock()
	v.buf.Write(p)
	v.mu.Unlock()
	v.t.sink(&client.SolveStatus{Logs: []*client.VertexLog{{
		Vertex: v.v.Digest, Stream: 1, Data: append([]byte(nil), p...), Timestamp: time.Now(),
	}}})
	return len(p), nil
}

// Close implements io.Closer; the process's streams are closed by BuildKit.
func (v *vertex) Close() error { return nil }

// output returns everything written so far.
func (v *vertex) output() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.buf.String()
}

// complete marks the vertex done, with err when it failed.
func (v *vertex) complete(err error) {
	now := time.Now()
	done := *v.v
	done.Completed = &now
	switch {
	case errors.Is(err, context.Canceled):
		done.Error = context.Canceled.Error() // shown as CANCELED, not as an error
	case err != nil:
		done.Error = err.Error()
	}
	v.t.sink(&client.SolveStatus{Vertexes: []*client.Vertex{&done}})
}

// helperBuild runs a helper session of a step (an export of its image or
// artifacts, a lint subrequest): its progress goes to the step's display,
// and it returns only once that progress is drained.
func (t *tracker) helperBuild(ctx context.Context, s Solver, opt client.SolveOpt, fn gateway.BuildFunc) error {
	ch := make(chan *client.SolveStatus)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		t.drain(ch, false)
	}()
	_, err := s.Build(ctx, opt, "weld", fn, ch)
	<-drained
	return err
}

// dedupe wraps a progress sink so that what several sessions report about
// a vertex they share (a dependency each of them re-solves) reaches it once:
// updates that repeat a state or a log line already sent are dropped. It
// also serialises the calls.
func dedupe(sink func(*client.SolveStatus)) func(*client.SolveStatus) {
	var mu sync.Mutex
	seen := map[string]bool{}
	first := func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return true
	}
	return func(s *client.SolveStatus) {
		mu.Lock()
		defer mu.Unlock()
		out := &client.SolveStatus{}
		for _, v := range s.Vertexes {
			if first(fmt.Sprintf("v %s %t %t %t %s %s", v.Digest, v.Started != nil, v.Completed != nil, v.Cached, v.Error, v.Name)) {
				out.Vertexes = append(out.Vertexes, v)
			}
		}
		for _, st := range s.Statuses {
			if first(fmt.Sprintf("s %s %s %d %d %t", st.Vertex, st.ID, st.Current, st.Total, st.Completed != nil)) {
				out.Statuses = append(out.Statuses, st)
			}
		}
		for _, l := range s.Logs {
			h := fnv.New64a()
			h.Write(l.Data)
			if first(fmt.Sprintf("l %s %d %d %x", l.Vertex, l.Stream, l.Timestamp.UnixNano(), h.Sum64())) {
				out.Logs = append(out.Logs, l)
			}
		}
		for _, w := range s.Warnings {
			if first(fmt.Sprintf("w %s %s", w.Vertex, w.Short)) {
				out.Warnings = append(out.Warnings, w)
			}
		}
		if len(out.Vertexes)+len(out.Statuses)+len(out.Logs)+len(out.Warnings) > 0 {
			sink(out)
		}
	}
}
