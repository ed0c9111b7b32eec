package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/builder"
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

// policyImages maps the policy's replacements to builder image sources,
// composed with the --image flags: a base replaced by REF is built from
// --image REF's source when there is one. It returns the merged map.
func policyImages(o *rootOptions, p *policy.Policy, uses []policy.BaseUse, flags map[string]builder.ImageSource) (map[string]builder.ImageSource, error) {
	out := maps.Clone(flags)
	used := map[string][]policy.BaseUse{}
	for _, u := range uses {
		if u.Replacement != nil {
			used[u.Replacement.Key] = append(used[u.Replacement.Key], u)
		}
	}
	for _, r := range p.Replace {
		ref, src, err := builder.ParseImage(r.Source())
		if err != nil {
			return nil, dag.ErrorList{{Pos: r.Pos, Msg: fmt.Sprintf("replace: %v", err)}}
		}
		if !r.IsLayout() {
			if key, err := builder.ContextKey(src.Image); err == nil {
				if via, ok := flags[key]; ok {
					src = via
				}
			}
		}
		if _, ok := flags[ref]; ok {
			o.log.Warn(fmt.Sprintf("%s replaces %s; the policy wins over --image %s", r.Pos, r.From, ref))
		}
		out[ref] = src
		for _, u := range used[r.Key] {
			o.log.Info(fmt.Sprintf("%s: step %s: policy %s replaces base %s with %s", u.Pos, u.Step, r.Pos, u.Ref, r.To))
		}
	}
	return out, nil
}

// checkPolicy runs the checks weld build and weld lint share, before any
// build: the allowlist, then the Dockerfile checks. It prints every
// refusal and finding to w and returns an error (already printed) when
// the build must stop.
func checkPolicy(ctx context.Context, o *rootOptions, w io.Writer, in policy.Input, p *policy.Policy) ([]policy.BaseUse, policy.Findings, error) {
	uses, err := policy.Bases(in, p)
	if err != nil {
		return nil, nil, err
	}
	if err := policy.CheckBases(uses, p); err != nil {
		var refusals policy.Refusals
		if errors.As(err, &refusals) {
			for _, r := range refusals {
				fmt.Fprintln(w, r.Error())
			}
			return nil, nil, &reportedError{err}
		}
		return nil, nil, err
	}
	findings, err := policy.Lint(ctx, in, p)
	if err != nil {
		return nil, nil, err
	}
	return uses, findings, nil
}
