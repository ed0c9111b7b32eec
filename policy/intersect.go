package policy

import (
	"maps"
	"slices"
)

// Intersect returns the policy of a build whose own policy file (project)
// runs under an operator's policy that it cannot loosen, as an embedder or
// a hosted service sets it: an image, frontend or source is allowed when
// both allow it, and a list absent on one side does not restrict on that
// side. Refusals name the policy that refuses. Besides:
//   - replace: the operator's entries, then the project's for other refs
//     (the allowlists still apply after replace);
//   - pin_digests: when either asks;
//   - rules: the project's severities, the operator's winning;
//   - gates: the operator's alone; a gate is a shell command weld runs on
//     its own host, so a project's file must not add one under an operator;
//   - sign, require_signed_bases, banned_bases: the operator's alone (key
//     files are read on the host).
//
// Either may be nil. Intersect does not change its arguments.
func Intersect(operator, project *Policy) *Policy {
	switch {
	case operator == nil:
		return project
	case project == nil:
		return operator
	}
	out := *project
	out.Limit = operator
	if project.Limit != nil {
		out.Limit = Intersect(operator, project.Limit)
	}
	out.Replace = slices.Clone(operator.Replace)
	for _, r := range project.Replace {
		if !slices.ContainsFunc(out.Replace, func(o Replacement) bool { return o.Key == r.Key }) {
			out.Replace = append(out.Replace, r)
		}
	}
	out.PinDigests = operator.PinDigests || project.PinDigests
	out.Rules = maps.Clone(project.Rules)
	if out.Rules == nil {
		out.Rules = map[string]Rule{}
	}
	maps.Copy(out.Rules, operator.Rules)
	out.Gates = slices.Clone(operator.Gates)
	// Key files are files on the host too: the operator's alone.
	out.Sign, out.SignedBases = operator.Sign, slices.Clone(operator.SignedBases)
	out.BannedBases = slices.Clone(operator.BannedBases)
	return &out
}
