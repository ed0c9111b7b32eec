package builder

import (
	"errors"
	"fmt"

	"github.com/weld-build/weld/internal/redact"
	"github.com/weld-build/weld/policy"
)

// checkBuildArgs refuses the build args that look like secrets (the steps'
// args: and WithBuildArgs'), unless the policy allows them (rules:
// {SecretInArgEnv: warning}); allowed or not, each such value is redacted
// from everything the run reports, and an allowed one is an EventWarning.
func checkBuildArgs(o *options, in policy.Input) error {
	found, err := policy.CheckBuildArgs(o.policy, in.Steps, in.BuildArgs)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var events []Event
	for _, a := range found {
		o.redact = append(o.redact, redact.Secret{ID: a.Name, Value: []byte(a.Value)})
		if a.Severity == policy.SeverityWarning {
			events = append(events, Event{Step: a.Step, Type: EventWarning, Message: fmt.Sprintf(
				"%s: build arg %s %s; the policy allows it (%s: warning): weld redacts its value from what it prints, but the image's config and history keep it",
				a.Where, a.Name, a.Why, policy.RuleSecretInArgEnv)})
		}
	}
	emitAll(o, events)
	return nil
}

// checkSources judges, without a daemon, the bases and the other images and
// sources the Dockerfiles name (policy.References), and the policy's
// replacements: it returns every refusal as one policy.Refusals.
func checkSources(in policy.Input, p *policy.Policy) ([]policy.BaseUse, []policy.Reference, error) {
	uses, err := policy.Bases(in, p)
	if err != nil {
		return nil, nil, err
	}
	refs, err := policy.References(in, p)
	if err != nil {
		return nil, nil, err
	}
	var refusals policy.Refusals
	for _, err := range []error{policy.CheckBases(uses, p), policy.CheckReferences(refs, p), policy.CheckReplacements(p, usedRefs(uses, refs)), policy.CheckBannedBases(uses, p)} {
		var rs policy.Refusals
		if errors.As(err, &rs) {
			refusals = append(refusals, rs...)
		} else if err != nil {
			return nil, nil, err
		}
	}
	if len(refusals) > 0 {
		return nil, nil, refusals
	}
	return uses, refs, nil
}

// usedRefs are the image refs the Dockerfiles name (FROM, COPY --from, RUN
// --mount from=), whose replacements CheckBases and CheckReferences judge;
// policy.CheckReplacements judges the other entries.
func usedRefs(uses []policy.BaseUse, refs []policy.Reference) []string {
	var out []string
	for _, u := range uses {
		out = append(out, u.Ref)
	}
	for _, r := range refs {
		if r.Kind == policy.KindImage {
			out = append(out, r.Ref)
		}
	}
	return out
}

// allowedFrontends are, per step label, the # syntax= frontend the policy
// lets the step run (WithFrontends); the other steps build with BuildKit's
// built-in Dockerfile frontend.
func allowedFrontends(p *policy.Policy, refs []policy.Reference) map[string]string {
	frontends := map[string]string{}
	for _, r := range refs {
		if r.Kind == policy.KindFrontend && frontends[r.Step] == "" && p.FrontendAllowed(r.Ref) {
			frontends[r.Step] = r.Ref
		}
	}
	return frontends
}
