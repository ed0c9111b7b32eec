package policy

import (
	spb "github.com/moby/buildkit/sourcepolicy/pb"
)

// recordTypeAttr is the source attribute BuildKit's gateway sets to
// "frontend" on the image it runs as a frontend (solver/pb
// AttrImageRecordType, client.UsageRecordTypeFrontend).
const recordTypeAttr, recordFrontend = "image.recordtype", "frontend"

// SourcePolicies turns the policy into BuildKit source policies, for the
// daemon to enforce on every source of every solve, whatever instruction
// (or frontend) asked for it: the Limit's first (an operator's policy),
// then p's. BuildKit denies a source that any of them denies.
//
// In each, the last matching rule wins (sourcepolicy.Engine), so a DENY of
// a whole scheme comes before the ALLOWs of the patterns:
//   - with allowed_bases, every docker-image:// source is denied but those
//     matching a pattern (the same expression Pattern.Match runs);
//   - every image run as a frontend is denied but allowed_frontends'
//     (BuildKit marks it with image.recordtype=frontend; its config is
//     resolved before without the mark, so those images are allowed as
//     images too);
//   - with allowed_sources, every http://, https:// and git:// source is
//     denied but those matching a pattern.
//
// Replacements are not here: weld passes them as named contexts and the
// builder adds CONVERT rules for the image refs it replaces. The sources
// weld passes itself (local contexts, OCI layouts) are the builder's to
// allow.
func (p *Policy) SourcePolicies() []*spb.Policy {
	var out []*spb.Policy
	if p.Limit != nil {
		out = p.Limit.SourcePolicies()
	}
	return append(out, &spb.Policy{Version: 1, Rules: p.rules()})
}

// rules are the DENY and ALLOW rules of p alone.
func (p *Policy) rules() []*spb.Rule {
	var rules []*spb.Rule
	frontend := &spb.AttrConstraint{Key: recordTypeAttr, Value: recordFrontend, Condition: spb.AttrMatch_EQUAL}
	notFrontend := &spb.AttrConstraint{Key: recordTypeAttr, Value: recordFrontend, Condition: spb.AttrMatch_NOTEQUAL}
	if p.HasAllowlist {
		rules = append(rules, deny(`^docker-image(\+blob)?://`))
		for _, pat := range p.AllowedBases {
			rules = append(rules, allow("^docker-image://"+pat.Regexp()+"$", notFrontend))
		}
	}
	rules = append(rules, deny(`^docker-image://`, frontend))
	for _, pat := range p.AllowedFrontends {
		rules = append(rules, allow("^docker-image://"+pat.Regexp()+"$"))
	}
	if p.HasSources {
		rules = append(rules, deny(`^(https?|git)://`))
		for _, pat := range p.AllowedSources {
			rules = append(rules, allow("^"+sourceRegexp(pat)+"$"))
		}
	}
	return rules
}

func deny(re string, cs ...*spb.AttrConstraint) *spb.Rule {
	return &spb.Rule{Action: spb.PolicyAction_DENY, Selector: &spb.Selector{Identifier: re, MatchType: spb.MatchType_REGEX, Constraints: cs}}
}

func allow(re string, cs ...*spb.AttrConstraint) *spb.Rule {
	return &spb.Rule{Action: spb.PolicyAction_ALLOW, Selector: &spb.Selector{Identifier: re, MatchType: spb.MatchType_REGEX, Constraints: cs}}
}
