package builder

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/redact"
)

// WithRedact also redacts values that are not mounted secrets (a build arg
// that holds a token, say) from everything the Builder reports: each shows
// as [secret:NAME]. Values shorter than 6 bytes are not redacted.
func WithRedact(name string, values ...[]byte) Option {
	return func(o *options) error {
		for _, v := range values {
			o.redact = append(o.redact, redact.Secret{ID: name, Value: v})
		}
		return nil
	}
}

// runRedactor knows every value a run serves: the --secret ones, the
// steps' secrets, and those given to WithRedact.
func runRedactor(steps []*dag.Step, perStep map[string]secretStore, global secretStore, extra []redact.Secret) *redact.Redactor {
	var all []redact.Secret
	add := func(s secretStore) {
		for _, id := range slices.Sorted(maps.Keys(s)) {
			all = append(all, redact.Secret{ID: id, Value: s[id]})
		}
	}
	add(global)
	for _, s := range steps {
		add(perStep[s.Label])
	}
	return redact.NewSecrets(append(all, extra...)...)
}

// progressRedactor redacts the statuses on their way to the progress sink:
// vertex names and errors, statuses, warnings, and the logs, each log
// stream of a vertex as one text, so that a value split between two chunks
// is found. What a stream holds back is released when its vertex
// completes, or at close.
type progressRedactor struct {
	red     *redact.Redactor
	sink    func(*client.SolveStatus)
	mu      sync.Mutex
	streams map[logKey]*redact.Stream
}

type logKey struct {
	vertex digest.Digest
	stream int
}

func newProgressRedactor(red *redact.Redactor, sink func(*client.SolveStatus)) *progressRedactor {
	return &progressRedactor{red: red, sink: sink, streams: map[logKey]*redact.Stream{}}
}

// write redacts st and passes it on; st itself is not changed.
func (p *progressRedactor) write(st *client.SolveStatus) {
	if p.red.Empty() {
		p.sink(st)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := &client.SolveStatus{}
	for _, l := range st.Logs {
		k := logKey{l.Vertex, l.Stream}
		s, ok := p.streams[k]
		if !ok {
			s = p.red.Stream()
			p.streams[k] = s
		}
		if dt := s.Write(l.Data); len(dt) > 0 {
			nl := *l
			nl.Data = dt
			out.Logs = append(out.Logs, &nl)
		}
	}
	for _, v := range st.Vertexes {
		nv := *v
		nv.Name, nv.Error = p.red.String(v.Name), p.red.String(v.Error)
		if g := v.ProgressGroup; g != nil {
			nv.ProgressGroup = &pb.ProgressGroup{Id: g.Id, Name: p.red.String(g.Name), Weak: g.Weak}
		}
		out.Vertexes = append(out.Vertexes, &nv)
		if v.Completed != nil {
			out.Logs = append(out.Logs, p.flushLocked(v.Digest, *v.Completed)...)
		}
	}
	for _, s := range st.Statuses {
		ns := *s
		ns.ID, ns.Name = p.red.String(s.ID), p.red.String(s.Name)
		out.Statuses = append(out.Statuses, &ns)
	}
	for _, w := range st.Warnings {
		nw := *w
		nw.Short, nw.URL = p.red.Bytes(w.Short), p.red.String(w.URL)
		nw.Detail = make([][]byte, len(w.Detail))
		for i, d := range w.Detail {
			nw.Detail[i] = p.red.Bytes(d)
		}
		out.Warnings = append(out.Warnings, &nw)
	}
	p.sink(out)
}

// flushLocked releases what the streams of a vertex hold back (all
// vertices' when d is empty); p.mu is held.
func (p *progressRedactor) flushLocked(d digest.Digest, at time.Time) []*client.VertexLog {
	var out []*client.VertexLog
	for _, k := range slices.SortedFunc(maps.Keys(p.streams), func(a, b logKey) int { return a.stream - b.stream }) {
		if d != "" && k.vertex != d {
			continue
		}
		if dt := p.streams[k].Flush(); len(dt) > 0 {
			out = append(out, &client.VertexLog{Vertex: k.vertex, Stream: k.stream, Data: dt, Timestamp: at})
		}
		delete(p.streams, k)
	}
	return out
}

// close releases everything still held back, at the end of a run.
func (p *progressRedactor) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if logs := p.flushLocked("", time.Now()); len(logs) > 0 {
		p.sink(&client.SolveStatus{Logs: logs})
	}
}

// redactErr returns err with its message redacted, and redacts the text
// that weld's own error types in it carry (a StepError's output tail, the
// causes of a BuildError or a PublishFailure), so that what an embedder
// finds with errors.As is redacted too.
func redactErr(red *redact.Redactor, err error) error {
	if err == nil || red.Empty() {
		return err
	}
	redactInside(red, err)
	return red.Error(err)
}

func redactInside(red *redact.Redactor, err error) {
	if redact.Redacted(err) {
		return
	}
	switch e := err.(type) {
	case *StepError:
		e.Tail = red.Strings(e.Tail)
		e.Source = red.String(e.Source)
		e.Err = redactErr(red, e.Err)
		return
	case *PublishError:
		e.Err = redactErr(red, e.Err)
		return
	case *BuildError:
		for i := range e.Failed {
			e.Failed[i] = redactErr(red, e.Failed[i])
		}
		return
	case *PublishFailure:
		for i := range e.NotPublished {
			e.NotPublished[i] = redactErr(red, e.NotPublished[i])
		}
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if in := u.Unwrap(); in != nil {
			redactInside(red, in)
		}
	case interface{ Unwrap() []error }:
		for _, in := range u.Unwrap() {
			redactInside(red, in)
		}
	}
}

// redactResult redacts what the Result says in text, for the metadata
// file and the summary.
func redactResult(red *redact.Redactor, res *Result) {
	if res == nil || red.Empty() {
		return
	}
	for _, s := range res.Steps {
		s.Error, s.Source = red.String(s.Error), red.String(s.Source)
		s.Outputs = red.Strings(s.Outputs)
		for k, v := range s.ExporterResponse {
			s.ExporterResponse[k] = red.String(v)
		}
		for i, g := range s.Gates {
			s.Gates[i].Name, s.Gates[i].Source, s.Gates[i].Message = red.String(g.Name), red.String(g.Source), red.String(g.Message)
		}
		for i, b := range s.Bases {
			s.Bases[i] = BasePin{Ref: red.String(b.Ref), From: red.String(b.From), Source: red.String(b.Source), Digest: b.Digest}
		}
	}
}
