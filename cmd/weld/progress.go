package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"

	"github.com/weld-build/weld/builder"
)

func validProgress(mode string) bool {
	switch mode {
	case "auto", "tty", "plain", "rawjson", "quiet":
		return true
	}
	return false
}

// progress fans every step's status stream into one BuildKit display. A
// vertex that several sessions share (a dependency each of them re-solves)
// reaches it once: updates that repeat a state or a log line already shown
// are dropped.
type progress struct {
	ch   chan *client.SolveStatus
	done chan struct{}

	mu   sync.Mutex
	seen map[string]bool
}

// newProgress starts the display. It has its own context, so that it can
// finish printing a failure after the build's context was canceled.
func newProgress(_ context.Context, out io.Writer, mode string) *progress {
	p := &progress{ch: make(chan *client.SolveStatus, 64), done: make(chan struct{}), seen: map[string]bool{}}
	d, err := progressui.NewDisplay(out, progressui.DisplayMode(mode))
	if err != nil {
		d, _ = progressui.NewDisplay(out, progressui.PlainMode)
	}
	go func() {
		defer close(p.done)
		_, _ = d.UpdateFrom(context.Background(), p.ch)
	}()
	return p
}

func (p *progress) write(s *client.SolveStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := &client.SolveStatus{}
	for _, v := range s.Vertexes {
		if p.first(fmt.Sprintf("v %s %t %t %t %s", v.Digest, v.Started != nil, v.Completed != nil, v.Cached, v.Error)) {
			out.Vertexes = append(out.Vertexes, v)
		}
	}
	for _, st := range s.Statuses {
		if p.first(fmt.Sprintf("s %s %s %d %d %t", st.Vertex, st.ID, st.Current, st.Total, st.Completed != nil)) {
			out.Statuses = append(out.Statuses, st)
		}
	}
	for _, l := range s.Logs {
		h := fnv.New64a()
		h.Write(l.Data)
		if p.first(fmt.Sprintf("l %s %d %d %x", l.Vertex, l.Stream, l.Timestamp.UnixNano(), h.Sum64())) {
			out.Logs = append(out.Logs, l)
		}
	}
	for _, w := range s.Warnings {
		if p.first(fmt.Sprintf("w %s %s", w.Vertex, w.Short)) {
			out.Warnings = append(out.Warnings, w)
		}
	}
	if len(out.Vertexes)+len(out.Statuses)+len(out.Logs)+len(out.Warnings) > 0 {
		p.ch <- out
	}
}

// first reports whether key is new, and remembers it.
func (p *progress) first(key string) bool {
	if p.seen[key] {
		return false
	}
	p.seen[key] = true
	return true
}

// wait closes the stream and waits until the display has printed it all.
func (p *progress) wait() {
	close(p.ch)
	<-p.done
}

func logEvent(o *rootOptions, e builder.Event) {
	switch e.Type {
	case builder.EventPublished:
		o.log.Info("published", "step", e.Step, "digest", e.Message)
	case builder.EventWarning:
		o.log.Warn(e.Message, "step", e.Step)
	default:
		o.log.Debug(string(e.Type), "step", e.Step)
	}
}

// printSummary prints the closing summary: every step's outcome and, last,
// each failure with its Dockerfile line and the tail of its output.
func printSummary(w io.Writer, res *builder.Result, err error) {
	if res == nil {
		return
	}
	fmt.Fprintln(w)
	for _, s := range res.Steps {
		line := fmt.Sprintf("  %-20s %-18s %6.1fs  %d/%d cached", s.Label, s.Status, timeSeconds(s.Duration), s.CachedVertices, s.Vertices)
		if s.Digest != "" {
			line += "  " + s.Digest
		}
		for _, o := range s.Outputs {
			line += "  → " + o
		}
		fmt.Fprintln(w, line)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "\nINTERRUPTED: every solve was canceled; nothing was published")
		return
	}
	var pf *builder.PublishFailure
	if errors.As(err, &pf) {
		fmt.Fprintf(w, "\nFAILED: %v\n", pf)
		return
	}
	var be *builder.BuildError
	if !errors.As(err, &be) {
		return
	}
	for _, f := range be.Failed {
		fmt.Fprintf(w, "\nFAILED: %v\n", f)
		var se *builder.StepError
		if errors.As(f, &se) && len(se.Tail) > 0 {
			fmt.Fprintln(w, "  "+strings.Join(se.Tail, "\n  "))
		}
	}
}

func timeSeconds(d builder.Duration) float64 { return float64(d) / 1e9 }
