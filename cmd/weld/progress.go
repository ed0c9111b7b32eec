package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

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

// progress feeds every step's status stream (already merged and
// de-duplicated by the builder) into one BuildKit display.
type progress struct {
	ch   chan *client.SolveStatus
	done chan struct{}
}

// newProgress starts the display. It has its own context, so that it can
// finish printing a failure after the build's context was canceled.
func newProgress(_ context.Context, out io.Writer, mode string) *progress {
	p := &progress{ch: make(chan *client.SolveStatus, 64), done: make(chan struct{})}
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

func (p *progress) write(s *client.SolveStatus) { p.ch <- s }

// wait closes the stream and waits until the display has printed it all.
func (p *progress) wait() {
	close(p.ch)
	<-p.done
}

func logEvent(o *rootOptions, e builder.Event) {
	switch e.Type {
	case builder.EventPublished:
		o.log.Info("published", "step", e.Step, "digest", e.Message)
	case builder.EventWarning, builder.EventInfo:
		var kv []any // the checks' messages name their step already
		if e.Step != "" && !strings.Contains(e.Message, "step "+e.Step+":") {
			kv = []any{"step", e.Step}
		}
		if e.Type == builder.EventInfo {
			o.log.Info(e.Message, kv...)
			return
		}
		o.log.Warn(e.Message, kv...)
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
	pooled := onSeveralDaemons(res)
	for _, s := range res.Steps {
		line := fmt.Sprintf("  %-20s %-20s %6.1fs  %d/%d cached", s.Label, s.Status, timeSeconds(s.Duration), s.CachedVertices, s.Vertices)
		if pooled && s.Daemon != "" {
			line += "  on " + s.Daemon
		}
		if s.Digest != "" {
			line += "  " + s.Digest
		}
		if s.Unchanged {
			line += "  unchanged"
		}
		for _, o := range s.Outputs {
			line += "  → " + o
		}
		fmt.Fprintln(w, line)
		for _, p := range s.Platforms {
			fmt.Fprintf(w, "  %-20s %-20s %s\n", "", p.Platform, p.Digest)
		}
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

// onSeveralDaemons reports whether the steps ran on more than one daemon
// (a pool): the summary then says where each ran.
func onSeveralDaemons(res *builder.Result) bool {
	seen := map[string]bool{}
	for _, s := range res.Steps {
		if s.Daemon != "" {
			seen[s.Daemon] = true
		}
	}
	return len(seen) > 1
}

func timeSeconds(d builder.Duration) float64 { return float64(d) / 1e9 }
