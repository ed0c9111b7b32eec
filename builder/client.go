package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/util/grpcerrors"
	"google.golang.org/grpc/codes"
)

// Client is a connection to one BuildKit daemon, as Connect returns it. It
// is a Solver whose errors name the daemon when the connection to it is
// lost, so a build on a daemon that died says which one.
type Client struct {
	*client.Client
	addr    string
	workers []*client.WorkerInfo // as they answered Connect (poolplatforms.go)
}

var _ Solver = (*Client)(nil)

// Addr is the daemon's address.
func (c *Client) Addr() string { return c.addr }

// Build implements Solver.
func (c *Client) Build(ctx context.Context, opt client.SolveOpt, product string, fn gateway.BuildFunc, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	resp, err := c.Client.Build(ctx, opt, product, fn, ch)
	if err != nil && context.Cause(ctx) == nil && lostDaemon(err) {
		err = &DaemonError{Addr: c.addr, Err: err}
	}
	return resp, err
}

// ErrDaemonLost marks a build whose BuildKit daemon stopped answering.
var ErrDaemonLost = errors.New("lost the connection to the BuildKit daemon")

// DaemonError is a failure of the daemon itself, not of the build: it went
// away or stopped answering mid-build.
type DaemonError struct {
	// Addr is the daemon's address.
	Addr string
	// Err is what the client saw.
	Err error
}

// Error implements error.
func (e *DaemonError) Error() string {
	return fmt.Sprintf("%v at %s (did buildkitd stop or crash? check its log): %v", ErrDaemonLost, e.Addr, e.Err)
}

// Unwrap returns the cause and ErrDaemonLost.
func (e *DaemonError) Unwrap() []error { return []error{ErrDaemonLost, e.Err} }

// lostDaemon reports whether err says the daemon went away: gRPC's
// Unavailable, which is what a closed connection or a dead socket gives.
func lostDaemon(err error) bool {
	if errors.As(err, new(*DaemonError)) {
		return false
	}
	return grpcerrors.Code(err) == codes.Unavailable
}
