package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// buildOptions are the flags of weld build; names follow buildx where
// buildx has the same flag.
type buildOptions struct {
	fileOptions
	policyOptions
	affectedByBase string
	connect        builder.ConnectOptions
	jobs           int
	keepGoing      bool
	noCache        bool
	buildArgs      []string
	secrets        []string
	ssh            []string
	images         []string
	outputs        []string
	push, load     bool
	cacheTo        []string
	cacheFrom      []string
	metadataFile   string
	artifactsDir   string
	afterBuild     bool
	progress       string
	provenance     string
	reproducible   bool
	sbom           bool // --sbom (supply chain)
	secretCacheKey string
	reportFile     reportOptions // --report (build_report.go)
	sign           signOptions   // --sign-key (build_sign.go)
	pool           poolOptions   // --addr, --builders, --staging (build_pool.go)
}

func addBuildFlags(cmd *cobra.Command, bo *buildOptions) {
	f := cmd.Flags()
	addFileFlags(f, &bo.fileOptions)
	addPolicyFlags(f, &bo.policyOptions)
	f.StringVar(&bo.provenance, "provenance", "min", "provenance attestation on published images: min, max or none")
	f.StringVar(&bo.affectedByBase, "affected-by-base", "", "build exactly the steps weld affected --base REF lists (the steps built on REF and everything downstream)")
	addPoolFlags(f, &bo.pool) // build_pool.go: --addr, --builders, --staging
	f.StringVar(&bo.connect.TLSCACert, "tlscacert", "", "CA certificate for a tcp:// daemon")
	f.StringVar(&bo.connect.TLSCert, "tlscert", "", "client certificate for a tcp:// daemon")
	f.StringVar(&bo.connect.TLSKey, "tlskey", "", "client key for a tcp:// daemon")
	f.StringVar(&bo.connect.TLSServerName, "tlsservername", "", "server name for a tcp:// daemon's certificate")
	f.IntVarP(&bo.jobs, "jobs", "j", 0, "steps solving at once (0: no limit)")
	f.BoolVar(&bo.keepGoing, "keep-going", false, "let independent steps finish after a failure (nothing is published)")
	f.BoolVar(&bo.noCache, "no-cache", false, "do not use the cache")
	f.StringArrayVar(&bo.buildArgs, "build", nil, "build arg K=V for every step (repeatable)")
	f.StringArrayVar(&bo.buildArgs, "build-arg", nil, "same as --build")
	f.StringArrayVar(&bo.secrets, "secret", nil, "secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VAR (repeatable)")
	f.StringArrayVar(&bo.ssh, "ssh", nil, "SSH agent or keys to forward: default or ID=PATH (repeatable)")
	f.StringArrayVar(&bo.images, "image", nil, "replace a base image: REF=oci-layout://DIR[@sha256:...] or REF=docker-image://REF (repeatable)")
	f.StringArrayVarP(&bo.outputs, "output", "o", nil, "where images go: oci:DIR (DIR/<step>/), or type=oci,dest=DIR,tar=true")
	f.BoolVar(&bo.push, "push", false, "push every published image to the registry in its name")
	f.BoolVar(&bo.load, "load", false, "load every published image into the Docker engine at $DOCKER_HOST")
	f.StringArrayVar(&bo.cacheTo, "cache-to", nil, "export build cache, a scope per step: type=local,dest=DIR or type=registry,ref=REF[,mode=max]")
	f.StringArrayVar(&bo.cacheFrom, "cache-from", nil, "import build cache: type=local,src=DIR or type=registry,ref=REF")
	f.StringVar(&bo.metadataFile, "metadata-file", "", "write the build result as JSON to this file")
	f.StringVar(&bo.artifactsDir, "artifacts-dir", "", "also write every step's artifacts to this folder")
	f.BoolVar(&bo.afterBuild, "after-build-commands", false, "run the steps' after_build_command on this host")
	f.StringVar(&bo.progress, "progress", "auto", "progress output: auto, tty, plain, rawjson or quiet")
	f.StringVar(&bo.secretCacheKey, "secret-cache-key", "", "key `FILE` (16-4096 bytes) of the hash of secret values in the cache key of RUNs that mount them; give machines that share a cache the same one (default: this machine's, ~/.cache/weld/secret-cache.key)")
	f.BoolVar(&bo.reproducible, "reproducible", true, "the same inputs give the same image digest: SOURCE_DATE_EPOCH from the work dir's last git commit (else 0), file times rewritten to it, no wall-clock time in the provenance")
	addReportFlag(f, &bo.reportFile) // build_report.go
	f.BoolVar(&bo.sbom, "sbom", true, "attach an SPDX SBOM (Go modules, apk and dpkg packages, every layer's files) to every published image, as an in-toto attestation")
	addSignFlags(f, &bo.sign) // build_sign.go
}

// builderOptions checks the flags and maps them to builder options.
func (bo *buildOptions) builderOptions(ctx context.Context, o *rootOptions, p *dag.Plan, pol *policy.Policy) ([]builder.Option, error) {
	args, err := parseEnv(bo.buildArgs)
	if err != nil {
		return nil, err
	}
	images, err := bo.imageFlags()
	if err != nil {
		return nil, err
	}
	// The library reads each secret once, before any daemon (ErrSecret).
	secrets, err := parseEach(bo.secrets, "", builder.ParseSecret)
	if err != nil {
		return nil, err
	}
	var secretKey []byte // nil: the machine's own
	if bo.secretCacheKey != "" {
		if secretKey, err = builder.ReadSecretCacheKey(bo.secretCacheKey); err != nil {
			return nil, fmt.Errorf("--secret-cache-key: %w", err)
		}
	}
	outs, err := bo.outputOptions(ctx, o, p)
	if err != nil {
		return nil, err
	}
	signing, err := bo.sign.options() // build_sign.go
	if err != nil {
		return nil, err
	}
	outs = append(outs, signing...)
	return append(outs,
		builder.WithLogger(o.log),
		builder.WithJobs(bo.jobs),
		builder.WithStaging(bo.pool.staging),
		builder.WithKeepGoing(bo.keepGoing),
		builder.WithNoCache(bo.noCache),
		builder.WithBuildArgs(args),
		builder.WithSecrets(secrets...),
		builder.WithSSH(bo.ssh...),
		builder.WithImages(images),
		builder.WithRegistryAuth(builder.DockerAuth(io.Discard)),
		builder.WithArtifactsDir(bo.artifactsDir),
		builder.WithOwnFiles(bo.metadataFile, bo.reportFile.path),
		builder.WithAfterBuildCommands(bo.afterBuild),
		builder.WithSecretCacheKey(secretKey),
		builder.WithPolicy(pol),
		builder.WithReproducible(bo.reproducible),
		builder.WithSBOM(bo.sbom),
		builder.WithEvents(func(e builder.Event) { logEvent(o, e); bo.reportFile.event(e) }),
	), nil
}

// outputOptions are the outputs, cache exports and imports and provenance
// the flags ask for; without --output, --push or --load, the default output.
func (bo *buildOptions) outputOptions(ctx context.Context, o *rootOptions, p *dag.Plan) ([]builder.Option, error) {
	outs, err := parseEach(bo.outputs, "", builder.ParseOutput)
	if err != nil {
		return nil, err
	}
	if bo.push {
		outs = append(outs, builder.Output{Type: builder.OutputRegistry})
	}
	if bo.load {
		outs = append(outs, builder.Output{Type: builder.OutputDocker})
	}
	cacheTo, err := parseEach(bo.cacheTo, "--cache-to: ", builder.ParseCacheTo)
	if err != nil {
		return nil, err
	}
	cacheFrom, err := parseEach(bo.cacheFrom, "--cache-from: ", builder.ParseCacheFrom)
	if err != nil {
		return nil, err
	}
	if err := bo.checkProgress(); err != nil {
		return nil, err
	}
	if len(outs) == 0 {
		if outs, err = builder.WorkDirOutputs(ctx, p.Build().WorkDir); err != nil {
			return nil, err
		}
		if publishesAny(p) {
			o.log.Info("no --output, --push or --load given: publishing to " + outs[0].String())
		}
	}
	return []builder.Option{builder.WithOutputs(outs...), builder.WithCacheTo(cacheTo...),
		builder.WithCacheFrom(cacheFrom...), builder.WithProvenance(bo.provenance)}, nil
}

// parseEach parses every value of a repeated flag; an error is bad input.
func parseEach[T any](values []string, prefix string, parse func(string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(values))
	for _, v := range values {
		x, err := parse(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s%v", errBadInput, prefix, err)
		}
		out = append(out, x)
	}
	return out, nil
}

// imageFlags are the --image replacements (the policy's join them in the
// builder).
func (bo *buildOptions) imageFlags() (map[string]builder.ImageSource, error) {
	images := map[string]builder.ImageSource{}
	for _, s := range bo.images {
		ref, src, err := builder.ParseImage(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errBadInput, err)
		}
		images[ref] = src
	}
	return images, nil
}

// checkProgress checks --progress.
func (bo *buildOptions) checkProgress() error {
	if !validProgress(bo.progress) {
		return fmt.Errorf("%w: --progress %q: use auto, tty, plain, rawjson or quiet", errBadInput, bo.progress)
	}
	return nil
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
