package builder

import (
	"context"
	"fmt"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/docker"
	"github.com/weld-build/weld/internal/redact"
)

// runConfig is what a run is made from: built once, before any step
// starts, and only read after that.
type runConfig struct {
	plan    *dag.Plan
	steps   []*dag.Step
	byLabel map[string]*dag.Step
	closure map[string][]string // per step: its dependencies, in build order, then itself
	publish map[string]bool     // the steps whose images go to the outputs
	perStep map[string]secretStore
	global  secretStore
	bases   *baseImages
	red     *redact.Redactor             // every secret value the run serves
	filters map[string]dag.ContextFilter // per step: what of its context is sent (ownstate.go)
	host    map[string]string            // per folded step: the step whose session builds it (fold.go)
	opts    *options                     // the run's options (the Builder's, with the policy's: onebuild.go)
	fleet   *fleet                       // the pool's placement and handovers; nil on one daemon (fleet.go)
}

// newConfig makes the configuration of a run of the selected steps; labels
// are the steps asked for (the others are built, not published).
func (b *Builder) newConfig(p *dag.Plan, steps []*dag.Step, labels []string, sec runSecrets) (*runConfig, error) {
	bases, err := openBaseImages(b.o.images)
	if err != nil {
		return nil, err
	}
	if err := b.checkDocker(); err != nil {
		return nil, err
	}
	c := &runConfig{
		plan: p, steps: steps, perStep: sec.perStep, global: sec.global, bases: bases,
		red:     runRedactor(steps, sec.perStep, sec.global, b.o.redact),
		byLabel: map[string]*dag.Step{}, closure: map[string][]string{}, publish: map[string]bool{},
		opts: b.o,
	}
	explicit := map[string]bool{}
	for _, l := range labels {
		explicit[l] = true
	}
	for _, s := range steps {
		c.closure[s.Label] = append(p.Deps(s.Label), s.Label)
		c.byLabel[s.Label] = s
		// Steps built only because a selection needs them are not published.
		if s.Publish && (len(labels) == 0 || explicit[s.Label]) && len(b.o.outputs) > 0 {
			c.publish[s.Label] = true
		}
	}
	if c.fleet, err = b.newFleet(p, steps); err != nil {
		return nil, err
	}
	if c.fleet == nil { // a fleet gives every step its own session, on its own daemon
		c.host = c.foldHosts()
	}
	if err := c.filterContexts(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkDocker finds, before anything builds, a Docker output with no
// engine to load into.
func (b *Builder) checkDocker() error {
	for _, o := range b.o.outputs {
		if o.Type != OutputDocker {
			continue
		}
		if err := docker.Ping(context.Background(), docker.Host(o.DockerHost)); err != nil {
			return fmt.Errorf("%w: %v (set DOCKER_HOST, or publish with --push or --output instead)", ErrNoDocker, err)
		}
	}
	return nil
}
