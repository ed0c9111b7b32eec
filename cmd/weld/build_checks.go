package main

import (
	"fmt"
	"strings"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// selectSteps returns the labels to pass to builder.Run: the arguments, or
// with --affected-by-base the affected steps. It returns nil labels and no
// error when --affected-by-base finds nothing to build (and says so).
func (bo *buildOptions) selectSteps(o *rootOptions, p *dag.Plan, pol *policy.Policy, args []string) ([]string, error) {
	if bo.affectedByBase == "" {
		_, err := p.Select(args...)
		return append([]string{}, args...), err
	}
	if len(args) > 0 {
		return nil, fmt.Errorf("%w: --affected-by-base selects the steps; do not name steps too", errBadInput)
	}
	labels, err := pol.AffectedByBase(p, bo.affectedByBase)
	if err != nil {
		return nil, err
	}
	if len(labels) == 0 {
		o.log.Info("no step is built on " + bo.affectedByBase + "; nothing to build")
		return nil, nil
	}
	o.log.Info(fmt.Sprintf("building the steps affected by %s: %s", bo.affectedByBase, strings.Join(labels, ", ")))
	return labels, nil
}
