package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// policyOptions find the policy file.
type policyOptions struct {
	policyFile string
}

func addPolicyFlags(f *pflag.FlagSet, po *policyOptions) {
	f.StringVar(&po.policyFile, "policy", "", "the policy file: allowed bases, replacements, digest pinning, check severities, gates (default: "+policy.DefaultFile+" in the work dir, if present)")
}

// loadPolicy reads --policy, else the work dir's weld.policy.yml if any.
func (po *policyOptions) loadPolicy(o *rootOptions, b *dag.Build) (*policy.Policy, error) {
	p, err := policy.Find(po.policyFile, b.WorkDir)
	if err != nil {
		return nil, err
	}
	if p.File != "" {
		o.log.Debug("policy", "file", p.File)
	}
	return p, nil
}

// printRefusals prints each refusal of the policy (the static checks' in
// builder.Run and builder.Check) on a line of its own; it reports whether
// err held any.
func printRefusals(w io.Writer, err error) bool {
	var rs policy.Refusals
	if !errors.As(err, &rs) {
		return false
	}
	for _, r := range rs {
		fmt.Fprintln(w, r.Error())
	}
	return true
}
