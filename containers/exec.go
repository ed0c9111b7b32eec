package containers

import (
	"context"
	"fmt"
	"time"

	"github.com/weld-build/weld/internal/docker"
)

// MaxOutput is how much of a command's output (its end) a Result keeps.
const MaxOutput = 64 << 10

// Result is what a command did in one container.
type Result struct {
	Container
	// ExitCode is the command's exit code, -1 when it could not run.
	ExitCode int `json:"exit_code"`
	// Output is the end of its stdout and stderr, interleaved.
	Output string `json:"output"`
	// Error says why it could not run, "" when it ran.
	Error string `json:"error,omitempty"`
}

// Failed says whether the command did not run or exited non-zero.
func (r Result) Failed() bool { return r.Error != "" || r.ExitCode != 0 }

// Exec runs cmd in each of cs, one after the other, in no other
// container, and returns what it did in each. A cancelled ctx ends the
// command in flight and skips the others (their Error says so). A timeout
// over 0 bounds each container's command: weld stops waiting for it (the
// engine cannot stop an exec, so it may still run in the container).
func Exec(ctx context.Context, host string, cs []Container, cmd []string, timeout time.Duration) []Result {
	host = docker.Host(host)
	out := make([]Result, 0, len(cs))
	for _, c := range cs {
		r := Result{Container: c, ExitCode: -1}
		if err := context.Cause(ctx); err != nil {
			r.Error = "not run: " + err.Error()
			out = append(out, r)
			continue
		}
		r.ExitCode, r.Output, r.Error = execOne(ctx, host, c.ID, cmd, timeout)
		out = append(out, r)
	}
	return out
}

func execOne(ctx context.Context, host, id string, cmd []string, timeout time.Duration) (int, string, string) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, fmt.Errorf("timed out after %v (the command may still run in the container)", timeout))
		defer cancel()
	}
	var tail tailBuffer
	code, err := docker.Exec(ctx, host, id, cmd, &tail)
	if err == nil {
		return code, string(tail.b), ""
	}
	if c := context.Cause(ctx); c != nil {
		err = c
	}
	return code, string(tail.b), err.Error()
}

// tailBuffer keeps the last MaxOutput bytes written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > MaxOutput {
		t.b = append([]byte(nil), t.b[len(t.b)-MaxOutput:]...)
	}
	return len(p), nil
}
