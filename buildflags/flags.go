package buildflags

import (
	"context"
	"fmt"
	"io"

	"github.com/charmbracelet/log"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/display"
)

// Flags are weld build's flag values, as given; names follow buildx where
// buildx has the same flag.
type Flags struct {
	// File finds and reads the build file (-f, -d, --env, --allow, --platform).
	File
	// Policy is the policy file (--policy); "" is the work dir's weld.policy.yml, if any.
	Policy string
	// AffectedByBase builds exactly the steps built on this base and their dependents.
	AffectedByBase string
	// Connect is the TLS of a tcp:// daemon (--tlscacert, --tlscert, --tlskey, --tlsservername).
	Connect builder.ConnectOptions
	// Addrs are the daemons (--addr, repeated for a pool); Builders is a pool's file.
	Addrs    []string
	Builders string
	// Staging is the registry through which a pool's daemons hand results over.
	Staging string
	// Jobs is how many steps solve at once (0: no limit).
	Jobs int
	// KeepGoing lets independent steps finish after a failure; NoCache uses no cache.
	KeepGoing, NoCache bool
	// BuildArgs are --build K=V; Secrets --secret; SSH --ssh; Images --image REF=SOURCE.
	BuildArgs, Secrets, SSH, Images []string
	// Outputs are --output; Push and Load add the registry and the Docker engine.
	Outputs    []string
	Push, Load bool
	// CacheTo and CacheFrom are --cache-to and --cache-from.
	CacheTo, CacheFrom []string
	// MetadataFile is --metadata-file; Report is --report FILE.html|FILE.json.
	MetadataFile, Report string
	// ArtifactsDir is --artifacts-dir; AfterBuild runs the after_build_commands.
	ArtifactsDir string
	AfterBuild   bool
	// Progress is the display mode (display.Modes); Provenance min, max or none.
	Progress, Provenance string
	// Reproducible, SBOM and BuildHistory are --reproducible, --sbom and
	// --build-history.
	Reproducible, SBOM, BuildHistory bool
	// SecretCacheKey is the key file of the secrets' hash in cache keys.
	SecretCacheKey string
	// SignKeys are --sign-key files; SignPasswordFile holds their password
	// (default $COSIGN_PASSWORD).
	SignKeys         []string
	SignPasswordFile string
}

// Daemons are the daemons the flags name (builder.Daemons: the pool file,
// the Solver).
func (f *Flags) Daemons() builder.Daemons {
	return builder.Daemons{Connect: f.Connect, Addrs: f.Addrs, BuildersFile: f.Builders}
}

// Options checks the flags and maps them to the builder options of in's
// build; l gets the builder's log and its events (display.LogEvent). Its
// errors are redacted with in.Redactor.
func (f *Flags) Options(ctx context.Context, in *Input, l *log.Logger) ([]builder.Option, error) {
	opts, err := f.options(ctx, in, l)
	return opts, in.Redactor.Error(err)
}

func (f *Flags) options(ctx context.Context, in *Input, l *log.Logger) ([]builder.Option, error) {
	args, err := ParseEnv("--build", f.BuildArgs)
	if err != nil {
		return nil, err
	}
	images, err := ParseImages(f.Images)
	if err != nil {
		return nil, err
	}
	secrets, err := ParseSecrets(f.Secrets)
	if err != nil {
		return nil, err
	}
	var secretKey []byte // nil: the machine's own
	if f.SecretCacheKey != "" {
		if secretKey, err = builder.ReadSecretCacheKey(f.SecretCacheKey); err != nil {
			return nil, fmt.Errorf("--secret-cache-key: %w", err)
		}
	}
	opts, err := f.outputOptions(ctx, in.Plan, l)
	if err != nil {
		return nil, err
	}
	signing, err := f.signOptions()
	if err != nil {
		return nil, err
	}
	return append(append(opts, signing...),
		builder.WithLogger(l),
		builder.WithJobs(f.Jobs),
		builder.WithStaging(f.Staging),
		builder.WithKeepGoing(f.KeepGoing),
		builder.WithNoCache(f.NoCache),
		builder.WithBuildArgs(args),
		builder.WithSecrets(secrets...),
		builder.WithSSH(f.SSH...),
		builder.WithImages(images),
		builder.WithRegistryAuth(builder.DockerAuth(io.Discard)),
		builder.WithArtifactsDir(f.ArtifactsDir),
		builder.WithOwnFiles(f.MetadataFile, f.Report),
		builder.WithAfterBuildCommands(f.AfterBuild),
		builder.WithSecretCacheKey(secretKey),
		builder.WithPolicy(in.Policy),
		builder.WithReproducible(f.Reproducible),
		builder.WithSBOM(f.SBOM),
		builder.WithBuildHistory(f.BuildHistory),
		builder.WithEvents(func(e builder.Event) { display.LogEvent(l, e); in.event(e) }),
	), nil
}

// outputOptions are the outputs, cache exports and imports and provenance
// the flags ask for; without --output, --push or --load, the default output.
func (f *Flags) outputOptions(ctx context.Context, p *dag.Plan, l *log.Logger) ([]builder.Option, error) {
	outs, err := ParseOutputs(f.Outputs, f.Push, f.Load)
	if err != nil {
		return nil, err
	}
	cacheTo, err := ParseCacheTo(f.CacheTo)
	if err != nil {
		return nil, err
	}
	cacheFrom, err := ParseCacheFrom(f.CacheFrom)
	if err != nil {
		return nil, err
	}
	if err := display.CheckMode(f.Progress); err != nil {
		return nil, err
	}
	if len(outs) == 0 {
		if outs, err = builder.WorkDirOutputs(ctx, p.Build().WorkDir); err != nil {
			return nil, err
		}
		if publishesAny(p) {
			l.Info("no --output, --push or --load given: publishing to " + outs[0].String())
		}
	}
	return []builder.Option{builder.WithOutputs(outs...), builder.WithCacheTo(cacheTo...),
		builder.WithCacheFrom(cacheFrom...), builder.WithProvenance(f.Provenance)}, nil
}

// signOptions map the sign flags to builder options; the password comes
// from the file, else from $COSIGN_PASSWORD (builder.ReadSignPassword).
func (f *Flags) signOptions() ([]builder.Option, error) {
	pw, err := builder.ReadSignPassword(f.SignPasswordFile)
	if err != nil {
		return nil, err
	}
	opts := []builder.Option{builder.WithSignPassword(pw)}
	for _, k := range f.SignKeys {
		opts = append(opts, builder.WithSignKey(k))
	}
	return opts, nil
}

// publishesAny reports whether a step of the plan has an image to publish:
// without one, weld says nothing of where images would go.
func publishesAny(p *dag.Plan) bool {
	for _, s := range p.Build().Steps {
		if s.Name != "" && s.Publish {
			return true
		}
	}
	return false
}

// ServeDaemons are what weld serve builds on from the same flags (--addr,
// --builders, --staging): one daemon (connect), or a pool of two or more
// (members), and the pool's staging repository; a bad value matches
// builder.ErrInvalid, so that the server never starts on it.
func ServeDaemons(addrs []string, builders, staging string) (connect builder.ConnectOptions, members []builder.PoolMember, repo string, err error) {
	d := builder.Daemons{Addrs: addrs, BuildersFile: builders}
	if members, err = d.Members(); err != nil { // builder.ErrInvalid
		return connect, nil, "", err
	}
	switch {
	case members != nil:
		if _, err = builder.NewPool(members...); err != nil { // an address named twice
			return connect, nil, "", fmt.Errorf("%w: %v", builder.ErrInvalid, err)
		}
	case len(addrs) == 1:
		connect.Addr = addrs[0]
	}
	if repo, err = builder.ParseStaging(staging); err != nil { // builder.ErrInvalid
		return connect, nil, "", err
	}
	return connect, members, repo, nil
}
