package main

import (
	"fmt"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/policy"
)

// checkBuildArgs refuses, before any daemon is contacted, the build args
// that look like secrets, unless the policy allows them (rules:
// {SecretInArgEnv: warning}); allowed or not, each such value is redacted
// from everything the build prints.
func checkBuildArgs(o *rootOptions, pol *policy.Policy, in policy.Input) ([]builder.Option, error) {
	found, err := policy.CheckBuildArgs(pol, in.Steps, in.BuildArgs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadInput, err)
	}
	var opts []builder.Option
	for _, a := range found {
		if a.Severity == policy.SeverityWarning {
			o.log.Warn(fmt.Sprintf("%s: build arg %s %s; the policy allows it (%s: warning): weld redacts its value from what it prints, but the image's config and history keep it", a.Where, a.Name, a.Why, policy.RuleSecretInArgEnv))
		}
		opts = append(opts, builder.WithRedact(a.Name, []byte(a.Value)))
	}
	return opts, nil
}
