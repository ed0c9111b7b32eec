package buildflags

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/log"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/redact"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/report"
)

// Input is what a build's flags resolve before its options: the plan, the
// policy, the steps to build and the redactor of what the caller prints
// itself. Its Event and WriteFiles make the build's --report.
type Input struct {
	// Plan is the build file's plan.
	Plan *dag.Plan
	// Policy is --policy's, else the work dir's weld.policy.yml, else none.
	Policy *policy.Policy
	// Labels are the steps to build (builder.Run's): the arguments, or
	// those --affected-by-base lists. Nil: nothing to build.
	Labels []string
	// Redactor redacts the build args that look like secrets from what the
	// caller prints itself (the builder redacts its own results).
	Redactor *redact.Redactor

	warnings report.Warnings // the run's warnings, for the report
}

// Resolve removes the metadata file an earlier run left, loads the build
// file (logging its warnings to l), finds the policy and selects the steps
// named by args (or --affected-by-base). With --affected-by-base and no
// step built on that base, it logs so and returns an Input with nil Labels.
func (f *Flags) Resolve(l *log.Logger, args []string) (*Input, error) {
	if f.MetadataFile != "" { // an earlier run's must not pass for this one's
		if err := builder.PrepareMetadataFile(f.MetadataFile); err != nil {
			return nil, err
		}
	}
	fl := f.File
	fl.SecretIDs = SecretIDs(f.Secrets)
	p, err := Plan(fl, l)
	if err != nil {
		return nil, err
	}
	in := &Input{Plan: p}
	if in.Policy, err = FindPolicy(f.Policy, p.Build(), l); err != nil {
		return nil, err
	}
	if in.Labels, err = Select(p, in.Policy, f.AffectedByBase, args, l); err != nil {
		return nil, err
	} else if in.Labels == nil {
		return in, nil
	}
	steps, err := p.Select(in.Labels...)
	if err != nil {
		return nil, err
	}
	cli, err := ParseEnv("--build", f.BuildArgs)
	if err != nil {
		return nil, err
	}
	in.Redactor = ArgRedactor(steps, cli)
	return in, nil
}

// Plan loads the build file, logs its warnings to l and plans it.
func Plan(f File, l *log.Logger) (*dag.Plan, error) {
	b, err := f.Load()
	if err != nil {
		return nil, err
	}
	for _, w := range b.Warnings {
		l.Warn(w.Error())
	}
	return dag.NewPlan(b)
}

// FindPolicy reads the policy file, else the work dir's weld.policy.yml if
// any (policy.Find).
func FindPolicy(file string, b *dag.Build, l *log.Logger) (*policy.Policy, error) {
	p, err := policy.Find(file, b.WorkDir)
	if err != nil {
		return nil, err
	}
	if p.File != "" {
		l.Debug("policy", "file", p.File)
	}
	return p, nil
}

// Select returns the labels to pass to builder.Run: args, or with
// affectedByBase the affected steps. It returns nil labels and no error
// when affectedByBase finds nothing to build (and logs so).
func Select(p *dag.Plan, pol *policy.Policy, affectedByBase string, args []string, l *log.Logger) ([]string, error) {
	if affectedByBase == "" {
		_, err := p.Select(args...)
		return append([]string{}, args...), err
	}
	if len(args) > 0 {
		return nil, fmt.Errorf("%w: --affected-by-base selects the steps; do not name steps too", builder.ErrInvalid)
	}
	labels, err := pol.AffectedByBase(p, affectedByBase)
	if err != nil {
		return nil, err
	}
	if len(labels) == 0 {
		l.Info("no step is built on " + affectedByBase + "; nothing to build")
		return nil, nil
	}
	l.Info(fmt.Sprintf("building the steps affected by %s: %s", affectedByBase, strings.Join(labels, ", ")))
	return labels, nil
}

// ArgRedactor redacts the values of the build args of steps (and cli, the
// command line's) that look like secrets, whatever their severity: what a
// command prints itself (a base's name, FROM busybox:${TOKEN}, in a plan,
// the lint findings, the policy's refusals) shows them as [secret:NAME].
func ArgRedactor(steps []*dag.Step, cli map[string]string) *redact.Redactor {
	found, _ := policy.CheckBuildArgs(nil, steps, cli) // the values, not the verdict
	var secrets []redact.Secret
	for _, a := range found {
		secrets = append(secrets, redact.Secret{ID: a.Name, Value: []byte(a.Value)})
	}
	return redact.NewSecrets(secrets...)
}
