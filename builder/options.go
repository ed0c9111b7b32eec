package builder

import (
	"errors"
	"fmt"
	"io"

	"github.com/charmbracelet/log"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	spb "github.com/moby/buildkit/sourcepolicy/pb"

	"github.com/weld-build/weld/internal/redact"
	"github.com/weld-build/weld/policy"
)

// Option configures a Builder.
type Option func(*options) error

type options struct {
	log          *log.Logger
	progress     func(*client.SolveStatus)
	events       func(Event)
	jobs         int
	keepGoing    bool
	noCache      bool
	buildArgs    map[string]string
	secrets      []SecretSpec
	ssh          []string
	images       map[string]ImageSource
	outputs      []Output
	artifactsDir string
	ownFiles     []string
	afterBuild   bool
	cacheTo      []client.CacheOptionsEntry
	cacheFrom    []client.CacheOptionsEntry
	auth         session.Attachable
	gates        []Gate
	labels       map[string]string
	provenance   string
	secretKey    *secretKey
	redact       []redact.Secret
	// sourcePolicies and frontends: see sourcepolicy.go.
	sourcePolicies []*spb.Policy
	frontends      map[string]string
	// policy and revision: see onebuild.go.
	policy   *policy.Policy
	revision *string
	// repro: see reproducible.go.
	repro reproOptions
	// noGit: see nogit.go.
	noGit bool
	// sbomOff: see sbom.go.
	sbomOff bool
	// history: see history.go.
	history bool
	// signKeys, signPassword, signers: see signing.go.
	signKeys     []signKey
	signPassword []byte
	signers      []imageSigner
	// staging: see handover.go.
	staging string
	// durations is where the step durations are kept (WithDurations);
	// nil: the work dir's .weld/durations.json.
	durations *durationsAt
}

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *log.Logger) Option {
	return func(o *options) error { o.log = l; return nil }
}

// WithProgress receives the BuildKit status updates of every step, with
// vertex names prefixed by "[label] " (the label of the step a vertex
// belongs to) and what several sessions report about a shared vertex sent
// once. Calls come from many goroutines but one at a time; the sink must not
// block for long. Every secret the run serves is redacted from them (see
// WithRedact).
func WithProgress(f func(*client.SolveStatus)) Option {
	return func(o *options) error { o.progress = f; return nil }
}

// WithEvents receives step lifecycle events (started, done, failed...),
// with the run's secrets redacted from their messages and errors.
func WithEvents(f func(Event)) Option {
	return func(o *options) error { o.events = f; return nil }
}

// WithJobs caps the number of steps solving at once; 0 means no cap.
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("jobs must be 0 (no limit) or more, got %d", n)
		}
		o.jobs = n
		return nil
	}
}

// WithKeepGoing lets independent branches finish after a failure.
func WithKeepGoing(b bool) Option {
	return func(o *options) error { o.keepGoing = b; return nil }
}

// WithNoCache builds every step without the cache.
func WithNoCache(b bool) Option {
	return func(o *options) error { o.noCache = b; return nil }
}

// WithBuildArgs adds build args to every step (--build K=V); they override
// the steps' own args.
func WithBuildArgs(args map[string]string) Option {
	return func(o *options) error {
		for k, v := range args {
			o.buildArgs[k] = v
		}
		return nil
	}
}

// WithSecrets adds secrets (--secret id=ID,src=FILE|env=VAR) to every step.
func WithSecrets(s ...SecretSpec) Option {
	return func(o *options) error { o.secrets = append(o.secrets, s...); return nil }
}

// WithSSH forwards SSH agents or keys (--ssh default|ID=PATH...): an
// agent needs $SSH_AUTH_SOCK and a key file must be there, else New
// returns an ErrInvalid (sshcheck.go).
func WithSSH(specs ...string) Option {
	return func(o *options) error { o.ssh = append(o.ssh, specs...); return checkSSH(specs) }
}

// WithImages replaces base images (--image REF=SOURCE) in every step.
func WithImages(m map[string]ImageSource) Option {
	return func(o *options) error {
		for k, v := range m {
			o.images[k] = v
		}
		return nil
	}
}

// WithOutputs sets where published images go.
func WithOutputs(outs ...Output) Option {
	return func(o *options) error { o.outputs = append(o.outputs, outs...); return nil }
}

// WithArtifactsDir also writes every step's artifacts to DIR on the host,
// laid out as Habitus does: DIR/<dest>/<basename(src)>.
func WithArtifactsDir(dir string) Option {
	return func(o *options) error { o.artifactsDir = dir; return nil }
}

// WithAfterBuildCommands runs the steps' after_build_command on the host.
func WithAfterBuildCommands(b bool) Option {
	return func(o *options) error { o.afterBuild = b; return nil }
}

// WithCacheTo exports each step's build cache (see ParseCache), in a scope
// of its own per step.
func WithCacheTo(entries ...client.CacheOptionsEntry) Option {
	return func(o *options) error { o.cacheTo = append(o.cacheTo, entries...); return nil }
}

// WithCacheFrom imports build cache (see ParseCache): each step reads its
// own scope and those of the steps it needs.
func WithCacheFrom(entries ...client.CacheOptionsEntry) Option {
	return func(o *options) error { o.cacheFrom = append(o.cacheFrom, entries...); return nil }
}

// WithRegistryAuth serves registry credentials to the daemon, for pushes and
// private bases; see DockerAuth. The default serves none.
func WithRegistryAuth(a session.Attachable) Option {
	return func(o *options) error { o.auth = a; return nil }
}

// Gate is a command run on every image about to be published (a scanner
// such as trivy or grype), in the work dir, with {{oci_dir}} replaced by an
// OCI layout of the image (also in $WELD_OCI_DIR, beside $WELD_IMAGE and
// $WELD_STEP). A non-zero exit blocks publishing.
type Gate struct {
	// Run is the shell command.
	Run string
	// Source says where the gate is defined (weld.policy.yml:4:5), for
	// messages.
	Source string
}

// WithGates runs the gates on every image about to be published.
func WithGates(gates ...Gate) Option {
	return func(o *options) error { o.gates = append(o.gates, gates...); return nil }
}

// WithLabels adds image labels to every step (e.g. the source revision,
// org.opencontainers.image.revision).
func WithLabels(labels map[string]string) Option {
	return func(o *options) error {
		for k, v := range labels {
			o.labels[k] = v
		}
		return nil
	}
}

// WithProvenance sets the BuildKit provenance attestation of published
// images: "min" (the default), "max", or "" ("none", "false") for none. A
// docker engine gets the image without it (export_docker.go).
func WithProvenance(mode string) Option {
	return func(o *options) error {
		switch mode {
		case "", "min", "max":
			o.provenance = mode
			return nil
		case "none", "false":
			o.provenance = ""
			return nil
		}
		return fmt.Errorf("provenance mode %q: use min, max or none", mode)
	}
}

// WithSecretCacheKey sets the key (16 to 4096 bytes, see ReadSecretCacheKey)
// of the keyed hash of each secret's value that joins the cache key of
// every RUN that mounts it. The default is the machine's own key,
// $XDG_CACHE_HOME/weld/secret-cache.key (else ~/.cache/weld/...), made on
// first use, which nil keeps; machines that share a remote cache need the
// same key to share the cache of those RUNs.
func WithSecretCacheKey(key []byte) Option {
	return func(o *options) error {
		if key == nil {
			return nil
		}
		if err := checkSecretKey(key); err != nil {
			return fmt.Errorf("%w: secret cache key: %w", ErrSecret, err)
		}
		o.secretKey = &secretKey{key: append([]byte(nil), key...)}
		return nil
	}
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		log:        log.New(io.Discard),
		progress:   func(*client.SolveStatus) {},
		events:     func(Event) {},
		buildArgs:  map[string]string{},
		images:     map[string]ImageSource{},
		labels:     map[string]string{},
		provenance: "min",
		secretKey:  &secretKey{},
		frontends:  map[string]string{},
	}
	var errs []error
	for _, opt := range opts {
		if err := opt(o); err != nil {
			if !errors.Is(err, ErrInvalid) { // an option that cannot be used is bad input
				err = fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			errs = append(errs, err)
		}
	}
	return o, errors.Join(errs...)
}
