package builder

import (
	"context"
	"sync"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
)

// LazyClient is a Solver that connects to its daemon (see Connect) when it
// is first needed. Run connects it once its checks have passed, so a build
// that the policy refuses never contacts a daemon (nor starts weld's own).
type LazyClient struct {
	o  ConnectOptions
	mu sync.Mutex
	c  *Client
}

var _ Solver = (*LazyClient)(nil)

// ConnectLazily returns a LazyClient of the daemon o names.
func ConnectLazily(o ConnectOptions) *LazyClient { return &LazyClient{o: o} }

// Connect connects to the daemon, once: later calls return the same
// client. A failed attempt is tried again by the next call.
func (l *LazyClient) Connect(ctx context.Context) (*Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c != nil {
		return l.c, nil
	}
	c, err := Connect(ctx, l.o)
	if err != nil {
		return nil, err
	}
	l.c = c
	return c, nil
}

// Build implements Solver.
func (l *LazyClient) Build(ctx context.Context, opt client.SolveOpt, product string, fn gateway.BuildFunc, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	c, err := l.Connect(ctx)
	if err != nil {
		if ch != nil {
			close(ch)
		}
		return nil, err
	}
	return c.Build(ctx, opt, product, fn, ch)
}

// Close closes the connection, if there is one.
func (l *LazyClient) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		return nil
	}
	err := l.c.Close()
	l.c = nil
	return err
}

// Addr is the address of the daemon it is connected to, "" before it is.
func (l *LazyClient) Addr() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		return ""
	}
	return l.c.addr
}
