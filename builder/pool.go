package builder

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/moby/buildkit/client"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"         // kube-pod:// addresses
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer" // podman-container:// addresses
	_ "github.com/moby/buildkit/client/connhelper/ssh"             // ssh:// addresses
	gateway "github.com/moby/buildkit/frontend/gateway/client"
)

// PoolMember is one daemon of a Pool.
type PoolMember struct {
	// Connect names the daemon (an address is required) and its TLS files.
	Connect ConnectOptions
	// Capacity is how many steps it runs at once (1 when 0).
	Capacity int
	// Platforms are the platforms it runs natively (the builders file's
	// platforms:); empty: those its workers say (poolplatforms.go).
	Platforms []string
}

// Pool is a set of BuildKit daemons that one build spreads over: each
// step runs on one of them, placed by critical path and cache affinity
// (fleet.go), and a dependency built on another daemon is handed over by
// digest through the staging registry (WithStaging). Connect leaves out a
// daemon that does not answer; a Pool whose one daemon answers builds as
// a single client would. As a Solver, it builds on its first live daemon.
type Pool struct {
	members []PoolMember
	mu      sync.Mutex
	tried   bool
	live    []*poolDaemon
	left    []error // the daemons that did not answer at Connect
}

// poolDaemon is a daemon of the pool that answered.
type poolDaemon struct {
	*Client
	name     string // as results and messages show it (Pool.Names)
	capacity int
	native   []string // the platforms it runs natively (poolplatforms.go)
	runs     []string // the others it runs, under emulation
	lost     bool     // it stopped answering mid-build (guarded by the pool's mu)
}

var _ Solver = (*Pool)(nil)

// NewPool returns a Pool of the members, not yet connected.
func NewPool(members ...PoolMember) (*Pool, error) {
	if len(members) == 0 {
		return nil, errors.New("builder.NewPool: name at least one daemon")
	}
	seen := map[string]bool{}
	for _, m := range members {
		if m.Connect.Addr == "" {
			return nil, errors.New("builder.NewPool: every member needs an address")
		}
		if seen[m.Connect.Addr] {
			return nil, fmt.Errorf("builder.NewPool: %s is named twice", m.Connect.Addr)
		}
		seen[m.Connect.Addr] = true
	}
	return &Pool{members: members}, nil
}

// ErrNoDaemon says that no daemon of a pool answered.
var ErrNoDaemon = errors.New("no BuildKit daemon of the pool answered")

// Connect connects to every member at once, once, and returns the first
// that answered. One that does not answer is left out (Left says why);
// when none answers the error names each.
func (p *Pool) Connect(ctx context.Context) (*Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tried {
		p.tried = true
		p.connectAll(ctx)
	}
	if len(p.live) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrNoDaemon, errors.Join(p.left...))
	}
	return p.live[0].Client, nil
}

func (p *Pool) connectAll(ctx context.Context) {
	clients := make([]*Client, len(p.members))
	errs := make([]error, len(p.members))
	var wg sync.WaitGroup
	for i, m := range p.members {
		wg.Go(func() { clients[i], errs[i] = Connect(ctx, m.Connect) })
	}
	wg.Wait()
	for i, m := range p.members {
		if errs[i] != nil {
			p.left = append(p.left, errs[i])
			continue
		}
		d := &poolDaemon{Client: clients[i], name: p.Names()[i], capacity: max(m.Capacity, 1)}
		d.native, d.runs = memberPlatforms(m, clients[i].workers)
		p.live = append(p.live, d)
	}
}

// Names are the members' addresses as results and messages show them
// (RedactAddr), in the order of NewPool; where two would show alike (two
// unix sockets of one name), each is followed by #N, its place in the pool.
func (p *Pool) Names() []string {
	shown := make([]string, len(p.members))
	count := map[string]int{}
	for i, m := range p.members {
		shown[i] = RedactAddr(m.Connect.Addr)
		count[shown[i]]++
	}
	for i := range shown {
		if count[shown[i]] > 1 {
			shown[i] += fmt.Sprintf("#%d", i+1)
		}
	}
	return shown
}

// Left returns why each daemon that did not answer at Connect was left out.
func (p *Pool) Left() []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]error(nil), p.left...)
}

// daemons are the daemons that answered at Connect.
func (p *Pool) daemons() []*poolDaemon {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live
}

// Build implements Solver on the first live daemon.
func (p *Pool) Build(ctx context.Context, opt client.SolveOpt, product string, fn gateway.BuildFunc, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	c, err := p.Connect(ctx)
	if err != nil {
		if ch != nil {
			close(ch)
		}
		return nil, err
	}
	return c.Build(ctx, opt, product, fn, ch)
}

// Close closes every connection.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, d := range p.live {
		errs = append(errs, d.Close())
	}
	p.live, p.tried = nil, false
	return errors.Join(errs...)
}
