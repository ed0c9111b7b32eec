package serve

import (
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/report"
)

// progressEmitter turns the library's events and BuildKit status updates
// (already redacted by the library) into the stream's events. The library
// calls the progress sink one call at a time.
type progressEmitter struct {
	emit     Emitter
	warnings report.Warnings // the run's warnings, for the report

	names   map[digest.Digest]string
	started map[digest.Digest]bool
	ended   map[digest.Digest]bool
}

func newProgressEmitter(emit Emitter) *progressEmitter {
	return &progressEmitter{emit: emit, names: map[digest.Digest]string{},
		started: map[digest.Digest]bool{}, ended: map[digest.Digest]bool{}}
}

// stepEvent is a builder.Event in the stream.
type stepEvent struct {
	Time    time.Time `json:"time"`
	Step    string    `json:"step,omitempty"`
	Type    string    `json:"type"`
	Message string    `json:"message,omitempty"`
	Error   string    `json:"error,omitempty"`
	// Rule and Source are a warning's check and Dockerfile FILE:LINE.
	Rule   string `json:"rule,omitempty"`
	Source string `json:"source,omitempty"`
}

func (p *progressEmitter) event(e builder.Event) {
	se := stepEvent{Time: e.Time, Step: e.Step, Type: string(e.Type), Message: e.Message, Rule: e.Rule, Source: e.Source}
	if e.Err != nil {
		se.Error = e.Err.Error()
	}
	p.warnings.Event(e)
	p.emit(EventStep, se)
}

// findings are the run's warnings so far.
func (p *progressEmitter) findings() []report.Finding { return p.warnings.Findings() }

// vertexEvent is a vertex that started or completed.
type vertexEvent struct {
	Name   string `json:"name"`
	State  string `json:"state"` // started or completed
	Cached bool   `json:"cached,omitempty"`
	Error  string `json:"error,omitempty"`
}

// logEvent is a vertex's output.
type logEvent struct {
	Vertex string `json:"vertex"`
	Stream int    `json:"stream"`
	Data   string `json:"data"`
}

func (p *progressEmitter) progress(st *client.SolveStatus) {
	for _, v := range st.Vertexes {
		p.names[v.Digest] = v.Name
		if v.Started != nil && !p.started[v.Digest] {
			p.started[v.Digest] = true
			p.emit(EventVertex, vertexEvent{Name: v.Name, State: "started", Cached: v.Cached})
		}
		if v.Completed != nil && !p.ended[v.Digest] {
			p.ended[v.Digest] = true
			p.emit(EventVertex, vertexEvent{Name: v.Name, State: "completed", Cached: v.Cached, Error: v.Error})
		}
	}
	for _, l := range st.Logs {
		p.emit(EventLog, logEvent{Vertex: p.names[l.Vertex], Stream: l.Stream, Data: string(l.Data)})
	}
}
