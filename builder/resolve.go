package builder

import (
	"context"
	"fmt"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
)

// ResolveDigest asks the daemon for the manifest digest ref points to now
// (ResolveImageConfig in a gateway build; the daemon reaches the registry
// with the credentials of opts' WithRegistryAuth). It is how the policy's
// pin_digests resolves bases that are not replaced by an OCI layout.
func ResolveDigest(ctx context.Context, s Solver, ref string, opts ...Option) (digest.Digest, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return "", err
	}
	return resolveDigest(ctx, s, o, ref)
}

func resolveDigest(ctx context.Context, s Solver, o *options, ref string) (digest.Digest, error) {
	var dgst digest.Digest
	so := client.SolveOpt{Internal: o.internal()}
	so.SourcePolicy, so.SourcePolicyProvider = sessionPolicy(o, &baseImages{}, nil)
	if o.auth != nil {
		so.Session = append(so.Session, o.auth)
	}
	_, err := s.Build(ctx, so, "weld", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		_, d, _, err := c.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
			LogName:  "[weld] resolving " + ref,
			ImageOpt: &sourceresolver.ResolveImageOpt{ResolveMode: "pull"},
		})
		dgst = d
		return gateway.NewResult(), err
	}, nil)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", ref, err)
	}
	return dgst, nil
}
