package builder

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/moby/buildkit/client"
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer" // docker-container:// addresses
)

// ConnectOptions say which BuildKit daemon to use.
type ConnectOptions struct {
	// Addr is unix://, tcp:// or docker-container://. Empty means
	// $BUILDKIT_HOST, and when that is unset too, weld's own local daemon,
	// started on demand.
	Addr string
	// TLS files for tcp:// addresses.
	TLSCACert, TLSCert, TLSKey, TLSServerName string
}

// Connect returns a client of the daemon o names, starting weld's local
// daemon when no address is given. It checks that the daemon answers.
func Connect(ctx context.Context, o ConnectOptions) (*Client, error) {
	addr := o.Addr
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	if addr == "" {
		d, err := LocalDaemon()
		if err != nil {
			return nil, err
		}
		if err := d.Start(ctx); err != nil {
			return nil, err
		}
		addr = d.Addr()
	}
	var opts []client.ClientOpt
	if o.TLSCACert != "" {
		opts = append(opts, client.WithServerConfig(o.TLSServerName, o.TLSCACert))
	}
	if o.TLSCert != "" || o.TLSKey != "" {
		opts = append(opts, client.WithCredentials(o.TLSCert, o.TLSKey))
	}
	c, err := client.New(ctx, addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to BuildKit at %s: %w", addr, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ws, err := c.ListWorkers(pctx)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("connecting to BuildKit at %s: %w (is buildkitd running there? unset BUILDKIT_HOST and --addr to let weld start its own)", addr, err)
	}
	return &Client{Client: c, addr: addr, workers: ws}, nil
}
