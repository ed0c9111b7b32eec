package display

import (
	"context"
	"fmt"
	"io"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"

	"github.com/weld-build/weld/builder"
)

// Modes are the progress display's modes, as buildx's --progress.
var Modes = []string{"auto", "tty", "plain", "rawjson", "quiet"}

// CheckMode checks a progress mode; a mode that is not one of Modes is an
// error that matches builder.ErrInvalid.
func CheckMode(mode string) error {
	for _, m := range Modes {
		if m == mode {
			return nil
		}
	}
	return fmt.Errorf("%w: --progress %q: use auto, tty, plain, rawjson or quiet", builder.ErrInvalid, mode)
}

// Progress feeds every step's status stream (already merged and
// de-duplicated by the builder) into one BuildKit display.
type Progress struct {
	ch   chan *client.SolveStatus
	done chan struct{}
}

// NewProgress starts the display on out (a mode it does not know is plain).
// It has its own context, so that it can finish printing a failure after
// the build's context was canceled.
func NewProgress(out io.Writer, mode string) *Progress {
	p := &Progress{ch: make(chan *client.SolveStatus, 64), done: make(chan struct{})}
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

// Write shows s; pass it to builder.WithProgress.
func (p *Progress) Write(s *client.SolveStatus) { p.ch <- s }

// Wait closes the stream and waits until the display has printed it all.
func (p *Progress) Wait() {
	close(p.ch)
	<-p.done
}
