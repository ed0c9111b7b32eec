package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/internal/safepath"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/report"
)

// BuilderConfig is what the server imposes on every build; a request
// cannot change it.
type BuilderConfig struct {
	// Connect names the BuildKit daemon, when Pool is empty.
	Connect builder.ConnectOptions
	// Pool are the daemons every build spreads over (weld build's
	// --addr given twice or --builders); empty: Connect's one daemon.
	Pool []builder.PoolMember
	// Staging is the pool's staging repository (builder.WithStaging).
	Staging string
	// Images replace base images (--image).
	Images map[string]builder.ImageSource
	// Policy is the server's; a project's weld.policy.yml can only
	// tighten it (policy.Intersect). Nil: weld build's defaults.
	Policy *policy.Policy
	// Outputs are where images go. An OCI output's Dest gets
	// /TENANT/ID appended, so builds never share one.
	Outputs []builder.Output
	// Secrets are the tenants' server-side secret sources.
	Secrets SecretMap
	// Options are added to every build (after the ones above).
	Options []builder.Option
	// StateDir is the server's state folder: like every server path
	// above, no record, event or report names it (scrub.go).
	StateDir string
}

// builderRunner runs builds with builder.New(...).Run, as weld build does.
type builderRunner struct{ cfg BuilderConfig }

var _ Runner = (*builderRunner)(nil)

// NewBuilderRunner returns the Runner that builds on BuildKit.
func NewBuilderRunner(cfg BuilderConfig) Runner { return &builderRunner{cfg: cfg} }

// prepared is what Check keeps for Run.
type prepared struct {
	plan    *dag.Plan
	pol     *policy.Policy
	secrets []builder.SecretSpec
	live    *liveSteps // the step events so far (live.go)
}

// Check loads the build file with no environment (_env(VAR) never reads
// the server's), refuses every secret the tenant has no server-side source
// for, selects the steps and joins the project's policy to the server's.
func (r *builderRunner) Check(_ context.Context, job *Job) error {
	mine := r.cfg.Secrets[job.Tenant]
	file := filepath.Join(job.Dir, job.File)
	// Every secret is overridden: its type and value are never used, only
	// the tenant's server-side source, and a missing one is refused below.
	b, err := dag.Load(file,
		dag.WithLookupEnv(func(string) (string, bool) { return "", false }),
		dag.WithOverriddenSecrets(secretIDs(file)...), dag.WithPlatforms(job.Platforms...))
	if err != nil {
		return badInput(job, err)
	}
	var specs []builder.SecretSpec
	for _, s := range b.Steps {
		for _, sec := range s.Secrets {
			spec, ok := mine[sec.ID]
			if !ok {
				return fmt.Errorf("%w: %s: step %s: secret %q has no server-side source for this tenant; secrets never come with a request (the server's --secrets file maps tenant and id to a source)",
					ErrBadUpload, relPos(job, sec.Pos.String()), s.Label, sec.ID)
			}
			if !slices.Contains(specs, spec) {
				specs = append(specs, spec)
			}
		}
	}
	plan, err := dag.NewPlan(b)
	if err == nil {
		_, err = plan.Select(job.Steps...)
	}
	if err != nil {
		return badInput(job, err)
	}
	project, err := policy.Find("", b.WorkDir)
	if err != nil {
		return badInput(job, err)
	}
	for _, rp := range project.Replace {
		if rp.IsLayout() { // a folder on this server: another tenant's images, say
			return fmt.Errorf("%w: %s: replace %s: a project's policy may not replace a base with an OCI layout on the server; replace it with an image ref, or ask the operator for --image",
				ErrBadUpload, relPos(job, rp.Pos.String()), rp.From)
		}
	}
	if project.Sign != nil || len(project.SignedBases) > 0 { // key files on this server
		return fmt.Errorf("%w: %s: a project's policy may not name key files (sign, require_signed_bases): they would be read on the server; ask the operator to set them in the server's policy",
			ErrBadUpload, relPos(job, project.File))
	}
	// Always under an operator's policy, if only the empty one: alone, a
	// project's file could add gates, shell commands run on this host.
	op := r.cfg.Policy
	if op == nil {
		op = &policy.Policy{}
	}
	pol := policy.Intersect(op, project)
	job.Prepared = &prepared{plan: plan, pol: pol, secrets: specs, live: newLiveSteps()}
	return nil
}

// badInput is a client's mistake, with the server's folder left out.
func badInput(job *Job, err error) error {
	return fmt.Errorf("%w: %s", ErrBadUpload, relPos(job, err.Error()))
}

func relPos(job *Job, s string) string {
	return strings.ReplaceAll(s, job.Dir+string(filepath.Separator), "")
}

// scrubber hides the server's paths from what job's tenant sees: the
// build's own folder shows as the upload's root, the others as
// placeholders.
func (r *builderRunner) scrubber(job *Job) *scrubber {
	paths := []pathName{{job.Dir, ""}, {r.cfg.StateDir, "[state]"}}
	for _, o := range r.cfg.Outputs {
		paths = append(paths, pathName{o.Dest, "[output]"})
	}
	for _, img := range r.cfg.Images {
		paths = append(paths, pathName{img.Layout, "[image]"})
	}
	for _, m := range r.cfg.Secrets {
		for _, s := range m {
			paths = append(paths, pathName{s.Src, "[secret]"})
		}
	}
	if r.cfg.Policy != nil {
		paths = append(paths, pathName{r.cfg.Policy.File, "[policy]"})
	}
	for _, c := range append([]builder.ConnectOptions{r.cfg.Connect}, poolConnects(r.cfg.Pool)...) {
		paths = append(paths, pathName{c.TLSCACert, "[tls]"}, pathName{c.TLSCert, "[tls]"}, pathName{c.TLSKey, "[tls]"},
			pathName{unixSocket(c.Addr), "[daemon]"})
	}
	return newScrubber(paths...)
}

// solver is the build's daemon: the pool's, a new connection to each for
// every build (a daemon lost in one build is tried again by the next), or
// the one daemon, connected once the build's checks have passed.
func (r *builderRunner) solver() (builder.Solver, func() error, error) {
	if len(r.cfg.Pool) > 0 {
		p, err := builder.NewPool(r.cfg.Pool...)
		if err != nil {
			return nil, nil, err
		}
		return p, p.Close, nil
	}
	c := builder.ConnectLazily(r.cfg.Connect)
	return c, c.Close, nil
}

func poolConnects(pool []builder.PoolMember) []builder.ConnectOptions {
	var out []builder.ConnectOptions
	for _, m := range pool {
		out = append(out, m.Connect)
	}
	return out
}

// unixSocket is the socket path of a unix:// address, "" for another;
// the empty address is $BUILDKIT_HOST's, as builder.Connect reads it.
func unixSocket(addr string) string {
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	if p, ok := strings.CutPrefix(addr, "unix://"); ok {
		return p
	}
	return ""
}

// Run builds the job and returns its metadata and report.
func (r *builderRunner) Run(ctx context.Context, job *Job, emit Emitter) Outcome {
	pr, ok := job.Prepared.(*prepared)
	if !ok {
		return Outcome{Err: fmt.Errorf("build %s was not checked", job.ID)}
	}
	sc := r.scrubber(job)
	pe := newProgressEmitter(func(typ string, data any) { emit(typ, sc.json(data)) })
	opts, err := r.options(job, pr, pe)
	if err != nil {
		return Outcome{Err: sc.err(err)}
	}
	solver, closer, err := r.solver()
	if err != nil {
		return Outcome{Err: sc.err(err)}
	}
	defer closer()
	bld, err := builder.New(solver, append(opts, builder.WithStaging(r.cfg.Staging))...)
	if err != nil {
		return Outcome{Err: sc.err(err)}
	}
	res, runErr := bld.Run(ctx, pr.plan, job.Steps...)
	out := Outcome{Err: sc.err(runErr)}
	if meta := metadata(res); meta != nil {
		out.Metadata = json.RawMessage(sc.String(string(meta)))
	}
	var buf bytes.Buffer
	rep := report.Build(pr.plan, res, report.WithError(runErr), report.WithSelection(job.Steps...),
		report.WithFindings(pe.findings()...), report.WithRedactor(sc.String))
	if err := rep.WriteHTML(&buf); err == nil {
		out.Report = buf.Bytes()
	}
	return out
}

// options are the server's options for this job's build.
func (r *builderRunner) options(job *Job, pr *prepared, pe *progressEmitter) ([]builder.Option, error) {
	outs := slices.Clone(r.cfg.Outputs)
	for i, o := range outs {
		if o.Type != builder.OutputOCI {
			continue
		}
		dir, err := safepath.Join(o.Dest, job.Tenant)
		if err != nil {
			return nil, err
		}
		outs[i].Dest = filepath.Join(dir, job.ID)
	}
	return append([]builder.Option{
		builder.WithPolicy(pr.pol),
		builder.WithImages(r.cfg.Images),
		builder.WithOutputs(outs...),
		builder.WithSecrets(pr.secrets...),
		builder.WithNoCache(job.NoCache),
		// Never git on the upload: its .git/config is the tenant's.
		builder.WithRevision(job.Revision),
		builder.WithoutGit(),
		builder.WithEvents(func(e builder.Event) { pr.live.event(e); pe.event(e) }),
		builder.WithProgress(pe.progress),
	}, append(r.durationsOption(job), r.cfg.Options...)...), nil // durations.go
}

// metadata is res in --metadata-file's shape (builder.WriteMetadata's).
func metadata(res *builder.Result) []byte {
	if res == nil {
		return nil
	}
	dir, err := os.MkdirTemp("", "weld-serve-")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "metadata.json")
	if builder.WriteMetadata(p, res) != nil {
		return nil
	}
	dt, _ := os.ReadFile(p)
	return dt
}

// secretIDs are the ids of the build file's secrets, read loosely (dag.Load
// reports what is wrong with the file).
func secretIDs(file string) []string {
	dt, err := boundedio.ReadFile(file, boundedio.MaxBuildFile)
	if err != nil {
		return nil
	}
	var doc struct {
		Build struct {
			Steps map[string]struct {
				Secrets map[string]any `yaml:"secrets"`
			} `yaml:"steps"`
		} `yaml:"build"`
	}
	if yaml.Unmarshal(dt, &doc) != nil {
		return nil
	}
	var ids []string
	for _, s := range doc.Build.Steps {
		for id := range s.Secrets {
			ids = append(ids, id)
		}
	}
	return ids
}
