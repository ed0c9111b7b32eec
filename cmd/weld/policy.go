package main

import (
	"github.com/spf13/pflag"

	"github.com/weld-build/weld/buildflags"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// policyOptions find the policy file.
type policyOptions struct {
	policyFile string
}

func addPolicyFlag(f *pflag.FlagSet, file *string) {
	f.StringVar(file, "policy", "", "the policy file: allowed bases, replacements, digest pinning, check severities, gates (default: "+policy.DefaultFile+" in the work dir, if present)")
}

// loadPolicy reads --policy, else the work dir's weld.policy.yml if any.
func (po *policyOptions) loadPolicy(o *rootOptions, b *dag.Build) (*policy.Policy, error) {
	return buildflags.FindPolicy(po.policyFile, b, o.log)
}
