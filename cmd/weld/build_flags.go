package main

import (
	"github.com/spf13/cobra"

	"github.com/weld-build/weld/buildflags"
)

// buildOptions are the flags of weld build: their values (buildflags.Flags
// parses them and maps them to builder options) and --report's pflag.Value.
type buildOptions struct {
	buildflags.Flags
	report reportFlag // --report (build_report.go)
}

func addBuildFlags(cmd *cobra.Command, bo *buildOptions) {
	f, v := cmd.Flags(), &bo.Flags
	addFileFlags(f, &v.File)
	addPolicyFlag(f, &v.Policy)
	f.StringVar(&v.Provenance, "provenance", "min", "provenance attestation on published images: min, max or none")
	f.StringVar(&v.AffectedByBase, "affected-by-base", "", "build exactly the steps weld affected --base REF lists (the steps built on REF and everything downstream)")
	bindPoolFlags(f, &v.Addrs, &v.Builders, &v.Staging) // build_pool.go: --addr, --builders, --staging
	f.StringVar(&v.Connect.TLSCACert, "tlscacert", "", "CA certificate for a tcp:// daemon")
	f.StringVar(&v.Connect.TLSCert, "tlscert", "", "client certificate for a tcp:// daemon")
	f.StringVar(&v.Connect.TLSKey, "tlskey", "", "client key for a tcp:// daemon")
	f.StringVar(&v.Connect.TLSServerName, "tlsservername", "", "server name for a tcp:// daemon's certificate")
	f.IntVarP(&v.Jobs, "jobs", "j", 0, "steps solving at once (0: no limit)")
	f.BoolVar(&v.KeepGoing, "keep-going", false, "let independent steps finish after a failure (nothing is published)")
	f.BoolVar(&v.NoCache, "no-cache", false, "do not use the cache")
	f.StringArrayVar(&v.BuildArgs, "build", nil, "build arg K=V for every step (repeatable)")
	f.StringArrayVar(&v.BuildArgs, "build-arg", nil, "same as --build")
	f.StringArrayVar(&v.Secrets, "secret", nil, "secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VAR (repeatable)")
	f.StringArrayVar(&v.SSH, "ssh", nil, "SSH agent or keys to forward: default or ID=PATH (repeatable)")
	f.StringArrayVar(&v.Images, "image", nil, "replace a base image: REF=oci-layout://DIR[@sha256:...] or REF=docker-image://REF (repeatable)")
	f.StringArrayVarP(&v.Outputs, "output", "o", nil, "where images go: oci:DIR (DIR/<step>/), or type=oci,dest=DIR,tar=true")
	f.BoolVar(&v.Push, "push", false, "push every published image to the registry in its name")
	f.BoolVar(&v.Load, "load", false, "load every published image into the Docker engine at $DOCKER_HOST")
	f.StringArrayVar(&v.CacheTo, "cache-to", nil, "export build cache, a scope per step: type=local,dest=DIR or type=registry,ref=REF[,mode=max]")
	f.StringArrayVar(&v.CacheFrom, "cache-from", nil, "import build cache: type=local,src=DIR or type=registry,ref=REF")
	f.StringVar(&v.MetadataFile, "metadata-file", "", "write the build result as JSON to this file")
	f.StringVar(&v.ArtifactsDir, "artifacts-dir", "", "also write every step's artifacts to this folder")
	f.BoolVar(&v.AfterBuild, "after-build-commands", false, "run the steps' after_build_command on this host")
	f.StringVar(&v.Progress, "progress", "auto", "progress output: auto, tty, plain, rawjson or quiet")
	f.StringVar(&v.SecretCacheKey, "secret-cache-key", "", "key `FILE` (16-4096 bytes) of the hash of secret values in the cache key of RUNs that mount them; give machines that share a cache the same one (default: this machine's, ~/.cache/weld/secret-cache.key)")
	f.BoolVar(&v.Reproducible, "reproducible", true, "the same inputs give the same image digest: SOURCE_DATE_EPOCH from the work dir's last git commit (else 0), file times rewritten to it, no wall-clock time in the provenance")
	bo.report.path = &v.Report
	f.Var(&bo.report, "report", "write a build report to FILE.html (one self-contained page: timeline, critical path, steps, DAG) or FILE.json (weld report renders it); written also when the build fails or is interrupted")
	f.BoolVar(&v.BuildHistory, "build-history", false, "keep BuildKit's build history record of each step's session on the daemon (buildx history); its logs and build args are the daemon's, not redacted")
	f.BoolVar(&v.SBOM, "sbom", true, "attach an SPDX SBOM (Go modules, apk and dpkg packages, every layer's files) to every published image, as an in-toto attestation")
	f.StringArrayVar(&v.SignKeys, "sign-key", nil, "sign every published image with this private key `FILE` (cosign's encrypted key, password from $COSIGN_PASSWORD or --sign-password-file, or a PEM ECDSA P-256 or ed25519 key); repeatable")
	f.StringVar(&v.SignPasswordFile, "sign-password-file", "", "read the password of encrypted --sign-key files from this `FILE` (default $COSIGN_PASSWORD)")
}
