package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/buildflags"
	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/serve"
)

func init() { subcommands = append(subcommands, newServeCmd) }

// serveOptions are weld serve's flags: the service's own and the build
// flags it imposes on every build.
type serveOptions struct {
	listen, tokens, state, secrets, policyFile string
	tlsCert, tlsKey                            string
	pool                                       poolOptions // --addr, --builders, --staging (build_pool.go)
	images, outputs                            []string
	push                                       bool
	maxBuilds, queue, tenantMax                int
	drainTimeout                               time.Duration
	limits                                     serve.Limits
	signPasswordFile                           string // --sign-password-file
}

func newServeCmd(o *rootOptions) *cobra.Command {
	so := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve --tokens FILE --state DIR [flags]",
		Short: "Run weld as an HTTP build service (see the README's \"weld serve\")",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := so.config()
			if err != nil {
				return err
			}
			srv, err := serve.New(cfg)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", so.listen)
			if err != nil {
				return err
			}
			o.log.Info("serving", "listen", ln.Addr().String(), "state", so.state)
			return so.serve(cmd.Context(), o, srv, ln)
		},
	}
	f := cmd.Flags()
	f.StringVar(&so.listen, "listen", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&so.tokens, "tokens", "", "file of TOKEN TENANT lines; every /v1 call needs one of the tokens")
	f.StringVar(&so.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	f.StringVar(&so.tlsKey, "tls-key", "", "the key of --tls-cert (PEM)")
	f.StringVar(&so.state, "state", "", "folder of build records, event logs and work folders")
	f.StringVar(&so.secrets, "secrets", "", "file of TENANT ID file:PATH|env:VAR lines: the only secrets builds get")
	f.StringVar(&so.policyFile, "policy", "", "the server's policy; a project's weld.policy.yml can only tighten it")
	f.StringVar(&so.signPasswordFile, "sign-password-file", "", "read the password of the policy's encrypted sign: key from this `FILE` (default $COSIGN_PASSWORD); checked at start")
	addPoolFlags(f, &so.pool) // as weld build's: every build runs on the pool
	f.StringArrayVar(&so.images, "image", nil, "replace a base image in every build: REF=SOURCE (repeatable)")
	f.StringArrayVarP(&so.outputs, "output", "o", nil, "where every build's images go: oci:DIR (DIR/TENANT/ID/STEP)")
	f.BoolVar(&so.push, "push", false, "push every build's published images to the registry in their names")
	f.IntVar(&so.maxBuilds, "max-builds", 2, "builds running at once")
	f.IntVar(&so.queue, "queue", 16, "builds waiting for a slot; past it, 429")
	f.IntVar(&so.tenantMax, "tenant-max-builds", 0, "builds one tenant may have running and queued; past it, 429 (0: only the server's limits); slots go round-robin across tenants")
	f.DurationVar(&so.drainTimeout, "drain-timeout", 5*time.Minute, "on SIGTERM, how long running builds may finish before they are canceled")
	f.Int64Var(&so.limits.Bytes, "max-upload", serve.DefaultLimits.Bytes, "bytes an upload may unpack to")
	f.IntVar(&so.limits.Entries, "max-entries", serve.DefaultLimits.Entries, "entries an upload may hold")
	return cmd
}

// serve answers on ln until ctx ends, then drains: no new builds, the
// running ones get --drain-timeout, then the listener closes.
func (so *serveOptions) serve(ctx context.Context, o *rootOptions, srv *serve.Server, ln net.Listener) error {
	extendSignalGrace(so.drainTimeout + 30*time.Second) // signals.go: time to drain
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() {
		if so.tlsCert != "" {
			errc <- hs.ServeTLS(ln, so.tlsCert, so.tlsKey)
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	o.log.Info("draining", "timeout", so.drainTimeout)
	dctx, cancel := context.WithTimeout(context.Background(), so.drainTimeout)
	defer cancel()
	srv.Drain(dctx)
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// config reads the tokens, secrets and policy files and the build flags.
func (so *serveOptions) config() (serve.Config, error) {
	if so.tokens == "" || so.state == "" {
		return serve.Config{}, fmt.Errorf("%w: weld serve needs --tokens FILE and --state DIR", errBadInput)
	}
	if (so.tlsCert == "") != (so.tlsKey == "") {
		return serve.Config{}, fmt.Errorf("%w: give --tls-cert and --tls-key together", errBadInput)
	}
	dt, err := boundedio.ReadFile(so.tokens, 1<<20)
	if err != nil {
		return serve.Config{}, fmt.Errorf("%w: --tokens: %w", errBadInput, err)
	}
	toks, err := serve.ParseTokens(so.tokens, dt)
	if err != nil {
		return serve.Config{}, fmt.Errorf("%w: %w", errBadInput, err)
	}
	bc, err := so.builderConfig()
	if err != nil {
		return serve.Config{}, err
	}
	return serve.Config{StateDir: so.state, Tokens: toks, Runner: serve.NewBuilderRunner(bc),
		MaxBuilds: so.maxBuilds, Queue: so.queue, TenantMaxBuilds: so.tenantMax, Limits: so.limits}, nil
}

// builderConfig maps the build flags to what every build gets.
func (so *serveOptions) builderConfig() (serve.BuilderConfig, error) {
	bc := serve.BuilderConfig{StateDir: so.state}
	var err error
	if bc.Connect, bc.Pool, bc.Staging, err = so.pool.serveDaemons(); err != nil {
		return bc, err
	}
	if bc.Images, err = buildflags.ParseImages(so.images); err != nil {
		return bc, err
	}
	if bc.Outputs, err = buildflags.ParseOutputs(so.outputs, so.push, false); err != nil {
		return bc, err
	}
	if so.policyFile != "" {
		if bc.Policy, err = policy.Find(so.policyFile, ""); err != nil {
			return bc, fmt.Errorf("%w: %w", errBadInput, err)
		}
	}
	if so.secrets != "" {
		dt, err := boundedio.ReadFile(so.secrets, 1<<20)
		if err != nil {
			return bc, fmt.Errorf("%w: --secrets: %w", errBadInput, err)
		}
		if bc.Secrets, err = serve.ParseSecretMap(so.secrets, dt); err != nil {
			return bc, fmt.Errorf("%w: %w", errBadInput, err)
		}
	}
	pw, err := builder.ReadSignPassword(so.signPasswordFile)
	if err != nil {
		return bc, err
	}
	if err := builder.CheckSignKeys(bc.Policy, pw); err != nil {
		return bc, err // ErrInvalid: exit 2, before serving
	}
	bc.Options = []builder.Option{builder.WithRegistryAuth(builder.DockerAuth(io.Discard)), builder.WithSignPassword(pw)}
	return bc, nil
}
