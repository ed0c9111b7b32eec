package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/weld-build/weld/builder"
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
	labels, err := affectedByBase(p, pol, bo.affectedByBase)
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

// checkConnectFlags checks --jobs, --addr and --ssh before any daemon is
// contacted.
func (bo *buildOptions) checkConnectFlags() error {
	if bo.jobs < 0 {
		return fmt.Errorf("%w: --jobs %d: use 0 (no limit) or more", errBadInput, bo.jobs)
	}
	if err := builder.CheckAddrs(bo.pool.addrs...); err != nil {
		return err
	}
	for _, spec := range bo.ssh {
		id, paths, _ := strings.Cut(spec, "=")
		if paths == "" && os.Getenv("SSH_AUTH_SOCK") == "" {
			return fmt.Errorf("%w: --ssh %s: SSH_AUTH_SOCK is not set; start an agent (eval $(ssh-agent) && ssh-add) or name a key: --ssh %s=$HOME/.ssh/id_ed25519", errBadInput, spec, id)
		}
		for _, p := range strings.Split(paths, ",") {
			if _, err := os.Stat(p); p != "" && err != nil {
				return fmt.Errorf("%w: --ssh %s: %v", errBadInput, spec, err)
			}
		}
	}
	return nil
}
